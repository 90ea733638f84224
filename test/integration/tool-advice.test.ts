// Claude Code hands the model only a tool result's structuredContent when there is one, so every piece of
// advice — `next`, conflict guidance, the exact commands with real branch names — must be in it. And a
// worker may have no `jig` on PATH: tool hints point at tools, never at the CLI.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { ADMIN, type Caller } from "../../src/core/identity.js";
import { settleDrivers } from "../../src/core/landing/index.js";
import { call, connect } from "../helpers/mcp.js";
import { gitIn, gitRepo, issueFile, tempDir } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";

const CLI =
  /`jig\b|\bjig (init|issues|plan|run|spawn|ps|status|land|review|merge|kill|logs|serve|demo|retry|unblock|abandon|clean|doctor)\b/;

type Result = Awaited<ReturnType<typeof call>>;

describe("every tool's structured result carries its whole advice", () => {
  it("next (and conflict guidance, with real branch names) is in structuredContent; no hint names the jig CLI", async () => {
    const root = gitRepo({
      "README.md": "# r\n",
      "shared.txt": "base\n",
      "other.txt": "base\n",
      ...epicFiles("ep", 4),
      "issues/pl.md": issueFile({ target: "feature/pl" }, "# Plan me\n"),
    });
    gitIn(root, "branch", "feature/ep");
    const ctx = await openContext({ root });
    const seen = new Map<string, Result[]>();
    const errors: Result[] = [];
    const as = async (caller: Caller) => {
      const { client, close } = await connect(ctx, caller);
      return {
        close,
        call: async (name: string, args: Record<string, unknown> = {}) => {
          const result = await call(client, name, args);
          if (result.isError) errors.push(result);
          else seen.set(name, [...(seen.get(name) ?? []), result]);
          return result;
        },
      };
    };

    const admin = await as(ADMIN);
    const planned = await admin.call("plan_epic", {
      epic: "pl",
      subtasks: [{ title: "One", slug: "one", objective: "Do one.", acceptanceCriteria: ["done"] }],
    });
    expect(planned.isError, planned.text).toBe(false);

    const w1 = await makeWorker(ctx, "ep-01-t1");
    const w2 = await makeWorker(ctx, "ep-02-t2");
    const w3 = await makeWorker(ctx, "ep-03-t3");
    const one = await as(w1.caller);
    const two = await as(w2.caller);
    const three = await as(w3.caller);
    const claimed = await one.call("claim_task");
    expect(claimed.data?.next).toContain("feature/ep");

    // The target moves under worker 1 in shared.txt; workers 2 and 3 both edit other.txt.
    const checkout = join(tempDir(), "target");
    gitIn(root, "worktree", "add", "-q", checkout, "feature/ep");
    commitIn(checkout, { "shared.txt": "target\n" }, "target edit");
    commitIn(w1.worktree, { "shared.txt": "one\n" });
    commitIn(w2.worktree, { "other.txt": "two\n" });
    commitIn(w3.worktree, { "other.txt": "three\n" });

    const targetConflict = await one.call("set_status", { status: "working" });
    expect(targetConflict.data?.next).toContain("git rebase feature/ep");
    expect(targetConflict.data?.next).toContain("shared.txt");
    expect((targetConflict.data!.conflicts as { advice: string }).advice).toContain("git rebase feature/ep");
    const workerConflict = await two.call("set_status", { status: "done" });
    expect(workerConflict.data?.next).toContain("lands second");
    expect(workerConflict.data?.next).toContain("ep-03-t3");
    expect(workerConflict.data?.next).toContain("other.txt");

    const checked = await one.call("check_conflicts");
    expect(checked.data).toMatchObject({ targetBranch: "feature/ep", target: ["shared.txt"] });
    expect(checked.data?.next).toContain("git rebase feature/ep");

    const blocked = await one.call("land", { waitSeconds: 30 });
    expect(blocked.data?.state).toBe("blocked");
    expect(blocked.data?.next).toContain("git rebase feature/ep");
    expect(blocked.data?.next).toContain("shared.txt");
    const landed = await three.call("land", { waitSeconds: 30 });
    expect(landed.data?.state, landed.text).toBe("landed");

    const stuck = await two.call("set_status", { status: "blocked", message: "Need the API key" });
    expect(stuck.data?.next).toBeTruthy();

    const read = await one.call("get_task", { id: "ep-02" });
    expect(read.data?.next).toBeTruthy();
    const page = await one.call("list_tasks", { epic: "ep", limit: 2 });
    expect(page.data?.next).toContain(`cursor "${page.data?.nextCursor}"`);

    // Errors an agent meets: their hints name tools, not the CLI.
    expect((await one.call("get_task", { id: "nope" })).text).toContain("list_tasks");
    expect((await admin.call("land", { worker: "nobody" })).isError).toBe(true);
    expect((await admin.call("check_conflicts", {})).isError).toBe(true);
    expect((await one.call("land", { worker: "ep-02-t2" })).isError).toBe(true);
    expect((await one.call("claim_task", { issue: "ep-04-t4" })).isError).toBe(true);
    await settleDrivers();

    const { client, close } = await connect(ctx, ADMIN);
    const tools = (await client.listTools()).tools;
    await close();
    // Every tool was seen succeeding: a new tool without a case here fails this test.
    expect([...seen.keys()].sort()).toEqual(tools.map((t) => t.name).sort());
    for (const tool of tools) expect(tool.description, tool.name).not.toMatch(CLI);
    for (const [name, results] of seen) {
      for (const result of results) {
        const next = result.data?.next;
        expect(typeof next === "string" && next.length > 0, `${name} has no next: ${result.text}`).toBe(true);
        expect(result.text, `${name}'s text and structured next differ`).toContain(`Next: ${next}`);
        expect(JSON.stringify(result.data), name).not.toMatch(CLI);
        expect(result.text, name).not.toMatch(CLI);
      }
    }
    for (const error of errors) expect(error.text).not.toMatch(CLI);
    expect(errors.length).toBe(5);
    for (const session of [admin, one, two, three]) await session.close();
  });
});
