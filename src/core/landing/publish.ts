import { git, gitRun } from "../../lib/git.js";
import type { JigContext } from "../context.js";
import { isAncestor, updateBranchCAS } from "../git-ops.js";

// Reading and moving the target: the local branch by compare-and-swap, or — when jig.json names a
// remote — a push with a lease (rejected if the remote moved), then the local refs.

export interface TargetRefs {
  /** The target's tip to build on: the remote's (fetched now) when jig.json names one, else the local branch. */
  base: string | null;
  remoteHas: boolean;
  /** The local target branch (null: none). */
  local: string | null;
  /** Every local branch's tip (the batch's branches are read from here). */
  branches: Map<string, string>;
}

/** The target and every branch, read by one `for-each-ref` (after a fetch of the target when there is a remote). */
export async function targetTip(ctx: JigContext, target: string): Promise<TargetRefs> {
  const root = ctx.paths.root;
  const remote = ctx.config.remote;
  const tracking = remote ? `refs/remotes/${remote}/${target}` : null;
  if (remote) await gitRun(root, ["fetch", "--quiet", remote, `+refs/heads/${target}:${tracking}`]);
  const refs = await commitRefs(root, ["refs/heads/", ...(tracking ? [tracking] : [])]);
  const branches = new Map<string, string>();
  for (const [ref, commit] of refs)
    if (ref.startsWith("refs/heads/")) branches.set(ref.slice("refs/heads/".length), commit);
  const local = branches.get(target) ?? null;
  const remoteTip = tracking ? (refs.get(tracking) ?? null) : null;
  return { base: remoteTip ?? local, remoteHas: remoteTip !== null, local, branches };
}

/**
 * Moves the target from `base` to `next`; `moved` false when someone else moved it first (nothing
 * changed). With a remote, the local branch (`local`, read before) follows in the same ref transaction
 * as the remote-tracking ref when it is behind — a human's own commits on it are never dropped.
 */
export async function publish(
  ctx: JigContext,
  target: string,
  base: string,
  next: string,
  remote: { has: boolean; local: string | null },
  reason: string,
): Promise<{ moved: boolean; localMoved: boolean }> {
  const root = ctx.paths.root;
  const name = ctx.config.remote;
  if (!name) {
    const moved = await updateBranchCAS(root, target, next, base, reason);
    return { moved, localMoved: moved };
  }
  const pushed = await gitRun(root, [
    "push",
    "--quiet",
    "--porcelain",
    `--force-with-lease=refs/heads/${target}:${remote.has ? base : ""}`,
    name,
    `${next}:refs/heads/${target}`,
  ]);
  if (pushed.exitCode !== 0) return { moved: false, localMoved: false };
  const tracking = `update refs/remotes/${name}/${target} ${next}\n`;
  const { local } = remote;
  // The chain is built on base, so a local branch at base is behind by construction.
  if (local === null || local === base || (await isAncestor(root, local, next))) {
    const both = await gitRun(root, ["update-ref", "-m", reason, "--stdin"], {
      input: `${tracking}${local ? `update refs/heads/${target} ${next} ${local}` : `create refs/heads/${target} ${next}`}\n`,
    });
    if (both.exitCode === 0) return { moved: true, localMoved: true };
  }
  // The local branch moved meanwhile, or has commits of its own: only the remote-tracking ref follows.
  await gitRun(root, ["update-ref", "--stdin"], { input: tracking });
  return { moved: true, localMoved: false };
}

/** Each ref matching `patterns` that points at a commit, by full name: one `for-each-ref`. */
async function commitRefs(cwd: string, patterns: string[]): Promise<Map<string, string>> {
  const out = await git(cwd, [
    "for-each-ref",
    "--format=%(objecttype) %(objectname) %(refname)",
    ...patterns,
  ]);
  const refs = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [type, commit, ...name] = line.split(" ");
    if (type === "commit" && commit && name.length > 0) refs.set(name.join(" "), commit);
  }
  return refs;
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
