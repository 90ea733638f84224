import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { JigError } from "../errors.js";
import { mkdirState } from "../lib/fs.js";
import { git, gitRun } from "../lib/git.js";
import { withLock } from "../lib/lock.js";
import type { JigContext } from "./context.js";
import { branchCommit, type DiffStat, diffStat as diffStatIn } from "./git-ops.js";
import { assertSafeId } from "./ids.js";

// Worker worktrees live under .jig/worktrees/<name>, each on its own `_jig/<name>` branch.
// Creating and removing them is serialized across processes: two `git worktree add` at once can read
// each other's half-written admin directory ("failed to read .git/worktrees/<other>/commondir"), and a
// `worktree prune` can delete it.
export const worktreeLock = (ctx: JigContext): string => join(ctx.paths.locksDir, "worktrees");

export const workerBranch = (name: string): string => `_jig/${assertSafeId(name, "worker name")}`;
export const worktreePath = (ctx: JigContext, name: string): string =>
  join(ctx.paths.worktreesDir, assertSafeId(name, "worker name"));

/**
 * Creates the worktree and its branch (default `_jig/<name>`) from `from`; reuses both when they already
 * exist (a respawn).
 */
export async function createWorktree(
  ctx: JigContext,
  options: { name: string; from: string; branch?: string },
): Promise<{ path: string; branch: string; created: boolean }> {
  const path = worktreePath(ctx, options.name);
  const branch = options.branch ?? workerBranch(options.name);
  if (existsSync(join(path, ".git"))) return { path, branch, created: false };
  return withLock(worktreeLock(ctx), () => addWorktree(ctx, path, branch, options.from));
}

async function addWorktree(
  ctx: JigContext,
  path: string,
  branch: string,
  from: string,
): Promise<{ path: string; branch: string; created: boolean }> {
  const root = ctx.paths.root;
  if (existsSync(join(path, ".git"))) return { path, branch, created: false };
  await mkdirState(ctx.paths.worktreesDir);
  await git(root, ["worktree", "prune"]);
  const exists = (await branchCommit(root, branch)) !== null;
  if (!exists && (await branchCommit(root, from)) === null) {
    throw new JigError("PRECONDITION_FAILED", `branch '${from}' does not exist`, {
      hint: "run `jig plan` first (it creates the target branch), or create the branch",
    });
  }
  const args = exists ? ["worktree", "add", path, branch] : ["worktree", "add", "-b", branch, path, from];
  await git(root, args);
  return { path, branch, created: true };
}

/** Removes a worker's worktree (forcefully: it is jig's scratch space) and optionally its branch. */
export async function removeWorktree(
  ctx: JigContext,
  name: string,
  options: { deleteBranch: boolean },
): Promise<void> {
  const path = worktreePath(ctx, name);
  await withLock(worktreeLock(ctx), async () => {
    if (existsSync(path)) {
      const out = await gitRun(ctx.paths.root, ["worktree", "remove", "--force", "--force", path]);
      if (out.exitCode !== 0) await rm(path, { recursive: true, force: true });
    }
    await gitRun(ctx.paths.root, ["worktree", "prune"]);
  });
  if (options.deleteBranch) await gitRun(ctx.paths.root, ["branch", "-D", workerBranch(name)]);
}

/** Worktrees (other than jig's own) that have `branch` checked out. */
export async function worktreesWithBranch(ctx: JigContext, branch: string): Promise<string[]> {
  const out = await git(ctx.paths.root, ["worktree", "list", "--porcelain"]);
  const paths: string[] = [];
  let current = "";
  for (const line of out.split("\n")) {
    if (line.startsWith("worktree ")) current = line.slice(9);
    if (line === `branch refs/heads/${branch}` && !current.startsWith(ctx.paths.worktreesDir))
      paths.push(current);
  }
  return paths;
}

/** Lines added/removed and files changed on `to` since it forked from `from` (the contract's shape). */
export async function diffStat(ctx: JigContext, options: { from: string; to: string }): Promise<DiffStat> {
  return diffStatIn(ctx.paths.root, options.from, options.to);
}
