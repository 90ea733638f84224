// The backend contract, per backend: what each launch writes and runs, and how each reads its output.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { parseBudget } from "../../src/core/budgets.js";
import { ConfigSchema } from "../../src/core/config.js";
import type { LaunchRequest } from "../../src/orchestrator/backends/backend.js";
import { readClaudeOutput } from "../../src/orchestrator/backends/claude.js";
import { readCodexOutput } from "../../src/orchestrator/backends/codex.js";
import { readGeminiOutput } from "../../src/orchestrator/backends/gemini.js";
import { backendOf, resolveAgent } from "../../src/orchestrator/backends/index.js";

const lines = (...events: unknown[]) =>
  `noise on stderr\n${events.map((e) => JSON.stringify(e)).join("\n")}\n`;

function request(
  type: "codex" | "gemini" | "claude" | "custom" | "scripted",
  extra: Partial<LaunchRequest> = {},
): LaunchRequest {
  return {
    name: "ep-01-a",
    role: "worker",
    cwd: "/repo/.jig/worktrees/ep-01-a",
    prompt: "do it",
    mcpConfigPath: "/repo/.jig/workers/ep-01-a.mcp.json",
    mcpServer: {
      command: "/usr/bin/node",
      args: ["/jig/cli.js", "serve", "--stdio"],
      env: { JIG_TOKEN: "t", JIG_ROOT: "/repo" },
    },
    privateDir: mkdtempSync(join(tmpdir(), "jig-backend-")),
    writableRoots: ["/repo/.git"],
    instructions: "# jig-worker\ncall claim_task first",
    issue: "ep-01-a",
    config: { type, args: [], env: {}, command: type === "custom" ? "agent {prompt}" : process.execPath },
    resume: null,
    budget: null,
    ...extra,
  };
}

