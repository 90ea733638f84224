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
