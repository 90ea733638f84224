import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { checkConflicts, conflictReports, requestLand, settleDrivers } from "../../src/core/landing/index.js";
import { enqueue } from "../../src/core/landing/queue.js";
import { readWorkerStatus } from "../../src/core/workers.js";
import { gitIn, gitRepo, tempDir } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";

async function setup(count: number, config: Record<string, unknown> = {}) {
  const files: Record<string, string> = {
    "README.md": "# r\n",
    "shared.txt": "line 1\nline 2\nline 3\n",
    ...epicFiles("e", count),
  };
  if (Object.keys(config).length) files["jig.json"] = JSON.stringify(config);
  const root = gitRepo(files);
  gitIn(root, "branch", "feature/e");
  const ctx = await openContext({ root });
  return { root, ctx };
}

const id = (n: number) => `e-${String(n).padStart(2, "0")}-t${n}`;

describe("land", () => {
  it("creates many worker worktrees at once without git tripping over its own admin files", async () => {
    const { root, ctx } = await setup(12);
    const workers = await Promise.all(Array.from({ length: 12 }, (_, i) => makeWorker(ctx, id(i + 1))));
    expect(new Set(workers.map((w) => w.worktree)).size).toBe(12);
    const listed = gitIn(root, "worktree", "list", "--porcelain")
      .split("\n")
      .filter((l) => l.startsWith("worktree "));
    expect(listed).toHaveLength(13);
  });

  it("reports every worker's early conflicts at once: overlapping edits both ways, disjoint files never", async () => {
    const { root, ctx } = await setup(4);
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map((n) => makeWorker(ctx, id(n))));
    commitIn(a!.worktree, { "shared.txt": "line 1\nA\nline 3\n" });
    commitIn(b!.worktree, { "shared.txt": "line 1\nB\nline 3\n", "b.txt": "b\n" });
    // c touches shared.txt too but on another line: it overlaps by file and merges cleanly.
    commitIn(c!.worktree, { "shared.txt": "line 1\nline 2\nline 3\nC\n" });
    commitIn(d!.worktree, { "d.txt": "d\n" });
    const reports = await conflictReports(ctx, [id(1), id(2), id(3), id(4)]);
    expect(reports.get(id(1))).toEqual({ target: [], workers: [{ name: id(2), files: ["shared.txt"] }] });
    expect(reports.get(id(2))).toEqual({ target: [], workers: [{ name: id(1), files: ["shared.txt"] }] });
    expect(reports.get(id(3))).toEqual({ target: [], workers: [] });
    expect(reports.get(id(4))).toEqual({ target: [], workers: [] });
    expect(await checkConflicts(ctx, id(1))).toEqual(reports.get(id(1)));
    // A worker whose branch is gone gets no report, and checking it says so.
    const { branch } = await ctx.workers.require(id(4));
    gitIn(root, "update-ref", "-d", `refs/heads/${branch}`);
    expect((await conflictReports(ctx, [id(1), id(4)])).has(id(4))).toBe(false);
    await expect(checkConflicts(ctx, id(4))).rejects.toThrow(`branch '${branch}' does not exist`);
  });

  it("lands a worker's commits onto the target, marks the task complete, and is idempotent", async () => {
    const { root, ctx } = await setup(1);
    const w = await makeWorker(ctx, id(1));
    const sha = commitIn(w.worktree, { "a.txt": "a\n" }, "add a");
    const verdict = await requestLand(ctx, id(1));
    expect(verdict).toMatchObject({ state: "landed", worker: id(1), target: "feature/e", commits: [sha] });
    expect(gitIn(root, "rev-parse", "feature/e")).toBe(sha);
    expect((await ctx.issues.get(id(1))).status).toBe("complete");
    expect(await readWorkerStatus(w.worktree)).toMatchObject({ status: "done" });
    const again = await requestLand(ctx, id(1));
    expect(again).toMatchObject({ state: "landed", commits: [sha] });
    expect(gitIn(root, "rev-list", "--count", "feature/e")).toBe("2");
  });

  it("rebases onto a target that moved, keeping history linear", async () => {
    const { root, ctx } = await setup(2);
    const a = await makeWorker(ctx, id(1));
    const b = await makeWorker(ctx, id(2));
    commitIn(a.worktree, { "a.txt": "a\n" });
    commitIn(b.worktree, { "b.txt": "b\n" });
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    const second = await requestLand(ctx, id(2));
    expect(second.state).toBe("landed");
    expect(gitIn(root, "log", "--format=%s", "feature/e")).toBe("work\nwork\ninitial");
    expect(gitIn(root, "rev-list", "--merges", "--count", "feature/e")).toBe("0");
    expect(gitIn(root, "show", "feature/e:a.txt")).toBe("a");
  });

  it("a conflict blocks the worker with the files named, and the target does not move", async () => {
    const { root, ctx } = await setup(2);
    const a = await makeWorker(ctx, id(1));
    const b = await makeWorker(ctx, id(2));
    commitIn(a.worktree, { "shared.txt": "line 1\nA\nline 3\n" });
    commitIn(b.worktree, { "shared.txt": "line 1\nB\nline 3\n" });
    expect(await checkConflicts(ctx, id(2))).toEqual({
      target: [],
      workers: [{ name: id(1), files: ["shared.txt"] }],
    });
    await requestLand(ctx, id(1));
    expect((await checkConflicts(ctx, id(2))).target).toEqual(["shared.txt"]);
    const tip = gitIn(root, "rev-parse", "feature/e");
    const verdict = await requestLand(ctx, id(2));
    expect(verdict).toMatchObject({ state: "blocked", conflicts: ["shared.txt"] });
    expect(verdict.reason).toContain("conflicts with feature/e in shared.txt");
    expect(gitIn(root, "rev-parse", "feature/e")).toBe(tip);
    expect((await ctx.issues.get(id(2))).status).toBe("blocked");
    expect((await readWorkerStatus(b.worktree))?.message).toContain("shared.txt");
    expect(gitIn(b.worktree, "status", "--porcelain")).toBe("");
    // The worker resolves in its worktree and lands again.
    try {
      gitIn(b.worktree, "rebase", "feature/e");
    } catch {}
    writeFileSync(join(b.worktree, "shared.txt"), "line 1\nA\nB\nline 3\n");
    gitIn(b.worktree, "add", "shared.txt");
    gitIn(b.worktree, "-c", "core.editor=true", "rebase", "--continue");
    expect((await requestLand(ctx, id(2))).state).toBe("landed");
    expect(gitIn(root, "show", "feature/e:shared.txt")).toBe("line 1\nA\nB\nline 3");
  });

  it("conflicts on a file deleted on one side, and on binary files, are reported too", async () => {
    const { ctx } = await setup(4);
    const [a, b, c, d] = [
      await makeWorker(ctx, id(1)),
      await makeWorker(ctx, id(2)),
      await makeWorker(ctx, id(3)),
      await makeWorker(ctx, id(4)),
    ];
    gitIn(a.worktree, "rm", "-q", "shared.txt");
    gitIn(a.worktree, "commit", "-q", "-m", "delete");
    commitIn(b.worktree, { "shared.txt": "changed\n" });
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    expect(await requestLand(ctx, id(2))).toMatchObject({ state: "blocked", conflicts: ["shared.txt"] });
    commitIn(c.worktree, { "img.bin": "\u0000\u0001binary-one\u0000" });
    commitIn(d.worktree, { "img.bin": "\u0000\u0002binary-two\u0000" });
    expect((await requestLand(ctx, id(3))).state).toBe("landed");
    expect(await requestLand(ctx, id(4))).toMatchObject({ state: "blocked", conflicts: ["img.bin"] });
  });

  it("refuses uncommitted work, commits on a detached HEAD, no commits, and a missing target — clearly", async () => {
    const { root, ctx } = await setup(3);
    const a = await makeWorker(ctx, id(1));
    await expect(requestLand(ctx, id(1))).rejects.toThrow(
      /has no commits that are not already on feature\/e/,
    );
    writeFileSync(join(a.worktree, "dirty.txt"), "x");
    await expect(requestLand(ctx, id(1))).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "uncommitted changes in dirty.txt",
    });
    const b = await makeWorker(ctx, id(2));
    commitIn(b.worktree, { "b.txt": "b" });
    // Work committed on a detached HEAD is not on the branch: refused, with the command that puts it there.
    gitIn(b.worktree, "checkout", "-q", "--detach");
    const detached = commitIn(b.worktree, { "b2.txt": "b2" });
    await expect(requestLand(ctx, id(2))).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringContaining(`detached at ${detached.slice(0, 10)}`),
      hint: expect.stringContaining(
        `git switch _jig/${id(2)} && git merge --ff-only ${detached.slice(0, 10)}`,
      ),
    });
    // A HEAD detached where the branch is (nothing of the worker's off the branch) lands the branch.
    gitIn(b.worktree, "checkout", "-q", "--detach", `_jig/${id(2)}`);
    expect(await requestLand(ctx, id(2))).toMatchObject({ state: "landed" });
    const c = await makeWorker(ctx, id(3));
    commitIn(c.worktree, { "c.txt": "c" });
    gitIn(root, "branch", "-D", "feature/e");
    await expect(requestLand(ctx, id(3))).rejects.toThrow(/target branch 'feature\/e' does not exist/);
  });

  it("keeps a human's clean checkout of the target in step, and refuses while it is dirty", async () => {
    const { root, ctx } = await setup(2);
    gitIn(root, "checkout", "-q", "feature/e");
    const a = await makeWorker(ctx, id(1));
    commitIn(a.worktree, { "a.txt": "a\n" });
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    expect(readFileSync(join(root, "a.txt"), "utf8")).toBe("a\n");
    expect(gitIn(root, "status", "--porcelain", "--untracked-files=no", "--", ".", ":!issues")).toBe("");
    writeFileSync(join(root, "README.md"), "edited by the human\n");
    const b = await makeWorker(ctx, id(2));
    commitIn(b.worktree, { "b.txt": "b\n" });
    const verdict = await requestLand(ctx, id(2));
    expect(verdict.state).toBe("blocked");
    expect(verdict.reason).toContain("checked out in the main worktree with uncommitted changes (README.md");
  });

  it("with a gate, lands a batch and finds the one bad branch by bisection in ~log2(N) gate runs", async () => {
    const count = 8;
    const runs = join(tempDir(), "gate-runs.log");
    // The gate fails when bad.txt exists; it counts its runs.
    const gate = `echo run >> ${runs}; test ! -f bad.txt`;
    const { root, ctx } = await setup(count, { gate: { command: gate, timeoutSeconds: 30 } });
    const workers = [];
    for (let i = 1; i <= count; i++) {
      const w = await makeWorker(ctx, id(i));
      commitIn(w.worktree, {
        [`f${i}.txt`]: `${i}\n`,
        ...(i === 6 ? { "bad.txt": "breaks the gate\n" } : {}),
      });
      workers.push(w);
    }
    // Queue them all, then let one driver take the whole queue as a batch.
    const verdicts = await Promise.all(
      workers.map((_, i) => requestLand(ctx, id(i + 1), { waitMs: 60_000 })),
    );
    await settleDrivers();
    const states = verdicts.map((v) => v.state);
    expect(
      states.filter((s) => s === "landed"),
      JSON.stringify(verdicts, null, 1),
    ).toHaveLength(count - 1);
    expect(verdicts[5]).toMatchObject({ state: "blocked" });
    expect(verdicts[5]!.reason).toContain("gate");
    const gateRuns = readFileSync(runs, "utf8").trim().split("\n").length;
    expect(gateRuns).toBeLessThanOrEqual(2 * (Math.ceil(Math.log2(count)) + 1));
    expect(gateRuns).toBeLessThan(count);
    expect(gitIn(root, "ls-tree", "--name-only", "feature/e").split("\n")).not.toContain("bad.txt");
  });

  it("a branch that conflicts only with a batch-mate the gate then refuses is landed, not blocked", async () => {
    // The gate refuses whatever contains bad.txt; both branches edit line 2 of shared.txt.
    const { root, ctx } = await setup(2, { gate: { command: "test ! -f bad.txt", timeoutSeconds: 30 } });
    const a = await makeWorker(ctx, id(1));
    const b = await makeWorker(ctx, id(2));
    commitIn(a.worktree, { "shared.txt": "line 1\nA\nline 3\n", "bad.txt": "x\n" });
    commitIn(b.worktree, { "shared.txt": "line 1\nB\nline 3\n" }, "b");
    // Queued in this order before anyone drives, so one batch takes a, then b onto a.
    await enqueue(ctx.paths, id(1), "feature/e");
    await enqueue(ctx.paths, id(2), "feature/e");
    const [va, vb] = await Promise.all([
      requestLand(ctx, id(1), { waitMs: 60_000 }),
      requestLand(ctx, id(2), { waitMs: 60_000 }),
    ]);
    await settleDrivers();
    expect(va).toMatchObject({ state: "blocked" });
    expect(va!.reason).toContain("gate");
    expect(vb, JSON.stringify(vb)).toMatchObject({ state: "landed", commits: [expect.any(String)] });
    expect(gitIn(root, "show", "feature/e:shared.txt")).toContain("B");
    expect(gitIn(root, "log", "--format=%s", "feature/e").split("\n")[0]).toBe("b");
  });

  it("a gate that hangs is killed at its timeout, with its process tree", async () => {
    const { ctx } = await setup(1, { gate: { command: "sleep 300 & sleep 300", timeoutSeconds: 1 } });
    const w = await makeWorker(ctx, id(1));
    commitIn(w.worktree, { "a.txt": "a" });
    const verdict = await requestLand(ctx, id(1), { waitMs: 30_000 });
    expect(verdict.state).toBe("blocked");
    expect(verdict.reason).toContain("gate timed out after 1s");
  });

  it("a gate that floods its output keeps only the tail", async () => {
    const { ctx } = await setup(1, {
      gate: { command: "yes flood | head -c 5000000; echo LAST-LINE; exit 1", timeoutSeconds: 30 },
    });
    const w = await makeWorker(ctx, id(1));
    commitIn(w.worktree, { "a.txt": "a" });
    const verdict = await requestLand(ctx, id(1), { waitMs: 30_000 });
    expect(verdict.state).toBe("blocked");
    expect(verdict.reason!.length).toBeLessThan(10_000);
    expect(verdict.reason).toContain("LAST-LINE");
  });
});

