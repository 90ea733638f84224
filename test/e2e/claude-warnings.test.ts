// A warning pushed to a worker reaches the model: the REAL Claude Code CLI runs a worker against a scripted
// Messages endpoint; another worker's land breaks its branch; its next jig tool result — what the CLI sends
// back to the model — carries the warning in structuredContent.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { readEvents } from "../../src/core/events.js";
import { ADMIN } from "../../src/core/identity.js";
import { requestLand } from "../../src/core/landing/index.js";
import { planEpic } from "../../src/core/plan.js";
import { claudeAgentConfig, logTail, scriptedEndpoint, writeJigConfig } from "../helpers/agent-harness.js";
import { runCli } from "../helpers/cli.js";
import { waitFor } from "../helpers/epic.js";
import {
  bashStep,
  claudeBin,
  type FakeAnthropic,
  type ScriptContext,
  startFakeAnthropic,
  toolCallingModel,
} from "../helpers/fake-anthropic.js";
import { gitIn, gitRepo, issueFile } from "../helpers/repo.js";
import { commitIn, makeWorker } from "../helpers/workers.js";

const CLAUDE = claudeBin();

describe.skipIf(!CLAUDE)("warnings pushed to a real Claude Code worker", () => {
  const endpoint = scriptedEndpoint<FakeAnthropic>();

  it("the land that broke its branch is in the next tool_result the CLI sends to the model", async () => {
    const root = gitRepo({
      "README.md": "# r\n",
      "shared.txt": "one\ntwo\nthree\n",
      "issues/ep.md": issueFile({ target: "feature/ep" }, "# Epic\n"),
    });
    const worktree = join(root, ".jig", "worktrees", "ep-02-two");
    let release: () => void = () => {};
    const landed = new Promise<void>((resolve) => {
      release = resolve;
    });
    const model = toolCallingModel(
      [
        { tool: "mcp__jig__claim_task", input: {} },
        { tool: "Write", input: { file_path: join(worktree, "shared.txt"), content: "one\nTWO\nthree\n" } },
        bashStep("git add -A && git commit -q -m 'Edit shared'"),
        { tool: "mcp__jig__get_task", input: { id: "ep-02-two" } },
        { tool: "mcp__jig__list_tasks", input: {} },
      ],
      "Noted.",
    );
    // The model's turn after its commit waits until the test has landed the other worker's change.
    const script = async (ctx: ScriptContext) => {
      if (ctx.toolResults.some((r) => r.tool === "Bash")) await landed;
      return model.script(ctx);
    };
    const fake = await endpoint.use(startFakeAnthropic(script));
    writeJigConfig(root, claudeAgentConfig(fake.url));
    expect(runCli(root, ["init"]).code).toBe(0);
    const ctx = await openContext({ root });
    const task = (slug: string) => ({
      title: `Edit ${slug}`,
      slug,
      objective: "Edit shared.txt",
      acceptanceCriteria: ["edited"],
    });
    await planEpic(ctx, ADMIN, { epic: "ep", subtasks: [task("one"), task("two")] });

    const spawned = runCli(root, ["spawn", "--issue", "ep-02"], { env: { IS_SANDBOX: "" } });
    expect(spawned.code, spawned.stderr).toBe(0);
    const dump = () => `${logTail(root, "ep-02-two")}\nfake errors: ${fake.errors.join("\n")}`;
    await waitFor(
      () => gitIn(root, "rev-list", "--count", "feature/ep.._jig/ep-02-two") === "1",
      "the claude worker to commit",
      { timeoutMs: 150_000, dump },
    );

    // Another worker (no agent: the test drives it) lands a conflicting edit of the same line.
    const one = await makeWorker(ctx, "ep-01-one");
    commitIn(one.worktree, { "shared.txt": "one\n2\nthree\n" });
    expect(await requestLand(ctx, "ep-01-one")).toMatchObject({ state: "landed" });
    release();

    await waitFor(() => model.resultOf("mcp__jig__list_tasks") !== undefined, "the model's last call", {
      timeoutMs: 150_000,
      dump,
    });
    // What the CLI sent back to the model for its next jig call: the structured result, with the warning.
    const result = model.resultOf("mcp__jig__get_task")!;
    expect(result.isError).toBe(false);
    const sent = JSON.parse(result.text) as { id: string; warnings?: Record<string, unknown>[] };
    expect(sent.id).toBe("ep-02-two");
    expect(sent.warnings).toHaveLength(1);
    expect(sent.warnings![0]).toMatchObject({
      kind: "target-conflict",
      files: ["shared.txt"],
      target: "feature/ep",
      cause: { worker: "ep-01-one", branch: "_jig/ep-01-one" },
    });
    expect(String(sent.warnings![0]!.next)).toContain("check_conflicts");
    // Once: the call after it carries none.
    expect(model.resultOf("mcp__jig__list_tasks")!.text).not.toContain("warnings");
    // The session ends (its supervisor records it) before the test's directories go.
    const record = join(root, ".jig", "workers", "ep-02-two.json");
    await waitFor(() => JSON.parse(readFileSync(record, "utf8")).exited !== null, "the session to end", {
      timeoutMs: 60_000,
      dump,
    });
    const events = (await readEvents(ctx, "ep")).events;
    expect(events.filter((e) => e.type === "warning-delivered")).toMatchObject([
      { worker: "ep-02-two", tool: "get_task" },
    ]);
  });
});
