// Budgets and resumed sessions with the REAL Claude Code CLI against the scripted Messages endpoint,
// which reports 100k input tokens per answer: jig stops the session at the task's token budget, blocks
// the task with the reason, keeps its commits; raising the budget resumes the same conversation.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  claudeAgentConfig,
  claudeHelloSteps,
  endedRecord,
  helloRepo,
  logTail,
  planHello,
  scriptedEndpoint,
  writeJigConfig,
} from "../helpers/agent-harness.js";
import { runCli, runCliAsync } from "../helpers/cli.js";
import { taskIs, waitFor } from "../helpers/epic.js";
import {
  claudeBin,
  type FakeAnthropic,
  startFakeAnthropic,
  toolCallingModel,
} from "../helpers/fake-anthropic.js";
import { gitIn } from "../helpers/repo.js";

const CLAUDE = claudeBin();
const PER_TURN = 100_000;

describe.skipIf(!CLAUDE)("budgets and resume with the real Claude Code CLI", () => {
  const endpoint = scriptedEndpoint<FakeAnthropic>();

  it("a token budget stops the session at its cap and blocks the task; jig budget raises it and the conversation resumes", async () => {
    const { root, worktree } = helloRepo();
    const model = toolCallingModel(claudeHelloSteps(worktree, "hello\n"), "Landed.");
    // Past 650k tokens the model "thinks" until the budget is raised: only jig can end that session. The
    // 7th answer (700k) comes after the commit's result, so the commit is made before the cap.
    let holding = true;
    const fake = await endpoint.use(
      startFakeAnthropic(
        async (ctx) => {
          if (holding && ctx.turn * PER_TURN >= 650_000) await new Promise(() => {});
          return model.script(ctx);
        },
        { usage: { input_tokens: PER_TURN, output_tokens: 10 } },
      ),
    );
    writeJigConfig(root, claudeAgentConfig(fake.url));
    expect(runCli(root, ["init"]).code).toBe(0);
    await planHello(root);
    const spawned = runCli(root, ["spawn", "--issue", "ep-01", "--budget", "650k"], {
      env: { IS_SANDBOX: "" },
    });
    expect(spawned.code, spawned.stderr).toBe(0);
    const dump = () => `${logTail(root, "ep-01-hello")}\nfake errors: ${fake.errors.join("\n")}`;
    await waitFor(taskIs(root, "ep-01-hello", "blocked"), "the task to be blocked at its budget", {
      timeoutMs: 150_000,
      dump,
    });
    const record = JSON.parse(readFileSync(join(root, ".jig", "workers", "ep-01-hello.json"), "utf8"));
    // Stopped by jig (SIGTERM), not ended by the model.
    expect(record.exited.signal ?? record.exited.code).toBeTruthy();
    expect(record.usage.inputTokens).toBe(700_000);
    expect(record.session).toMatch(/^[0-9a-f-]{36}$/);
    const ps = runCli(root, ["ps"]).stdout;
    expect(ps).toMatch(/budget reached: 700k of 650k tokens \(task ep-01-hello\)/);
    // Nothing lost: the commit made before the cap is on the worker's branch.
    expect(gitIn(root, "log", "--format=%s", "-1", "_jig/ep-01-hello")).toBe("Say hello");
    expect(runCli(root, ["budget", "ep-01-hello"]).stdout).toContain(
      "task ep-01-hello: 700k of 650k tokens — reached",
    );

    // Raising the budget resumes the same conversation, told what happened.
    holding = false;
    const before = fake.requests.length;
    const raised = runCli(root, ["budget", "ep-01-hello", "2m"], { env: { IS_SANDBOX: "" } });
    expect(raised.code, raised.stderr).toBe(0);
    expect(raised.stdout).toContain("resumed ep-01-hello");
    await waitFor(taskIs(root, "ep-01-hello", "complete"), "the resumed session to land", {
      timeoutMs: 150_000,
      dump,
    });
    expect(gitIn(root, "show", "feature/ep:hello.txt")).toBe("hello");
    // The resumed session's request that carries jig's note (Claude Code may send another main-loop request
    // first, with the history but without the new prompt).
    const resumed = fake.requests
      .slice(before)
      .find(
        (r) =>
          r.kind === "main" &&
          JSON.stringify((r.body as { messages?: unknown[] }).messages ?? []).includes(
            "you are resuming your earlier session",
          ),
      );
    const conversation = JSON.stringify(
      (resumed?.body as { messages?: unknown[] } | undefined)?.messages ?? [],
    );
    // The resumed conversation carries the earlier turns (the claim, the commit) and the note.
    expect(conversation).toContain("toolu_step_0");
    expect(conversation).toContain("git commit -q -m 'Say hello'");
    expect(conversation).toContain("you are resuming your earlier session; you were stopped at your budget");
    // The land completes the task; the session's usage is recorded when it ends, a moment later.
    const after = await endedRecord(root, "ep-01-hello", { what: "the resumed session to end", dump });
    expect(after.attempt).toBe(2);
    expect(after.usage.inputTokens).toBeGreaterThan(700_000);
  }, 320_000);

  it("jig run retries a session that ended without landing by resuming its conversation, told what happened", async () => {
    const { root, worktree } = helloRepo();
    const model = toolCallingModel(claudeHelloSteps(worktree, "hello\n"), "Landed.");
    const RESUMED = "you are resuming your earlier session";
    // The first session writes the file, then stops without committing or landing.
    const fake = await endpoint.use(
      startFakeAnthropic((ctx) =>
        !JSON.stringify(ctx.request.messages).includes(RESUMED) &&
        ctx.toolResults.some((r) => r.toolUseId === "toolu_step_2")
          ? { content: [{ type: "text", text: "I stop here." }] }
          : model.script(ctx),
      ),
    );
    writeJigConfig(root, { ...claudeAgentConfig(fake.url), maxRetries: 1 });
    expect(runCli(root, ["init"]).code).toBe(0);
    await planHello(root);
    const run = await runCliAsync(root, ["run", "ep"], { env: { IS_SANDBOX: "" }, timeoutMs: 300_000 });
    expect(run.code, `${run.stdout}\n${run.stderr}\n${fake.errors.join("\n")}`).toBe(0);
    expect(run.stderr).toContain(
      "↻ ep-01-hello session ended (exit code 0: I stop here.); retrying (attempt 2)",
    );
    expect(gitIn(root, "show", "feature/ep:hello.txt")).toBe("hello");
    const first = fake.requests.find(
      (r) =>
        r.kind === "main" &&
        JSON.stringify((r.body as { messages?: unknown[] }).messages ?? []).includes(RESUMED),
    );
    const conversation = JSON.stringify(
      (first?.body as { messages?: unknown[] } | undefined)?.messages ?? [],
    );
    // The resumed session's first request carries the earlier turns and says what happened.
    expect(conversation).toContain("toolu_step_0");
    expect(conversation).toContain("toolu_step_2");
    expect(conversation).toContain("I stop here.");
    expect(conversation).toContain(`${RESUMED}; the session ended (exit code 0: I stop here.)`);
  }, 320_000);
});
