// The backend contract, per backend: what each launch writes and runs, and how each reads its output.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { parseBudget } from "../../src/core/budgets.js";
import { ConfigSchema } from "../../src/core/config.js";
import type { LaunchRequest } from "../../src/orchestrator/backends/backend.js";
import { readClaudeOutput } from "../../src/orchestrator/backends/claude.js";
import { codexLiveUsage, gitWritableRoots, readCodexOutput } from "../../src/orchestrator/backends/codex.js";
import { geminiLiveUsage, readGeminiOutput } from "../../src/orchestrator/backends/gemini.js";
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
    // The allow-list, through the CLI's policy engine: a planner gets jig's tools and no writing or shell.
    const plannerPolicy = parse(readFileSync(join(dir, "policies", "jig.toml"), "utf8")) as {
      rule: Record<string, unknown>[];
    };
    expect(plannerPolicy.rule).toContainEqual({
      toolName: "*",
      mcpName: "jig",
      decision: "allow",
      priority: 100,
    });
    expect(plannerPolicy.rule.find((r) => r.decision === "deny")?.toolName).toContain("run_shell_command");
    expect(plannerPolicy.rule.some((r) => r.toolName === "run_shell_command" && r.decision === "allow")).toBe(
      false,
    );
    const worker = request("gemini");
    const workerSpec = await backendOf("gemini").launch(worker);
    expect(workerSpec.args[workerSpec.args.indexOf("--approval-mode") + 1]).toBe("default");
    const workerPolicy = parse(
      readFileSync(join(worker.privateDir, "gemini-home", ".gemini", "policies", "jig.toml"), "utf8"),
    ) as { rule: Record<string, unknown>[] };
    expect(workerPolicy.rule).toContainEqual({
      toolName: "run_shell_command",
      commandPrefix: ["git", "npm", "npx", "node", "ls", "cat", "mkdir"],
      decision: "allow",
      priority: 100,
    });
    expect(workerPolicy.rule.find((r) => r.decision === "deny")?.toolName).toEqual([
      "web_fetch",
      "google_web_search",
      "save_memory",
    ]);
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

  it("codex: workers in the workspace-write sandbox with the git roots a commit writes; sandbox: false turns it off; planners read-only", async () => {
    const worktree = mkdtempSync(join(tmpdir(), "jig-wt-"));
    writeFileSync(join(worktree, ".git"), "gitdir: /repo/.git/worktrees/ep-01-a2\n");
    const req = request("codex", { cwd: worktree });
    expect(gitWritableRoots(req)).toEqual([
      "/repo/.git/worktrees/ep-01-a2",
      "/repo/.git/objects",
      "/repo/.git/refs",
      "/repo/.git/logs",
    ]);
    const config = async (r: LaunchRequest) => {
      await backendOf("codex").launch(r);
      return parse(readFileSync(join(r.privateDir, "codex-home", "config.toml"), "utf8")) as Record<
        string,
        unknown
      >;
    };
    const worker = await config(req);
    expect(worker.sandbox_mode).toBe("workspace-write");
    expect(worker.sandbox_workspace_write).toEqual({ writable_roots: gitWritableRoots(req) });
    const off = await config(request("codex", { config: { ...req.config, sandbox: false } }));
    expect(off.sandbox_mode).toBe("danger-full-access");
    expect(off.sandbox_workspace_write).toBeUndefined();
    expect((await config(request("codex", { role: "planner" }))).sandbox_mode).toBe("read-only");
  });

  it("codex live usage: token_count events of the thread's rollout file since the session started, each response once, read incrementally", () => {
    const home = mkdtempSync(join(tmpdir(), "jig-codex-home-"));
    const dir = join(home, "sessions", "2026", "11", "30");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "rollout-2026-11-30T07-26-55-t-1.jsonl");
    const count = (at: string, total: number, last: number) =>
      `${JSON.stringify({
        timestamp: at,
        type: "event_msg",
        payload: {
          type: "token_count",
          info: {
            total_token_usage: { input_tokens: total, output_tokens: total / 10 },
            last_token_usage: { input_tokens: last, output_tokens: last / 10 },
          },
        },
      })}\n`;
    // An earlier session of the same thread (resumed now) spent 1000.
    writeFileSync(file, count("2026-11-30T07:00:00.000Z", 1000, 1000));
    const live = codexLiveUsage(home, new Date("2026-11-30T08:00:00.000Z"));
    expect(live.read(null)).toBeNull();
    expect(live.read("t-1")).toBeNull();
    appendFileSync(file, count("2026-11-30T08:00:01.000Z", 1100, 100));
    // A repeated running total (rate-limit update) adds nothing; a torn line waits for its end.
    appendFileSync(file, count("2026-11-30T08:00:01.500Z", 1100, 100));
    const torn = count("2026-11-30T08:00:02.000Z", 1300, 200);
    appendFileSync(file, torn.slice(0, 40));
    expect(live.read("t-1")).toEqual({ costUsd: null, inputTokens: 100, outputTokens: 10, turns: null });
    appendFileSync(file, torn.slice(40));
    expect(live.read("t-1")).toEqual({ costUsd: null, inputTokens: 300, outputTokens: 30, turns: null });
  });

  it("gemini live usage: model responses of the session's chat record since the session started, each once", () => {
    const home = mkdtempSync(join(tmpdir(), "jig-gemini-home-"));
    const chats = join(home, ".gemini", "tmp", "ep-01-a", "chats");
    mkdirSync(chats, { recursive: true });
    const record = (value: unknown) => `${JSON.stringify(value)}\n`;
    writeFileSync(join(chats, "session-2026-11-30T07-28-other.jsonl"), record({ sessionId: "other" }));
    const file = join(chats, "session-2026-11-30T07-28-g1.jsonl");
    const response = (id: string, at: string, input: number) => ({
      id,
      timestamp: at,
      type: "gemini",
      content: "",
      tokens: { input, output: 20, thoughts: 5, total: input + 25 },
    });
    writeFileSync(
      file,
      record({ sessionId: "g-1", startTime: "2026-11-30T07:00:00.000Z" }) +
        record(response("a", "2026-11-30T07:00:01.000Z", 1000)),
    );
    const live = geminiLiveUsage(home, new Date("2026-11-30T08:00:00.000Z"));
    expect(live.read("g-1")).toBeNull();
    appendFileSync(file, record(response("b", "2026-11-30T08:00:01.000Z", 100)));
    // The CLI writes a response again when its tool calls are added: counted once.
    appendFileSync(file, record({ ...response("b", "2026-11-30T08:00:01.000Z", 100), toolCalls: [] }));
    appendFileSync(file, record({ $set: { lastUpdated: "2026-11-30T08:00:02.000Z" } }));
    appendFileSync(file, record(response("c", "2026-11-30T08:00:03.000Z", 100)));
    expect(live.read("g-1")).toEqual({ costUsd: null, inputTokens: 200, outputTokens: 50, turns: null });
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
