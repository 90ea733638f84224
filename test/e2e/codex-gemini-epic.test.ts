// Whole epics, resumed retries and budgets with the REAL Codex CLI and the REAL Gemini CLI, offline: each
// CLI's scripted endpoint (test/helpers/fake-openai.ts, fake-gemini.ts) plays the model for every session
// at once — the step a request gets is read from its own conversation — and every worker runs the same
// steps: claim, set_status, write a file named after its worktree, commit, one more (Codex: list_tasks;
// Gemini: a `touch` outside the worktree, which jig's policy denies), land — git through the CLI's own
// shell tool (Codex's inside its workspace-write sandbox, whose write outside the worktree fails).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, runCliAsync } from "../helpers/cli.js";
import { taskIs, waitFor } from "../helpers/epic.js";
import { startFakeGemini } from "../helpers/fake-gemini.js";
import { codexSettings, startFakeOpenAi } from "../helpers/fake-openai.js";
import { gitIn, gitRepo, issueFile } from "../helpers/repo.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "node_modules", ".bin");
const RESUMED = "you are resuming your earlier session";
// No command substitution: Gemini CLI refuses a shell command with $(…) in it.
const WRITE = `n=\${PWD##*/}; printf '%s\\n' "$n" > "$n.txt" && echo wrote; touch ../../../escaped`;
const COMMIT = `git add -A && git commit -q -m "\${PWD##*/}" && echo committed`;
// Gemini workers' shell may run only the commands jig's policy allows (git, node, npm, …): no printf,
// echo or touch, and no redirection.
const NODE_WRITE = `node -e "const n = require('path').basename(process.cwd()); require('fs').writeFileSync(n + '.txt', n + '\\n'); console.log('wrote')"`;
const GIT_COMMIT = `git add -A && git commit -q -m "\${PWD##*/}"`;
const ESCAPE = "touch ../../../escaped";

/** One scripted endpoint, whichever CLI it serves. */
interface Fake {
  url: string;
  /** The conversation each main request carried, as text. */
  conversations(): string[];
  readonly answered: number;
  errors: Error[];
  close(): Promise<void>;
}
type Intercept = (conversation: string, next: number) => string | undefined | Promise<string | undefined>;

interface Cli {
  name: "codex" | "gemini";
  bin: string;
  agent(url: string): Record<string, unknown>;
  /** Steps: claim, set_status working, write the file, commit, a harmless step, land (the same for every worker). */
  start(usagePerAnswer: number, intercept?: Intercept): Promise<Fake>;
}

const CLIS: Cli[] = [
  {
    name: "codex",
    bin: join(BIN, "codex"),
    agent: (url) => ({
      type: "codex",
      command: join(BIN, "codex"),
      env: { FAKE_OPENAI_KEY: "test-key" },
      // The repositories live under /tmp, which Codex's sandbox leaves writable unless told otherwise.
      settings: {
        ...codexSettings(url),
        sandbox_workspace_write: { exclude_slash_tmp: true, exclude_tmpdir_env_var: true },
      },
    }),
    async start(usage, intercept) {
      const fake = await startFakeOpenAi(
        [
          { tool: "mcp__jig__claim_task", input: {} },
          { tool: "mcp__jig__set_status", input: { status: "working" } },
          { tool: "exec_command", input: { cmd: WRITE } },
          { tool: "exec_command", input: { cmd: COMMIT } },
          { tool: "mcp__jig__list_tasks", input: {} },
          { tool: "mcp__jig__land", input: {} },
        ],
        "Landed.",
        { input_tokens: usage, output_tokens: 10 },
        intercept && ((request, next) => intercept(JSON.stringify(request.input), next)),
      );
      return {
        url: fake.url,
        conversations: () => fake.requests.map((r) => JSON.stringify(r.input)),
        get answered() {
          return fake.answered;
        },
        errors: fake.errors,
        close: () => fake.close(),
      };
    },
  },
  {
    name: "gemini",
    bin: join(BIN, "gemini"),
    agent: (url) => ({
      type: "gemini",
      command: join(BIN, "gemini"),
      model: "gemini-2.5-flash",
      env: { GOOGLE_GEMINI_BASE_URL: url, GEMINI_API_KEY: "test-key" },
    }),
    async start(usage, intercept) {
      const fake = await startFakeGemini(
        [
          { tool: "mcp_jig_claim_task", input: {} },
          { tool: "mcp_jig_set_status", input: { status: "working" } },
          { tool: "run_shell_command", input: { command: NODE_WRITE, description: "Write" } },
          { tool: "run_shell_command", input: { command: GIT_COMMIT, description: "Commit" } },
          { tool: "run_shell_command", input: { command: ESCAPE, description: "Escape" } },
          { tool: "mcp_jig_land", input: {} },
        ],
        "Landed.",
        { promptTokenCount: usage, candidatesTokenCount: 10 },
        intercept && ((request, next) => intercept(JSON.stringify(request.contents ?? []), next)),
      );
      return {
        url: fake.url,
        conversations: () => fake.requests.map((r) => JSON.stringify(r.contents ?? [])),
        get answered() {
          return fake.answered;
        },
        errors: fake.errors,
        close: () => fake.close(),
      };
    },
  },
];

