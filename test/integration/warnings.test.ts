import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { loadEpicStats } from "../../src/core/epic-stats.js";
import { readEvents } from "../../src/core/events.js";
import { requestLand } from "../../src/core/landing/index.js";
import { call, connect } from "../helpers/mcp.js";
import { gitIn, gitRepo, tempDir } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";

const id = (n: number) => `e-0${n}-t${n}`;

describe("warnings pushed to the agents they concern", () => {
  it("a land that breaks another worker's branch reaches that worker in its next tool result, once", async () => {
    const root = gitRepo({ "README.md": "# r\n", "shared.txt": "one\ntwo\nthree\n", ...epicFiles("e", 3) });
    gitIn(root, "branch", "feature/e");
    const ctx = await openContext({ root });
    const [a, b, c] = await Promise.all([1, 2, 3].map((n) => makeWorker(ctx, id(n))));
    commitIn(a!.worktree, { "shared.txt": "one\nA\nthree\n" });
    commitIn(b!.worktree, { "shared.txt": "one\nB\nthree\n" });
    commitIn(c!.worktree, { "c.txt": "c\n" });
    const clientB = await connect(ctx, b!.caller);
    const clientC = await connect(ctx, c!.caller);
    try {
      // Before any land: nothing to say.
      expect((await call(clientB.client, "list_tasks")).data?.warnings).toBeUndefined();
      expect(await requestLand(ctx, id(1))).toMatchObject({ state: "landed" });

      // B's next call — any tool, here get_task — carries the warning in structuredContent.
      const next = await call(clientB.client, "get_task", { id: id(2) });
      expect(next.isError).toBe(false);
      const warnings = next.data?.warnings as Record<string, unknown>[];
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({
        kind: "target-conflict",
        files: ["shared.txt"],
        target: "feature/e",
        cause: { worker: id(1), branch: `_jig/${id(1)}`, tip: gitIn(root, "rev-parse", "feature/e") },
      });
      expect(warnings[0]!.next).toContain("check_conflicts");
      expect(warnings[0]!.next).not.toMatch(/\bjig /);
      expect(next.text).toContain(`${id(1)} just landed on feature/e`);
      // Once per cause: the following call is clean.
      expect((await call(clientB.client, "list_tasks")).data?.warnings).toBeUndefined();
      // C's branch touches other files: it is not told anything.
      expect((await call(clientC.client, "list_tasks")).data?.warnings).toBeUndefined();
    } finally {
      await clientB.close();
      await clientC.close();
    }
    const events = (await readEvents(ctx, "e")).events;
    const warning = events.find((e) => e.type === "warning");
    expect(warning).toMatchObject({ worker: id(2), files: ["shared.txt"], cause: { worker: id(1) } });
    expect(events.filter((e) => e.type === "warning-delivered")).toMatchObject([
      { worker: id(2), task: id(2), tool: "get_task" },
    ]);
    expect((await loadEpicStats(ctx, "e")).conflicts).toMatchObject([
      { task: id(2), files: ["shared.txt"], source: "warning", cause: id(1), outcome: "open" },
    ]);
  });

  it("says nothing for a conflict the branch already had before the land", async () => {
    const root = gitRepo({ "README.md": "# r\n", "shared.txt": "one\n", ...epicFiles("e", 2) });
    gitIn(root, "branch", "feature/e");
    const ctx = await openContext({ root });
    const [a, b] = await Promise.all([1, 2].map((n) => makeWorker(ctx, id(n))));
    // The target already conflicts with B (a commit landed by hand), then A lands an unrelated file.
    commitIn(b!.worktree, { "shared.txt": "B\n" });
    const main = gitIn(root, "rev-parse", "feature/e");
    gitIn(root, "checkout", "-q", "feature/e");
    commitIn(root, { "shared.txt": "human\n" });
    gitIn(root, "checkout", "-q", "main");
    expect(gitIn(root, "rev-parse", "feature/e")).not.toBe(main);
    commitIn(a!.worktree, { "a.txt": "a\n" });
    expect(await requestLand(ctx, id(1))).toMatchObject({ state: "landed" });
    const clientB = await connect(ctx, b!.caller);
    try {
      expect((await call(clientB.client, "list_tasks")).data?.warnings).toBeUndefined();
    } finally {
      await clientB.close();
    }
  });

  it("considers what a sibling pushed to the shared remote, not only its branch here", async () => {
    const root = gitRepo({
      "README.md": "# r\n",
      "shared.txt": "one\ntwo\nthree\n",
      "jig.json": JSON.stringify({ remote: "origin" }),
      ...epicFiles("e", 2),
    });
    gitIn(root, "branch", "feature/e");
    const bare = tempDir("jig-bare-");
    gitIn(bare, "init", "-q", "--bare", "-b", "main");
    gitIn(root, "remote", "add", "origin", bare);
    gitIn(root, "push", "-q", "origin", "main", "feature/e");
    const ctx = await openContext({ root });
    const [a, b] = await Promise.all([1, 2].map((n) => makeWorker(ctx, id(n))));
    // B works on another machine: its commits reach the remote (refs/jig/workers/<name>), never its branch here.
    const elsewhere = tempDir("jig-clone-");
    gitIn(elsewhere, "clone", "-q", "-b", "feature/e", bare, ".");
    gitIn(elsewhere, "config", "user.email", "b@b");
    gitIn(elsewhere, "config", "user.name", "b");
    commitIn(elsewhere, { "shared.txt": "one\nB\nthree\n" });
    gitIn(elsewhere, "push", "-q", "origin", `HEAD:refs/jig/workers/${id(2)}`);
    expect(gitIn(root, "rev-parse", `_jig/${id(2)}`)).toBe(gitIn(root, "rev-parse", "feature/e"));

    commitIn(a!.worktree, { "shared.txt": "one\nA\nthree\n" });
    expect(await requestLand(ctx, id(1))).toMatchObject({ state: "landed" });
    expect(gitIn(bare, "log", "-1", "--format=%s", "feature/e")).toBe("work");
    const clientB = await connect(ctx, b!.caller);
    try {
      const next = await call(clientB.client, "list_tasks");
      const warnings = next.data?.warnings as Record<string, unknown>[];
      expect(warnings).toMatchObject([
        { kind: "target-conflict", files: ["shared.txt"], cause: { worker: id(1) } },
      ]);
      expect(warnings[0]!.message).toContain(
        `your branch _jig/${id(2)} (as you pushed it to the shared remote) now conflicts`,
      );
      // jig worker's MCP proxy refreshes its copy of the target when a result carries a warning.
      expect(warnings[0]!.next).toContain("(git rebase feature/e)");
    } finally {
      await clientB.close();
    }
  });
});
