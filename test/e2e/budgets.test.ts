// Budgets through the CLI with the scripted agent: an epic whose budget is spent starts nothing; spend
// against the limit shows in jig budget, jig status, jig ps and the epic's progress; raising it lets the
// run go on. (A session stopped at its cap by jig: claude-budget-resume.test.ts, with the real CLI.)
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { epicProgress } from "../../src/core/epic-progress.js";
import { runCli } from "../helpers/cli.js";
import { epicRepo, writeAndLand } from "../helpers/epic.js";

describe("budgets", () => {
  it("jig run starts no task of an epic whose budget is spent; raising it runs the epic to completion", async () => {
    const root = epicRepo([
      { slug: "one", steps: writeAndLand("one.txt", "1\n") },
      { slug: "two", steps: writeAndLand("two.txt", "2\n") },
    ]);
    expect(runCli(root, ["plan", "ep"]).code).toBe(0);
    // The planner's session reported 1,000 tokens (the scripted agent reports none; a real CLI would).
    const ctx = await openContext({ root });
    await ctx.workers.update("planner-ep", (r) => ({
      ...r,
      usage: { costUsd: 0.5, inputTokens: 900, outputTokens: 100, turns: 1 },
    }));
    const stuck = runCli(root, ["run", "ep", "--budget", "500"], { timeoutMs: 120_000 });
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toContain(
      "✗ ep: budget reached: 1k of 500 tokens (epic ep); raise it with `jig budget ep <amount>`; no new task starts",
    );
    expect(stuck.stderr).toContain(
      "error: epic ep is stuck: its budget is spent (1k of 500 tokens); raise it with jig budget ep <amount>",
    );
    expect(stuck.stderr).not.toContain("started");
    expect(
      JSON.parse(runCli(root, ["ps", "--json"]).stdout).workers.filter(
        (w: { kind: string }) => w.kind === "task",
      ),
    ).toEqual([]);
    expect(runCli(root, ["status", "ep"]).stdout).toMatch(
      /^Epic: ep \(0\/2 complete\) · \$0\.50, 1\.0k tokens · budget 1k of 500 tokens — reached/,
    );
    expect((await epicProgress(await openContext({ root }), "ep")).budget).toEqual({
      text: "1k of 500 tokens",
      reached: true,
    });
    expect(runCli(root, ["budget", "ep"]).stdout).toBe("epic ep: 1k of 500 tokens — reached\n");

    const raised = runCli(root, ["budget", "ep", "$5,1m"]);
    expect(raised.code, raised.stderr).toBe(0);
    expect(raised.stdout).toBe("epic ep: $0.50 of $5.00, 1k of 1m tokens\n");
    const done = runCli(root, ["run", "ep"], { timeoutMs: 120_000 });
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain("Epic: ep (2/2 complete)");
    expect(done.stdout).toContain("budget $0.50 of $5.00, 1k of 1m tokens");
  }, 180_000);

  it("--budget on spawn sets the worker's limit, shown in jig ps; bad amounts are refused by name", () => {
    const root = epicRepo([{ slug: "one", steps: writeAndLand("one.txt", "1\n") }]);
    expect(runCli(root, ["plan", "ep"]).code).toBe(0);
    const bad = runCli(root, ["spawn", "--issue", "ep-01", "--budget", "lots"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("error: 'lots' is not a budget");
    expect(
      JSON.parse(runCli(root, ["ps", "--json"]).stdout).workers.filter(
        (w: { kind: string }) => w.kind === "task",
      ),
    ).toEqual([]);
    expect(runCli(root, ["spawn", "--issue", "ep-01", "--budget", "$5"]).code).toBe(0);
    const ps = runCli(root, ["ps", "--json"]);
    expect(JSON.parse(ps.stdout).budgets["ep-01-one"]).toEqual({ text: "$0.00 of $5.00", reached: false });
    expect(runCli(root, ["ps"]).stdout).toMatch(/ep-01-one .*\$0\.00 of \$5\.00/);
  }, 120_000);
});
