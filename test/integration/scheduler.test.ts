import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { readWorkerStatus, sessionRunning, writeWorkerStatus } from "../../src/core/workers.js";
import { runEpic } from "../../src/orchestrator/scheduler.js";
import { spawnTaskWorker } from "../../src/orchestrator/spawn.js";
import { script } from "../helpers/epic.js";
import { gitIn, gitRepo, issueFile } from "../helpers/repo.js";

// The scheduler's decisions against what happened between its reads (real repo, real sessions).

describe("jig run's scheduler", () => {
  it.each([
    [0, "blocked"],
    [1, "retried"],
  ])(
    "a task its land completed after the round's first read is landed (maxRetries %i: not %s)",
    async (maxRetries) => {
      const root = gitRepo({
        "README.md": "# r\n",
        "jig.json": JSON.stringify({ agent: "scripted", maxRetries }),
        "issues/ep.md": issueFile({ target: "feature/ep" }, "# Epic\n"),
        "issues/ep-01-one.md": issueFile(
          { epic: "ep", status: "planned", assigned: null, depends: [] },
          `# One\n\n${script([{ exit: 0 }])}\n`,
        ),
      });
      gitIn(root, "branch", "feature/ep");
      const ctx = await openContext({ root });
      const record = await spawnTaskWorker(ctx, "ep-01-one");
      for (let i = 0; i < 1200 && sessionRunning((await ctx.workers.get(record.name))!); i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      // What the round reads first: the task still in progress (as it was a moment ago)…
      await ctx.issues.update("ep-01-one", () => ({ status: "in-progress", assigned: "ep-01-one" }));
      const stale = await ctx.issues.list();
      // …then its land completes it, as a land does: the worker done, the issue complete.
      await writeWorkerStatus(record.worktree, { status: "done", message: null });
      await ctx.issues.update("ep-01-one", () => ({ status: "complete" }));
      const list = ctx.issues.list.bind(ctx.issues);
      let first = true;
      ctx.issues.list = async () => {
        if (!first) return list();
        first = false;
        return stale;
      };
      const events: string[] = [];
      const outcome = await runEpic(ctx, "ep", { onEvent: (line) => events.push(line) });
      expect(outcome.outcome).toBe("complete");
      expect(events).toEqual(["✓ ep-01-one landed"]);
      expect((await readWorkerStatus(record.worktree))?.status).toBe("done");
      expect((await ctx.workers.get(record.name))?.attempt).toBe(1);
    },
  );
});
