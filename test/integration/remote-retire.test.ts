import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { ADMIN } from "../../src/core/identity.js";
import { abandonTask, retireWorker } from "../../src/core/lifecycle.js";
import { remoteStatusDir } from "../../src/core/remote-work.js";
import { runCli } from "../helpers/cli.js";
import { gitIn, gitRepo, tempDir, writeFiles } from "../helpers/repo.js";
import { epicFiles } from "../helpers/workers.js";

// A remote worker retired by `jig merge --force` after the merge abandoned its task: the abandon kept
// what the worker had pushed, and the worker pushed again as it stopped (its last push when its agent
// ends). The retirement must keep that newer push before it deletes the worker's ref on the remote.

const NAME = "ep-01-t1";

async function coordinatorWithRemoteWorker() {
  const root = gitRepo({ ...epicFiles("ep", 1), "jig.json": JSON.stringify({ remote: "origin" }) });
  expect(runCli(root, ["init"]).code).toBe(0);
  gitIn(root, "branch", "feature/ep");
  gitIn(root, "branch", `_jig/${NAME}`, "feature/ep");
  const bare = join(tempDir("jig-shared-"), "shared.git");
  execFileSync("git", ["init", "-q", "--bare", bare]);
  gitIn(root, "remote", "add", "origin", `file://${bare}`);
  gitIn(root, "push", "-q", "origin", "feature/ep");
  const ctx = await openContext({ root });
  await ctx.workers.save({
    name: NAME,
    kind: "task",
    issue: NAME,
    epic: "ep",
    branch: `_jig/${NAME}`,
    target: "feature/ep",
    worktree: remoteStatusDir(ctx.paths, NAME),
    agent: "scripted",
    pid: null,
    started: new Date().toISOString(),
    logPath: join(ctx.paths.logsDir, `${NAME}.log`),
    exited: { code: 0, signal: null, at: new Date().toISOString() },
    attempt: 1,
    usage: null,
    launcher: "command",
  });
  await ctx.issues.update(NAME, () => ({ assigned: NAME, status: "in-progress" }));
  // The worker's machine: its own clone, pushing its branch to refs/jig/workers/<name>.
  const clone = tempDir("jig-worker-clone-");
  gitIn(clone, "clone", "-q", "--branch", "feature/ep", `file://${bare}`, ".");
  gitIn(clone, "config", "user.name", "w");
  gitIn(clone, "config", "user.email", "w@remote");
  const push = (file: string) => {
    writeFiles(clone, { [file]: `${file}\n` });
    gitIn(clone, "add", "-A");
    gitIn(clone, "commit", "-q", "-m", `worker: ${file}`);
    gitIn(clone, "push", "-q", "origin", `+HEAD:refs/jig/workers/${NAME}`);
  };
  return { ctx, root, bare, push };
}

describe("retiring a remote worker after an abandon", () => {
  it("keeps a push made after the abandon, then deletes the ref on the remote", async () => {
    const { ctx, root, bare, push } = await coordinatorWithRemoteWorker();
    push("before.txt");
    const abandoned = await abandonTask(ctx, ADMIN, NAME, "merged with --force before it landed");
    expect(abandoned.kept.map((k) => k.commits.map((c) => c.subject))).toEqual([["worker: before.txt"]]);
    push("after.txt"); // its final push, as it stopped
    const record = await ctx.workers.require(NAME);
    const retired = await retireWorker(ctx, ADMIN, record, "merge", { keep: false });
    expect(retired.kept?.commits.map((c) => c.subject)).toEqual(["worker: after.txt", "worker: before.txt"]);
    expect(gitIn(root, "log", "-1", "--format=%s", retired.kept!.ref)).toBe("worker: after.txt");
    expect(retired.notes).toEqual([]);
    expect(gitIn(bare, "for-each-ref", "refs/jig/workers/")).toBe("");
  });

  it("keeps nothing twice: with no push since the abandon, its backup stands and the ref is deleted", async () => {
    const { ctx, root, bare, push } = await coordinatorWithRemoteWorker();
    push("before.txt");
    await abandonTask(ctx, ADMIN, NAME);
    const record = await ctx.workers.require(NAME);
    const retired = await retireWorker(ctx, ADMIN, record, "merge", { keep: false });
    expect(retired.kept).toBeNull();
    expect(
      gitIn(root, "for-each-ref", "--format=%(refname)", `refs/jig/backup/${NAME}/`).split("\n"),
    ).toHaveLength(1);
    expect(gitIn(bare, "for-each-ref", "refs/jig/workers/")).toBe("");
  });
});
