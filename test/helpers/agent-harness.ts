import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect } from "vitest";
import { openContext } from "../../src/core/context.js";
import { ADMIN } from "../../src/core/identity.js";
import { planEpic } from "../../src/core/plan.js";
import { runCli } from "./cli.js";
import { taskIs, waitFor } from "./epic.js";
import { bashStep, type ToolStep } from "./fake-anthropic.js";
import { codexSettings } from "./fake-openai.js";
import { gitRepo, issueFile, tempDir } from "./repo.js";

// The one harness of the end-to-end tests that drive a REAL agent CLI (Claude Code, Codex, Gemini CLI)
// against a scripted model endpoint: the jig.json that points each CLI at its endpoint, the endpoints'
// clean-up, the one-task epic a worker claims and lands, the planner's epic, and the waits on a session.

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "node_modules", ".bin");

/** The installed CLI's path, or undefined when it is not installed (the test is skipped). */
export function agentBin(name: "claude" | "codex" | "gemini"): string | undefined {
  const bin = join(BIN, name);
  return existsSync(bin) ? bin : undefined;
}

/** jig.json's agent settings: one backend named `name`, no retries unless the test asks for them. */
function oneAgent(name: string, agent: Record<string, unknown>) {
  return { agent: name, maxRetries: 0, agents: { [name]: agent } };
}

/** Claude Code against a Messages endpoint: no login, no retries, no traffic but the endpoint's, its own home. */
export function claudeAgentConfig(url: string) {
  const home = tempDir("jig-claude-home-");
  return oneAgent("cc", {
    type: "claude",
    command: agentBin("claude"),
    env: {
      HOME: home,
      CLAUDE_CONFIG_DIR: join(home, ".claude"),
      ANTHROPIC_BASE_URL: url,
      ANTHROPIC_API_KEY: "test-key",
      CLAUDE_CODE_MAX_RETRIES: "0",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    },
  });
}

/** Codex against a Responses endpoint named as a model provider in the session's config.toml. */
export function codexAgentConfig(url: string) {
  return oneAgent("cx", {
    type: "codex",
    command: agentBin("codex"),
    env: { FAKE_OPENAI_KEY: "test-key" },
    settings: codexSettings(url),
  });
}

/** Gemini CLI against a Gemini API endpoint (GOOGLE_GEMINI_BASE_URL). */
export function geminiAgentConfig(url: string) {
  return oneAgent("gm", {
    type: "gemini",
    command: agentBin("gemini"),
    model: "gemini-2.5-flash",
    env: { GOOGLE_GEMINI_BASE_URL: url, GEMINI_API_KEY: "test-key" },
  });
}

/** Writes jig.json in the repository. */
export function writeJigConfig(root: string, config: Record<string, unknown>): void {
  writeFileSync(join(root, "jig.json"), JSON.stringify(config));
}

/**
 * The scripted endpoint a test started, closed after each test: `fake.current` is the live one (null
 * before the test starts one), `fake.use(endpoint)` makes it current, closing the one before.
 */
export function scriptedEndpoint<T extends { close(): Promise<void> }>() {
  const holder = {
    current: null as T | null,
    async use(endpoint: Promise<T> | T): Promise<T> {
      await holder.current?.close();
      holder.current = await endpoint;
      return holder.current;
    },
  };
  afterEach(async () => {
    await holder.current?.close();
    holder.current = null;
  });
  return holder;
}

/** A repository with epic `ep` (target feature/ep), and the worktree its first task, ep-01-hello, will have. */
export function helloRepo(files: Record<string, string> = {}): { root: string; worktree: string } {
  const root = gitRepo({
    "README.md": "# r\n",
    "issues/ep.md": issueFile({ target: "feature/ep" }, "# Epic\n"),
    ...files,
  });
  return { root, worktree: join(root, ".jig", "worktrees", "ep-01-hello") };
}

/** Plans epic `ep` as the human would through the core: the one task ep-01-hello, "Say hello". */
export async function planHello(root: string): Promise<void> {
  await planEpic(await openContext({ root }), ADMIN, {
    epic: "ep",
    subtasks: [
      {
        title: "Say hello",
        slug: "hello",
        objective: "Write hello.txt",
        acceptanceCriteria: ["hello.txt exists"],
      },
    ],
  });
}

/** A repository with the unplanned epic `feat`, and the plan a planner session writes for it. */
export function featRepo(): string {
  return gitRepo({
    "README.md": "# r\n",
    "issues/feat.md": issueFile({}, "# A feature\n\nSplit it in two.\n"),
  });
}
export const FEAT_PLAN = {
  epic: "feat",
  subtasks: [
    { title: "Build the core", slug: "core", objective: "Core", acceptanceCriteria: ["tests pass"] },
    { title: "Add the CLI", slug: "cli", objective: "CLI", acceptanceCriteria: ["works"], depends: ["core"] },
  ],
};

/** The last `chars` of a worker's session log. */
export function logTail(root: string, worker: string, chars = 3000): string {
  return readFileSync(join(root, ".jig", "logs", `${worker}.log`), "utf8").slice(-chars);
}

/** `jig spawn --issue` for `worker`'s task, then waits until it has landed (the task complete). */
export async function spawnUntilLanded(
  root: string,
  worker: string,
  opts: { what: string; dump: () => string; env?: Record<string, string>; timeoutMs?: number },
): Promise<void> {
  const spawned = runCli(root, ["spawn", "--issue", worker], opts.env ? { env: opts.env } : {});
  expect(spawned.code, spawned.stderr).toBe(0);
  await waitFor(taskIs(root, worker, "complete"), opts.what, {
    timeoutMs: opts.timeoutMs ?? 150_000,
    dump: opts.dump,
  });
}

/** The worker's registry record once its session has ended (how it ended is recorded). */
export async function endedRecord(
  root: string,
  worker: string,
  opts: { what?: string; dump: () => string; timeoutMs?: number },
) {
  const file = join(root, ".jig", "workers", `${worker}.json`);
  const read = () => JSON.parse(readFileSync(file, "utf8"));
  await waitFor(() => read().exited !== null, opts.what ?? "the session to end", {
    timeoutMs: opts.timeoutMs ?? 60_000,
    dump: opts.dump,
  });
  return read();
}

/** Claude Code's steps for ep-01-hello: claim, say working, write hello.txt, commit, land. */
export function claudeHelloSteps(worktree: string, content: string): ToolStep[] {
  return [
    { tool: "mcp__jig__claim_task", input: {} },
    { tool: "mcp__jig__set_status", input: { status: "working" } },
    { tool: "Write", input: { file_path: join(worktree, "hello.txt"), content } },
    bashStep("git add -A && git commit -q -m 'Say hello'"),
    { tool: "mcp__jig__land", input: {} },
  ];
}
