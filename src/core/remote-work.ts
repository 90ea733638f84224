import { join } from "node:path";
import { JigError } from "../errors.js";
import { gitRun } from "../lib/git.js";
import type { JigContext } from "./context.js";
import { assertSafeId } from "./ids.js";
import type { JigPaths } from "./paths.js";
import { stateDir } from "./paths.js";
import type { WorkerRecord } from "./workers.js";

// The coordinator's side of remote workers (docs/remote.md): a remote worker's work reaches this
// repository only through the shared git remote, at `refs/jig/workers/<name>` — the worker pushes it
// there before each land, and the coordinator fetches it into the worker's `_jig/<name>` branch here.

/** Where a remote worker's branch lives on the shared remote (the worker owns it; it pushes with +). */
export const workerRemoteRef = (name: string): string =>
  `refs/jig/workers/${assertSafeId(name, "worker name")}`;

/**
 * A remote worker's status directory on this machine (its `.jig/status.json`): outside the repository,
 * beside the secrets, and no git worktree — nothing of the worker's own tree is ever here.
 */
export const remoteStatusDir = (paths: JigPaths, name: string): string =>
  join(stateDir(paths.root), "remote", assertSafeId(name, "worker name"));

/** Fetches what the remote worker last pushed into its branch here. */
export async function fetchWorkerRef(
  ctx: JigContext,
  record: Pick<WorkerRecord, "name" | "branch">,
): Promise<void> {
  const remote = ctx.config.remote;
  if (!remote)
    throw new JigError(
      "PRECONDITION_FAILED",
      `'${record.name}' is a remote worker but jig.json names no remote`,
      {
        hint: 'set "remote" in jig.json to the shared remote the workers push to (e.g. "origin")',
      },
    );
  const out = await gitRun(ctx.paths.root, [
    "fetch",
    "--quiet",
    "--no-tags",
    remote,
    `+${workerRemoteRef(record.name)}:refs/heads/${record.branch}`,
  ]);
  if (out.exitCode !== 0)
    throw new JigError(
      "PRECONDITION_FAILED",
      `could not fetch the work of '${record.name}' from ${workerRemoteRef(record.name)} on the remote '${remote}': ${out.stderr.trim().split("\n")[0] ?? ""}`,
      {
        hint: "the worker pushes its branch there before each land: check that the remote is reachable, then land again",
        toolHint: "your branch did not reach the coordinator: call land again (jig worker pushes it first)",
      },
    );
}

/** What a remote worker last pushed, as the coordinator now has it (or why the remote could not say). */
export type LastPush = { tip: string | null; problem: null } | { tip: null; problem: string };

/**
 * Before a remote worker's work is judged or kept (abandon, clean, merge): fetches its last push, so
 * commits it pushed but never landed count. Best effort — an unreachable remote is returned as the
 * problem, and the caller goes on with what the coordinator last fetched. `tip` is null when the remote
 * has no ref for this worker.
 */
export async function fetchLastPush(
  ctx: JigContext,
  record: Pick<WorkerRecord, "name" | "branch">,
): Promise<LastPush> {
  const remote = ctx.config.remote;
  if (!remote) return { tip: null, problem: "jig.json names no remote" };
  const ref = workerRemoteRef(record.name);
  const listed = await gitRun(ctx.paths.root, ["ls-remote", remote, ref]);
  if (listed.exitCode !== 0)
    return { tip: null, problem: `the remote '${remote}' cannot be read: ${firstLine(listed.stderr)}` };
  const tip =
    listed.stdout
      .split("\n")
      .map((line) => line.split("\t"))
      .find(([, name]) => name?.trim() === ref)?.[0]
      ?.trim() ?? null;
  if (!tip) return { tip: null, problem: null };
  try {
    await fetchWorkerRef(ctx, record);
  } catch (error) {
    return { tip: null, problem: (error as Error).message };
  }
  return { tip, problem: null };
}

/**
 * Deletes a retired remote worker's ref on the shared remote, with a lease on the tip the coordinator
 * fetched (a push made since is never deleted unseen). Best effort: returns null, or why it stays.
 */
export async function deleteWorkerRef(ctx: JigContext, name: string, tip: string): Promise<string | null> {
  const remote = ctx.config.remote;
  if (!remote) return "jig.json names no remote";
  const ref = workerRemoteRef(name);
  const out = await gitRun(ctx.paths.root, [
    "push",
    "--quiet",
    "--porcelain",
    `--force-with-lease=${ref}:${tip}`,
    remote,
    `:${ref}`,
  ]);
  if (out.exitCode === 0) return null;
  return /stale info/.test(out.stdout + out.stderr)
    ? `the worker pushed ${ref} again since it was fetched`
    : firstLine(out.stderr) || `git push exited ${out.exitCode}`;
}

const firstLine = (text: string): string => text.trim().split("\n")[0] ?? "";
