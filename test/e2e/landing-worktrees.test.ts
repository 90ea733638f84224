import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { requestLand, settleDrivers } from "../../src/core/landing/index.js";
import { gitIn, gitRepo, testEnv } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";

// Landing never touches anyone's working tree. (a) A worker's worktree held by another git process
// (index.lock) or left mid-rebase (a stale rebase-merge/) does not stop its land — the branch ref lands,
// the worktree is left exactly as it was. (b) A human's checkout of the target is never left with staged
// reversals and no human file is overwritten or deleted: dirty, untracked files in the way, mid-rebase,
// and a driver killed between moving the target and updating the checkout.

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "land-worker.mjs");
const id = (n: number) => `e-${String(n).padStart(2, "0")}-t${n}`;

function landInProcess(root: string, worker: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [FIXTURE, root, worker], {
      env: { ...process.env, ...testEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.stderr.on("data", (chunk) => {
      out += chunk;
    });
    child.on("exit", (code, signal) => resolve({ code, signal, out }));
  });
}

async function setup(count: number, config: Record<string, unknown> = {}) {
  const files: Record<string, string> = { "README.md": "# r\n", ...epicFiles("e", count) };
  if (Object.keys(config).length) files["jig.json"] = JSON.stringify(config);
  const root = gitRepo(files);
  gitIn(root, "branch", "feature/e");
  const ctx = await openContext({ root });
  const workers = [];
  for (let i = 1; i <= count; i++) workers.push(await makeWorker(ctx, id(i)));
  return { root, ctx, workers };
}

const gitDirOf = (worktree: string) => gitIn(worktree, "rev-parse", "--absolute-git-dir");
/** Staged changes in a checkout, ignoring jig's own issue files. */
const staged = (root: string) => gitIn(root, "diff", "--cached", "--name-status", "--", ".", ":!issues");

/** What a worktree looks like to its agent: HEAD, branch, status, and the git admin files present. */
function snapshot(worktree: string) {
  const dir = gitDirOf(worktree);
  return {
    head: gitIn(worktree, "rev-parse", "HEAD"),
    status: gitIn(worktree, "status", "--porcelain"),
    admin: ["index.lock", "rebase-merge"].filter((f) => existsSync(join(dir, f))),
  };
}

describe("a worker's worktree is the agent's: the land uses only its branch", () => {
  it("lands while another git process holds the worktree's index.lock, and leaves the lock and worktree alone", async () => {
    const { root, ctx, workers } = await setup(2);
    const [a, b] = workers as unknown as [{ worktree: string }, { worktree: string }];
    commitIn(a.worktree, { "a.txt": "a\n" }, "a");
    const mine = commitIn(b.worktree, { "b.txt": "b\n" }, "b");
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    // The target moved, so b's branch must be rebased — while its index is locked by someone else.
    writeFileSync(join(gitDirOf(b.worktree), "index.lock"), "");
    const before = snapshot(b.worktree);
    expect(before.admin).toEqual(["index.lock"]);
    const verdict = await requestLand(ctx, id(2));
    expect(verdict, JSON.stringify(verdict)).toMatchObject({ state: "landed", head: mine });
    expect(gitIn(root, "log", "--format=%s", "feature/e")).toBe("b\na\ninitial");
    expect(gitIn(root, "show", "feature/e:b.txt")).toBe("b");
    // The worktree and the branch are exactly as the agent left them; the verdict names the new commit.
    expect(snapshot(b.worktree)).toEqual(before);
    expect(gitIn(root, "rev-parse", `_jig/${id(2)}`)).toBe(mine);
    expect(verdict.commits).toEqual([gitIn(root, "rev-parse", "feature/e")]);
    // Asking again answers the same, and lands nothing twice.
    expect(await requestLand(ctx, id(2))).toMatchObject({ state: "landed", commits: verdict.commits });
    expect(gitIn(root, "rev-list", "--count", "feature/e")).toBe("3");
  });

  it("lands while a stale rebase-merge/ directory sits in the worktree (a rebase someone else left)", async () => {
    const { root, ctx, workers } = await setup(2);
    const [a, b] = workers as unknown as [{ worktree: string }, { worktree: string }];
    commitIn(a.worktree, { "a.txt": "a\n" }, "a");
    const mine = commitIn(b.worktree, { "b.txt": "b\n" }, "b");
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    mkdirSync(join(gitDirOf(b.worktree), "rebase-merge"));
    writeFileSync(join(gitDirOf(b.worktree), "index.lock"), "");
    const before = snapshot(b.worktree);
    expect(before.admin).toEqual(["index.lock", "rebase-merge"]);
    const verdict = await requestLand(ctx, id(2));
    expect(verdict, JSON.stringify(verdict)).toMatchObject({ state: "landed", head: mine });
    expect(gitIn(root, "show", "feature/e:b.txt")).toBe("b");
    expect(snapshot(b.worktree)).toEqual(before);
  });

  it("a worker that keeps committing after a land lands only its new commits next time", async () => {
    const { root, ctx, workers } = await setup(2);
    const [a, b] = workers as unknown as [{ worktree: string }, { worktree: string }];
    commitIn(a.worktree, { "a.txt": "a\n" }, "a");
    commitIn(b.worktree, { "b.txt": "b\n" }, "b1");
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    expect((await requestLand(ctx, id(2))).state).toBe("landed");
    commitIn(b.worktree, { "b.txt": "b, more\n" }, "b2");
    const again = await requestLand(ctx, id(2));
    expect(again.state).toBe("landed");
    expect(again.commits).toHaveLength(1);
    expect(gitIn(root, "log", "--format=%s", "feature/e")).toBe("b2\nb1\na\ninitial");
  });
});