async function planned(root: string, subtasks: { slug: string; depends?: string[] }[]): Promise<void> {
  const { openContext } = await import("../../src/core/context.js");
  const { planEpic } = await import("../../src/core/plan.js");
  const { ADMIN } = await import("../../src/core/identity.js");
  await planEpic(await openContext({ root }), ADMIN, {
    epic: "ep",
    subtasks: subtasks.map((t) => ({
      title: `Task ${t.slug}`,
      slug: t.slug,
      objective: `Write ${t.slug}.txt`,
      acceptanceCriteria: ["the file exists"],
      depends: t.depends ?? [],
    })),
  });
}

const logsOf = (root: string) => () => {
  const dir = join(root, ".jig", "logs");
  return ["ep-01-one", "ep-02-two", "ep-03-three", "ep-01-hello"]
    .filter((n) => existsSync(join(dir, `${n}.log`)))
    .map((n) => `--- ${n}\n${readFileSync(join(dir, `${n}.log`), "utf8").slice(-2500)}`)
    .join("\n");
};

for (const cli of CLIS) {
  describe.skipIf(!existsSync(cli.bin))(`an epic with ${cli.name} workers (the real CLI)`, () => {
    let fake: Fake | null = null;
    afterEach(async () => {
      await fake?.close();
      fake = null;
    });

    it(`jig run lands a three-task epic (one task depending on another) with ${cli.name} workers; a worker that stopped early is retried by resuming its conversation`, async () => {
      const root = gitRepo({
        "README.md": "# r\n",
        "issues/ep.md": issueFile({ target: "feature/ep" }, "# Epic\n"),
      });
      // ep-01-one's first session writes its file, then stops without committing or landing.
      fake = await cli.start(100, (conversation, next) =>
        conversation.includes("Your task is issue ep-01-one") && !conversation.includes(RESUMED) && next === 3
          ? "I stop here."
          : undefined,
      );
      writeFileSync(
        join(root, "jig.json"),
        JSON.stringify({ agent: cli.name, maxRetries: 1, agents: { [cli.name]: cli.agent(fake.url) } }),
      );
      expect(runCli(root, ["init"]).code).toBe(0);
      await planned(root, [{ slug: "one" }, { slug: "two" }, { slug: "three", depends: ["one"] }]);
      const run = await runCliAsync(root, ["run", "ep"], { timeoutMs: 600_000 });
      expect(
        run.code,
        `${run.stdout}\n${run.stderr}\n${fake.errors.join("\n")}\n${logsOf(root)()}\nresumed: ${fake
          .conversations()
          .find((c) => c.includes(RESUMED))
          ?.slice(-6000)}`,
      ).toBe(0);
      for (const task of ["ep-01-one", "ep-02-two", "ep-03-three"])
        expect(gitIn(root, "show", `feature/ep:${task}.txt`)).toBe(task);
      // Codex workers' shell ran in Codex's sandbox: the repository outside the worktree stayed read-only.
      // Gemini workers' shell may run only what jig's policy allows: `touch` was denied.
      expect(existsSync(join(root, "escaped"))).toBe(false);
      if (cli.name === "codex") expect(fake.conversations().join("\n")).toContain("Read-only file system");
      else expect(fake.conversations().join("\n")).toMatch(/denied|policy/i);
      // The dependant started only after what it depends on landed.
      expect(run.stderr.indexOf("ep-01-one landed")).toBeGreaterThan(-1);
      expect(run.stderr.indexOf("ep-03-three started")).toBeGreaterThan(
        run.stderr.indexOf("ep-01-one landed"),
      );
      // The retry resumed the conversation: its first request carries the earlier turns and says what happened.
      expect(run.stderr).toContain(
        "↻ ep-01-one session ended (exit code 0: I stop here.); retrying (attempt 2)",
      );
      const resumed = fake.conversations().find((c) => c.includes(RESUMED));
      expect(resumed, "a resumed request").toBeDefined();
      expect(resumed).toContain("I stop here.");
      expect(resumed).toContain("wrote");
      expect(resumed).toContain("Task one");
      expect(resumed).toContain(`${RESUMED}; the session ended (exit code 0: I stop here.)`);
      const record = JSON.parse(readFileSync(join(root, ".jig", "workers", "ep-01-one.json"), "utf8"));
      expect(record.attempt).toBe(2);
    }, 660_000);

    it(`a token budget stops a ${cli.name} session mid-turn at its cap (spend ≤ cap + one response), blocks the task, keeps its commit; jig budget resumes it`, async () => {
      const root = gitRepo({
        "README.md": "# r\n",
        "issues/ep.md": issueFile({ target: "feature/ep" }, "# Epic\n"),
      });
      // 100k tokens per answer. After the fifth answer (the step after the commit) the model "thinks"
      // forever: the CLI's turn never ends, so only a stop from the usage it records as it goes can end
      // the session.
      let holding = true;
      fake = await cli.start(100_000, async (conversation) => {
        if (holding && !conversation.includes(RESUMED) && (fake?.answered ?? 0) >= 5)
          await new Promise(() => {});
        return undefined;
      });
      writeFileSync(
        join(root, "jig.json"),
        JSON.stringify({ agent: cli.name, maxRetries: 0, agents: { [cli.name]: cli.agent(fake.url) } }),
      );
      expect(runCli(root, ["init"]).code).toBe(0);
      await planned(root, [{ slug: "hello" }]);
      const spawned = runCli(root, ["spawn", "--issue", "ep-01", "--budget", "450k"]);
      expect(spawned.code, spawned.stderr).toBe(0);
      const dump = () =>
        `${logsOf(root)()}\nfake errors: ${fake?.errors.join("\n")}\nanswered: ${fake?.answered}`;
      await waitFor(taskIs(root, "ep-01-hello", "blocked"), "the task to be blocked at its budget", {
        timeoutMs: 240_000,
        dump,
      });
      const recordFile = join(root, ".jig", "workers", "ep-01-hello.json");
      await waitFor(
        () => JSON.parse(readFileSync(recordFile, "utf8")).exited !== null,
        "the session to end",
        {
          timeoutMs: 60_000,
          dump,
        },
      );
      const record = JSON.parse(readFileSync(recordFile, "utf8"));
      // Five answers (claim, set_status, write, commit, one more) of 100,010 tokens reach the 450k cap:
      // the session is stopped there, over the cap by less than one response; the sixth request is
      // never answered. What was spent is what the CLI recorded.
      const spent = record.usage.inputTokens + record.usage.outputTokens;
      expect(spent).toBeGreaterThanOrEqual(450_000);
      expect(spent).toBeLessThanOrEqual(450_000 + 100_010);
      expect(fake.answered).toBeGreaterThanOrEqual(5);
      // Stopped by jig: the CLI's turn could not end by itself (its request is held). Codex dies of the
      // signal; Gemini CLI catches SIGTERM and exits 0.
      expect(record.exited).not.toBeNull();
      expect(record.exited.said).not.toBe("Landed.");
      expect(runCli(root, ["ps"]).stdout).toMatch(
        /budget reached: 500.1k of 450k tokens \(task ep-01-hello\)/,
      );
      // Nothing lost: the commit made before the cap is on the worker's branch.
      expect(gitIn(root, "log", "--format=%s", "-1", "_jig/ep-01-hello")).toBe("ep-01-hello");

      // Raising the budget resumes the same conversation, told what happened, and the task lands.
      holding = false;
      const raised = runCli(root, ["budget", "ep-01-hello", "2m"]);
      expect(raised.code, raised.stderr).toBe(0);
      expect(raised.stdout).toContain("resumed ep-01-hello");
      await waitFor(taskIs(root, "ep-01-hello", "complete"), "the resumed session to land", {
        timeoutMs: 240_000,
        dump,
      });
      expect(gitIn(root, "show", "feature/ep:ep-01-hello.txt")).toBe("ep-01-hello");
      const resumed = fake.conversations().find((c) => c.includes(RESUMED));
      expect(resumed).toContain("git commit -q -m");
      expect(resumed).toContain("you were stopped at your budget");
    }, 600_000);
  });
}
