import { describe, expect, it } from "vitest";
import { setBudget } from "../../src/core/budgets.js";
import { openContext } from "../../src/core/context.js";
import { enqueue } from "../../src/core/landing/queue.js";
import { connect } from "../helpers/mcp.js";
import { gitIn, gitRepo } from "../helpers/repo.js";
import { epicFiles, makeWorker } from "../helpers/workers.js";

// Alarms in the admin's MCP view (jig://workers), fed from disk: a task's spend near its budget (the
// budget book's limit, as `jig budget` sets it) and a land left waiting in the queue.

const id = (n: number) => `e-0${n}-t${n}`;

describe("alarms in jig://workers", () => {
  it("a budget close to its cap and a land waiting too long reach the admin's MCP view", async () => {
    const root = gitRepo({
      "README.md": "# r\n",
      "jig.json": JSON.stringify({ alarms: { landWaitMinutes: 0.001, budgetFraction: 0.8 } }),
      ...epicFiles("e", 2),
    });
    gitIn(root, "branch", "feature/e");
    const ctx = await openContext({ root });
    await Promise.all([1, 2].map((n) => makeWorker(ctx, id(n))));
    // One's sessions reported $0.85; its cap is $1.
    await ctx.workers.update(id(1), (r) => ({
      ...r,
      usage: { costUsd: 0.85, inputTokens: 100, outputTokens: 10, turns: 1 },
    }));
    await setBudget(ctx, "task", id(1), { usd: 1 });
    // Two's land sits in the queue (nobody drives it).
    await enqueue(ctx.paths, id(2), "feature/e");

    const { client, close } = await connect(ctx);
    try {
      const read = async () =>
        JSON.parse(
          ((await client.readResource({ uri: "jig://workers" })).contents[0] as { text: string }).text,
        ) as { alarms: { kind: string; worker: string; message: string }[] };
      let view = await read();
      // landWaitMinutes is 60 ms here: wait (bounded) for the queued land to pass it.
      const deadline = Date.now() + 10_000;
      while (!view.alarms.some((a) => a.kind === "land-queued") && Date.now() < deadline) view = await read();
      expect(view.alarms).toEqual([
        expect.objectContaining({
          kind: "land-queued",
          worker: id(2),
          message: expect.stringMatching(
            new RegExp(`^${id(2)}: its land has waited in the queue for \\d+ min$`),
          ),
        }),
        { kind: "budget", worker: id(1), since: null, message: `${id(1)}: spent $0.85 of its $1.00 budget` },
      ]);
      // Raising the budget clears that alarm.
      await setBudget(ctx, "task", id(1), { usd: 5 });
      expect((await read()).alarms.map((a) => a.kind)).toEqual(["land-queued"]);
    } finally {
      await close();
    }
  });
});