describe("a human's checkout of the target: never staged reversals, never a file lost", () => {
  it("an untracked file where the land adds one: refused, naming the file; the file, the target and the index untouched", async () => {
    const { root, ctx, workers } = await setup(1);
    gitIn(root, "checkout", "-q", "feature/e");
    const tip = gitIn(root, "rev-parse", "feature/e");
    commitIn(workers[0]!.worktree, { "new.txt": "from the worker\n" });
    writeFileSync(join(root, "new.txt"), "the human's own\n");
    const verdict = await requestLand(ctx, id(1));
    expect(verdict.state).toBe("blocked");
    expect(verdict.reason).toContain("new.txt");
    expect(verdict.reason).toContain(root);
    expect(readFileSync(join(root, "new.txt"), "utf8")).toBe("the human's own\n");
    expect(gitIn(root, "rev-parse", "feature/e")).toBe(tip);
    expect(staged(root)).toBe("");
    // The human moves the file away: the land goes through and the checkout follows, clean.
    rmSync(join(root, "new.txt"));
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    expect(readFileSync(join(root, "new.txt"), "utf8")).toBe("from the worker\n");
    expect(staged(root)).toBe("");
    expect(gitIn(root, "status", "--porcelain", "--", ".", ":!issues")).toBe("");
  });

  it("a dirty issue file the landed commit changes: refused, the human's edit kept", async () => {
    const { root, ctx, workers } = await setup(1, { allowJigPaths: ["e"] });
    gitIn(root, "checkout", "-q", "feature/e");
    const epicFile = join(root, "issues", "e.md");
    commitIn(workers[0]!.worktree, {
      "issues/e.md": "---\ntarget: feature/e\n---\n# Epic e, by the worker\n",
    });
    writeFileSync(epicFile, "---\ntarget: feature/e\n---\n# Epic e, edited by the human\n");
    const verdict = await requestLand(ctx, id(1));
    expect(verdict.state).toBe("blocked");
    expect(verdict.reason).toContain("issues/e.md");
    expect(readFileSync(epicFile, "utf8")).toContain("edited by the human");
    expect(staged(root)).toBe("");
  });

  it("a dirty checkout is refused; the human's change, the index and the target untouched", async () => {
    const { root, ctx, workers } = await setup(1);
    gitIn(root, "checkout", "-q", "feature/e");
    const tip = gitIn(root, "rev-parse", "feature/e");
    commitIn(workers[0]!.worktree, { "README.md": "# r, by the worker\n" });
    writeFileSync(join(root, "README.md"), "# r, by the human\n");
    const verdict = await requestLand(ctx, id(1));
    expect(verdict).toMatchObject({ state: "blocked", checkout: root });
    expect(readFileSync(join(root, "README.md"), "utf8")).toBe("# r, by the human\n");
    expect(gitIn(root, "rev-parse", "feature/e")).toBe(tip);
    expect(staged(root)).toBe("");
  });

  it("a checkout in the middle of rebasing the target: refused with what to do; after the abort, it lands", async () => {
    const { root, ctx, workers } = await setup(1);
    gitIn(root, "checkout", "-q", "-b", "other");
    commitIn(root, { "README.md": "# other\n" }, "other");
    gitIn(root, "checkout", "-q", "feature/e");
    commitIn(root, { "README.md": "# human\n" }, "human");
    try {
      gitIn(root, "rebase", "other");
    } catch {}
    expect(existsSync(join(root, ".git", "rebase-merge"))).toBe(true);
    const tip = gitIn(root, "rev-parse", "feature/e");
    commitIn(workers[0]!.worktree, { "w.txt": "w\n" });
    const verdict = await requestLand(ctx, id(1));
    expect(verdict.state).toBe("blocked");
    expect(verdict.reason).toContain("being rebased");
    expect(verdict.reason).toContain("git rebase --abort");
    expect(gitIn(root, "rev-parse", "feature/e")).toBe(tip);
    gitIn(root, "rebase", "--abort");
    expect(staged(root)).toBe("");
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    expect(readFileSync(join(root, "w.txt"), "utf8")).toBe("w\n");
    expect(readFileSync(join(root, "README.md"), "utf8")).toBe("# human\n");
    expect(staged(root)).toBe("");
  });

  it("SIGKILL after the target moved, before the checkout followed: the next land brings the checkout along", async () => {
    const { root, ctx, workers } = await setup(1);
    gitIn(root, "checkout", "-q", "feature/e");
    const sha = commitIn(workers[0]!.worktree, { "w.txt": "w\n" });
    const crashed = await landInProcess(root, id(1), { JIG_TEST_CRASH_AT: "after-cas" });
    expect(crashed.signal, crashed.out).toBe("SIGKILL");
    expect(gitIn(root, "rev-parse", "feature/e")).toBe(sha);
    const verdict = await requestLand(ctx, id(1), { waitMs: 30_000 });
    await settleDrivers();
    expect(verdict).toMatchObject({ state: "landed", tip: sha });
    expect(readFileSync(join(root, "w.txt"), "utf8")).toBe("w\n");
    expect(staged(root)).toBe("");
  });

  it("SIGKILL after the target moved, and the human put a file in the way meanwhile: the target goes back, the file stays", async () => {
    const { root, ctx, workers } = await setup(1);
    gitIn(root, "checkout", "-q", "feature/e");
    const tip = gitIn(root, "rev-parse", "feature/e");
    commitIn(workers[0]!.worktree, { "w.txt": "w\n" });
    const crashed = await landInProcess(root, id(1), { JIG_TEST_CRASH_AT: "after-cas" });
    expect(crashed.signal, crashed.out).toBe("SIGKILL");
    writeFileSync(join(root, "w.txt"), "the human's\n");
    const verdict = await requestLand(ctx, id(1), { waitMs: 30_000 });
    await settleDrivers();
    expect(verdict.state).toBe("blocked");
    expect(verdict.reason).toContain("w.txt");
    expect(gitIn(root, "rev-parse", "feature/e")).toBe(tip);
    expect(readFileSync(join(root, "w.txt"), "utf8")).toBe("the human's\n");
    expect(staged(root)).toBe("");
  });
});

describe("hooks never run where jig runs git for itself", () => {
  it("hanging reference-transaction and post-checkout hooks wedge neither spawn (worktree add) nor land", async () => {
    const files = { "README.md": "# r\n", ...epicFiles("e", 1) };
    const root = gitRepo(files);
    gitIn(root, "branch", "feature/e");
    const marker = join(root, ".git", "hook-ran");
    for (const hook of ["reference-transaction", "post-checkout", "pre-commit", "post-rewrite"]) {
      const file = join(root, ".git", "hooks", hook);
      writeFileSync(file, `#!/bin/sh\necho ${hook} >> ${marker}\nsleep 300\n`);
      chmodSync(file, 0o755);
    }
    const ctx = await openContext({ root });
    const w = await makeWorker(ctx, id(1));
    // The test's own commit runs with hooks off too (it is the agent's business, not jig's).
    writeFileSync(join(w.worktree, "a.txt"), "a\n");
    gitIn(w.worktree, "add", "a.txt");
    gitIn(w.worktree, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "a");
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    expect(existsSync(marker)).toBe(false);
  });
});
