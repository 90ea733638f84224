// The real Claude Code CLI, driven offline by a scripted Messages endpoint: proves the wiring the `claude`
// agent backend relies on (MCP config, deferred tools through ToolSearch, --allowedTools, stream-json result).
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  bashStep,
  claudeBin,
  claudeEnv,
  type FakeAnthropic,
  startFakeAnthropic,
  toolCallingModel,
} from "../helpers/fake-anthropic.js";
import { gitIn, gitRepo, tempDir } from "../helpers/repo.js";

const CLAUDE = claudeBin();
const ECHO_SERVER = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "echo-mcp-server.mjs");

interface Run {
  code: number | null;
  events: Array<Record<string, unknown>>;
  stdout: string;
  stderr: string;
  mcpCalls: Array<Record<string, unknown>>;
}

// One headless claude run in `cwd` against the fake at `url`, with the echo MCP server registered as "jig".
async function runClaude(opts: {
  url: string;
  cwd: string;
  allowedTools?: string;
  env?: Record<string, string>;
}): Promise<Run> {
  const dir = tempDir("jig-claude-");
  const mcpLog = join(dir, "mcp-calls.jsonl");
  const mcpConfig = join(dir, "mcp.json");
  writeFileSync(
    mcpConfig,
    JSON.stringify({
      mcpServers: { jig: { command: process.execPath, args: [ECHO_SERVER], env: { ECHO_MCP_LOG: mcpLog } } },
    }),
  );
  // The prompt goes right after -p: --mcp-config and --allowedTools take several values and would swallow it.
  const args = ["-p", "Claim your task.", "--mcp-config", mcpConfig, "--strict-mcp-config"];
  args.push("--output-format", "stream-json", "--verbose");
  if (opts.allowedTools) args.push("--allowedTools", opts.allowedTools);
  const child = spawn(CLAUDE!, args, {
    cwd: opts.cwd,
    env: claudeEnv(opts.url, dir, opts.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`claude did not exit within 90 s\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
    }, 90_000);
    child.on("error", reject);
    child.on("exit", (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  const events = stdout
    .split("\n")
    .filter((line) => line.trim().startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const mcpCalls = existsSync(mcpLog)
    ? readFileSync(mcpLog, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>)
    : [];
  return { code, events, stdout, stderr, mcpCalls };
}

function resultEvent(run: Run): Record<string, unknown> {
  const result = run.events.find((e) => e.type === "result");
  if (!result) throw new Error(`no result event\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  return result;
}

function toolNamesSent(fake: FakeAnthropic): string[][] {
  return fake.requests
    .filter((r) => r.kind === "main")
    .map((r) => ((r.body as { tools?: Array<{ name: string }> }).tools ?? []).map((t) => t.name));
}

describe.skipIf(!CLAUDE)(
  "real claude CLI against a fake Messages endpoint (skipped: no node_modules/.bin/claude)",
  () => {
    let fake: FakeAnthropic | undefined;
    afterEach(async () => {
      await fake?.close();
      fake = undefined;
    });

    it("loads a deferred MCP tool through ToolSearch, calls it, and reports cost and usage", async () => {
      const model = toolCallingModel([{ tool: "mcp__jig__claim_task", input: { worker: "w1" } }], "Claimed.");
      fake = await startFakeAnthropic(model.script);
      const run = await runClaude({ url: fake.url, cwd: tempDir(), allowedTools: "mcp__jig__*" });

      expect(fake.errors).toEqual([]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.mcpCalls).toEqual([{ tool: "claim_task", worker: "w1" }]);
      expect(model.resultOf("mcp__jig__claim_task")).toMatchObject({
        text: "claimed task 01 for w1",
        isError: false,
      });

      // The MCP tool was not sent as a definition at first, only after ToolSearch returned a tool_reference.
      const sent = toolNamesSent(fake);
      expect(sent[0]).toContain("ToolSearch");
      expect(sent[0]).not.toContain("mcp__jig__claim_task");
      expect(sent.at(-1)).toContain("mcp__jig__claim_task");
      const calls = run.events
        .filter((e) => e.type === "assistant")
        .flatMap((e) => (e.message as { content: Array<{ type: string; name?: string }> }).content)
        .filter((b) => b.type === "tool_use")
        .map((b) => b.name);
      expect(calls).toEqual(["ToolSearch", "mcp__jig__claim_task"]);

      const init = run.events.find((e) => e.type === "system" && e.subtype === "init");
      expect(init?.mcp_servers).toEqual([expect.objectContaining({ name: "jig", status: "connected" })]);
      const result = resultEvent(run);
      expect(result).toMatchObject({ subtype: "success", is_error: false, result: "Claimed.", num_turns: 3 });
      expect(result.total_cost_usd).toBeGreaterThan(0);
      expect(result.usage).toMatchObject({
        input_tokens: expect.any(Number),
        output_tokens: expect.any(Number),
      });
      expect((result.usage as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    });

    it("calls the MCP tool directly when tool search is off (ENABLE_TOOL_SEARCH=false)", async () => {
      const model = toolCallingModel([{ tool: "mcp__jig__claim_task", input: { worker: "w2" } }]);
      fake = await startFakeAnthropic(model.script);
      const run = await runClaude({
        url: fake.url,
        cwd: tempDir(),
        allowedTools: "mcp__jig__claim_task",
        env: { ENABLE_TOOL_SEARCH: "false" },
      });

      expect(fake.errors).toEqual([]);
      expect(run.mcpCalls).toEqual([{ tool: "claim_task", worker: "w2" }]);
      expect(toolNamesSent(fake)[0]).toContain("mcp__jig__claim_task");
      expect(resultEvent(run)).toMatchObject({ is_error: false, num_turns: 2 });
    });

    it("runs git through the Bash tool when Bash(git:*) is allowed, using the claimed task", async () => {
      const repo = gitRepo();
      const model = toolCallingModel([
        { tool: "mcp__jig__claim_task", input: { worker: "w3" } },
        bashStep("git commit -q --allow-empty -m 'fake work' && git log -1 --format=%s", "Commit the work"),
      ]);
      fake = await startFakeAnthropic(model.script);
      const run = await runClaude({ url: fake.url, cwd: repo, allowedTools: "mcp__jig__*,Bash(git:*)" });

      expect(fake.errors).toEqual([]);
      expect(resultEvent(run)).toMatchObject({ is_error: false, permission_denials: [] });
      expect(model.resultOf("Bash")).toMatchObject({ text: "fake work", isError: false });
      expect(gitIn(repo, "log", "-1", "--format=%s")).toBe("fake work");
    });

    it("denies an MCP tool that --allowedTools does not cover, and the server never sees the call", async () => {
      const model = toolCallingModel([{ tool: "mcp__jig__claim_task", input: { worker: "w4" } }]);
      fake = await startFakeAnthropic(model.script);
      const run = await runClaude({ url: fake.url, cwd: tempDir(), allowedTools: "mcp__other__*" });

      expect(run.mcpCalls).toEqual([]);
      expect(model.resultOf("mcp__jig__claim_task")?.isError).toBe(true);
      expect(resultEvent(run).permission_denials).toEqual([
        expect.objectContaining({ tool_name: "mcp__jig__claim_task", tool_input: { worker: "w4" } }),
      ]);
    });
  },
);