describe("backends", () => {
  it("every built-in agent name resolves to its backend; unknown names list them", () => {
    const config = ConfigSchema.parse({});
    for (const name of ["claude", "codex", "gemini", "scripted"])
      expect(resolveAgent(config, name).backend.type).toBe(name);
    expect(() => resolveAgent(config, "gpt")).toThrow(
      expect.objectContaining({
        message: "unknown agent 'gpt'",
        hint: expect.stringContaining("use claude, codex, gemini, scripted"),
      }),
    );
  });

  it("codex: a private CODEX_HOME with jig's MCP server (only jig's tools, pre-approved), AGENTS.md, and jig.json settings on top", async () => {
    const req = request("codex", {
      config: {
        type: "codex",
        command: process.execPath,
        args: [],
        env: {},
        settings: { model: "o9", mcp_servers: { jig: { startup_timeout_sec: 5 } } },
      },
    });
    const spec = await backendOf("codex").launch(req);
    const home = join(req.privateDir, "codex-home");
    expect(spec.env.CODEX_HOME).toBe(home);
    const config = parse(readFileSync(join(home, "config.toml"), "utf8")) as {
      model: string;
      approval_policy: string;
      mcp_servers: { jig: { command: string; env: Record<string, string> } & Record<string, unknown> };
    };
    expect(config.mcp_servers.jig.command).toBe("/usr/bin/node");
    expect(config.mcp_servers.jig.env.JIG_TOKEN).toBe("t");
    expect(config.mcp_servers.jig.enabled_tools).toContain("claim_task");
    expect(config.mcp_servers.jig.default_tools_approval_mode).toBe("approve");
    expect(config.mcp_servers.jig.required).toBe(true);
    expect(config.mcp_servers.jig.startup_timeout_sec).toBe(5);
    expect(config.model).toBe("o9");
    expect(config.approval_policy).toBe("never");
    expect(readFileSync(join(home, "AGENTS.md"), "utf8")).toContain("claim_task");
    expect(spec.args.slice(0, 2)).toEqual(["exec", "--json"]);
    expect(spec.args.at(-1)).toBe("do it");
    const resumed = await backendOf("codex").launch({ ...req, resume: "thread-1", prompt: "go on" });
    expect(resumed.args.slice(-3)).toEqual(["resume", "thread-1", "go on"]);
  });

  it("gemini: a private GEMINI_CLI_HOME with settings.json (jig's server trusted, its tools only) and GEMINI.md; --resume", async () => {
    const req = request("gemini", { resume: "sess-1", role: "planner" });
    const spec = await backendOf("gemini").launch(req);
    const dir = join(req.privateDir, "gemini-home", ".gemini");
    expect(spec.env.GEMINI_CLI_HOME).toBe(join(req.privateDir, "gemini-home"));
    const settings = JSON.parse(readFileSync(join(dir, "settings.json"), "utf8"));
    expect(settings.mcpServers.jig).toMatchObject({ command: "/usr/bin/node", trust: true });
    expect(settings.mcpServers.jig.includeTools).toContain("land");
    expect(settings.tools.exclude).toContain("run_shell_command");
    expect(readFileSync(join(dir, "GEMINI.md"), "utf8")).toContain("claim_task");
    expect(spec.args).toEqual(
      expect.arrayContaining(["--output-format", "stream-json", "--resume", "sess-1"]),
    );
    expect(spec.args[spec.args.indexOf("--approval-mode") + 1]).toBe("default");
  });

  it("claude: --resume and --max-budget-usd when asked", async () => {
    const spec = await backendOf("claude").launch(
      request("claude", { resume: "s-1", budget: { usd: 2.5, tokens: null } }),
    );
    expect(spec.args[spec.args.indexOf("--resume") + 1]).toBe("s-1");
    expect(spec.args[spec.args.indexOf("--max-budget-usd") + 1]).toBe("2.5");
  });

  it("the custom template keeps working; its output is not read", async () => {
    const spec = await backendOf("custom").launch(request("custom"));
    expect(spec.args).toEqual(["-c", "agent 'do it'"]);
    expect(backendOf("custom").readOutput("anything")).toEqual({
      usage: null,
      said: null,
      session: null,
      capped: false,
    });
  });

  it("reads Claude Code's stream-json: session id, usage while running (one count per message), the result when done", () => {
    const init = { type: "system", subtype: "init", session_id: "s-1" };
    const msg = (id: string) => ({
      type: "assistant",
      message: { id, usage: { input_tokens: 1000, output_tokens: 10 } },
    });
    const running = readClaudeOutput(lines(init, msg("m1"), msg("m1"), msg("m2")));
    expect(running).toMatchObject({
      session: "s-1",
      usage: { inputTokens: 2000, outputTokens: 20, costUsd: null },
      said: null,
    });
    const done = readClaudeOutput(
      lines(init, msg("m1"), {
        type: "result",
        subtype: "error_max_budget_usd",
        is_error: true,
        total_cost_usd: 1.5,
        usage: { input_tokens: 5, output_tokens: 6 },
        num_turns: 3,
      }),
    );
    expect(done).toMatchObject({
      capped: true,
      said: "error_max_budget_usd",
      usage: { costUsd: 1.5, turns: 3 },
    });
  });

  it("reads codex exec --json: thread id, tokens per completed turn, the last agent message or the failure", () => {
    const out = readCodexOutput(
      lines(
        { type: "thread.started", thread_id: "t-1" },
        { type: "item.completed", item: { type: "agent_message", text: "first" } },
        { type: "turn.completed", usage: { input_tokens: 100, output_tokens: 5 } },
        { type: "item.completed", item: { type: "agent_message", text: "Landed." } },
        { type: "turn.completed", usage: { input_tokens: 300, output_tokens: 7 } },
      ),
    );
    expect(out).toEqual({
      session: "t-1",
      said: "Landed.",
      capped: false,
      usage: { costUsd: null, inputTokens: 400, outputTokens: 12, turns: 2 },
    });
    expect(readCodexOutput(lines({ type: "turn.failed", error: { message: "quota" } })).said).toBe("quota");
  });

  it("reads gemini stream-json: session id, the text after the last tool call, usage from the result", () => {
    const out = readGeminiOutput(
      lines(
        { type: "init", session_id: "g-1" },
        { type: "message", role: "assistant", content: "Let me ", delta: true },
        { type: "tool_use", tool_name: "mcp_jig_land" },
        { type: "message", role: "assistant", content: "Lan", delta: true },
        { type: "message", role: "assistant", content: "ded.", delta: true },
        { type: "result", status: "success", stats: { input_tokens: 50, output_tokens: 9 } },
      ),
    );
    expect(out).toEqual({
      session: "g-1",
      said: "Landed.",
      capped: false,
      usage: { costUsd: null, inputTokens: 50, outputTokens: 9, turns: null },
    });
  });

  it("parses budgets: dollars, tokens, both; refuses anything else by name", () => {
    expect(parseBudget("$5")).toEqual({ usd: 5 });
    expect(parseBudget("2.5usd")).toEqual({ usd: 2.5 });
    expect(parseBudget("200k")).toEqual({ tokens: 200_000 });
    expect(parseBudget("1.5m tokens")).toEqual({ tokens: 1_500_000 });
    expect(parseBudget("$5, 200k")).toEqual({ usd: 5, tokens: 200_000 });
    expect(() => parseBudget("lots")).toThrow("'lots' is not a budget");
    expect(() => parseBudget("$0")).toThrow("not a positive budget");
  });
});