describe("remote mode", () => {
  it("pushes with a lease to a bare remote and retries when the remote moved", async () => {
    const { root, ctx: local } = await setup(2, { remote: "origin" });
    const bare = tempDir("jig-bare-");
    gitIn(bare, "init", "-q", "--bare", "-b", "main");
    gitIn(root, "remote", "add", "origin", bare);
    gitIn(root, "push", "-q", "origin", "main", "feature/e");
    const ctx = await openContext({ root });
    const a = await makeWorker(ctx, id(1));
    commitIn(a.worktree, { "a.txt": "a\n" });
    // Someone else pushes to the target from another clone first.
    const other = tempDir("jig-clone-");
    gitIn(other, "clone", "-q", "-b", "feature/e", bare, ".");
    gitIn(other, "config", "user.email", "o@o");
    gitIn(other, "config", "user.name", "o");
    writeFileSync(join(other, "other.txt"), "from another machine\n");
    gitIn(other, "add", "-A");
    gitIn(other, "commit", "-q", "-m", "other machine");
    gitIn(other, "push", "-q", "origin", "feature/e");
    const verdict = await requestLand(ctx, id(1));
    expect(verdict.state).toBe("landed");
    expect(gitIn(bare, "log", "--format=%s", "feature/e")).toBe("work\nother machine\ninitial");
    // The local branch was behind: it followed, with the remote-tracking ref, in one ref transaction.
    const remoteTip = gitIn(bare, "rev-parse", "feature/e");
    expect(gitIn(root, "rev-parse", "feature/e", "origin/feature/e")).toBe(`${remoteTip}\n${remoteTip}`);
    void local;
  });

  it("a local target with a human's own commit stays as it is; the land goes to the remote", async () => {
    const { root } = await setup(1, { remote: "origin" });
    const bare = tempDir("jig-bare-");
    gitIn(bare, "init", "-q", "--bare", "-b", "main");
    gitIn(root, "remote", "add", "origin", bare);
    gitIn(root, "push", "-q", "origin", "main", "feature/e");
    const ctx = await openContext({ root });
    const a = await makeWorker(ctx, id(1));
    commitIn(a.worktree, { "a.txt": "a\n" }, "a");
    gitIn(root, "checkout", "-q", "feature/e");
    const human = commitIn(root, { "mine.txt": "not pushed\n" }, "human, not pushed");
    gitIn(root, "checkout", "-q", "main");
    expect(await requestLand(ctx, id(1))).toMatchObject({ state: "landed" });
    expect(gitIn(bare, "log", "--format=%s", "feature/e")).toBe("a\ninitial");
    expect(gitIn(root, "rev-parse", "feature/e")).toBe(human);
    expect(gitIn(root, "rev-parse", "origin/feature/e")).toBe(gitIn(bare, "rev-parse", "feature/e"));
  });
});

describe("the landing queue", () => {
  it("serves the oldest waiting work first: commits land in the order their lands were queued", async () => {
    const { root, ctx } = await setup(3);
    const workers = await Promise.all([1, 2, 3].map((n) => makeWorker(ctx, id(n))));
    for (const [i, w] of workers.entries())
      commitIn(w.worktree, { [`f${i + 1}.txt`]: "x\n" }, `work ${i + 1}`);
    // Queued 3, then 1, then 2 — not in name order — and driven by 2's request.
    for (const n of [3, 1]) await enqueue(ctx.paths, id(n), "feature/e");
    expect(await requestLand(ctx, id(2))).toMatchObject({ state: "landed" });
    await settleDrivers();
    const log = gitIn(root, "log", "--reverse", "--format=%s", "feature/e").split("\n");
    expect(log.slice(-3)).toEqual(["work 3", "work 1", "work 2"]);
  });
});
