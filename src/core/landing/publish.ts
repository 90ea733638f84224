import { gitRun } from "../../lib/git.js";
import type { JigContext } from "../context.js";
import { branchCommit, isAncestor, resolveCommit, updateBranchCAS } from "../git-ops.js";

// Reading and moving the target: the local branch by compare-and-swap, or — when jig.json names a
// remote — a push with a lease (rejected if the remote moved), then the local refs.

/** The target's tip to build on: the remote's (fetched now) when jig.json names one, else the local branch. */
export async function targetTip(
  ctx: JigContext,
  target: string,
): Promise<{ base: string | null; remoteHas: boolean }> {
  const root = ctx.paths.root;
  const remote = ctx.config.remote;
  if (!remote) return { base: await branchCommit(root, target), remoteHas: false };
  await gitRun(root, ["fetch", "--quiet", remote, `+refs/heads/${target}:refs/remotes/${remote}/${target}`]);
  const remoteTip = await resolveCommit(root, `refs/remotes/${remote}/${target}`);
  return { base: remoteTip ?? (await branchCommit(root, target)), remoteHas: remoteTip !== null };
}

/** Moves the target from `base` to `next`; false when someone else moved it first (nothing changed). */
export async function publish(
  ctx: JigContext,
  target: string,
  base: string,
  next: string,
  remoteHas: boolean,
  reason: string,
): Promise<boolean> {
  const root = ctx.paths.root;
  const remote = ctx.config.remote;
  if (!remote) return updateBranchCAS(root, target, next, base, reason);
  const pushed = await gitRun(root, [
    "push",
    "--quiet",
    "--porcelain",
    `--force-with-lease=refs/heads/${target}:${remoteHas ? base : ""}`,
    remote,
    `${next}:refs/heads/${target}`,
  ]);
  if (pushed.exitCode !== 0) return false;
  await gitRun(root, ["update-ref", `refs/remotes/${remote}/${target}`, next]);
  // The local branch follows when it is behind (a human's own commits on it are never dropped).
  const local = await branchCommit(root, target);
  if (local === null || (await isAncestor(root, local, next)))
    await gitRun(root, ["update-ref", `refs/heads/${target}`, next, ...(local ? [local] : [])]);
  return true;
}

/** Puts the local target back from `next` to `base` (a checkout could not follow the move). */
export async function unpublishLocal(
  ctx: JigContext,
  target: string,
  next: string,
  base: string,
): Promise<boolean> {
  return updateBranchCAS(
    ctx.paths.root,
    target,
    base,
    next,
    "jig land: undone, a checkout of the target could not follow",
  );
}
