import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { JigError } from "../../errors.js";
import { mkdirState } from "../../lib/fs.js";
import { gitRun } from "../../lib/git.js";
import { tryLock } from "../../lib/lock.js";
import { type ChangeWatch, watchChanges } from "../../lib/watch.js";
import type { JigContext } from "../context.js";
import { recordEvent } from "../events.js";
import { branchCommit, isAncestor, worktreeState } from "../git-ops.js";
import { recordVerdict } from "../lifecycle.js";
import { fetchWorkerRef } from "../remote-work.js";
import { isRemote, type WorkerRecord } from "../workers.js";
import { drainQueue } from "./drive.js";
import {
  announceArrival,
  enqueue,
  type LandVerdict,
  listQueue,
  lockPath,
  type QueueEntry,
  readLanded,
  readVerdict,
  verdictDir,
} from "./queue.js";

export type { LandVerdict } from "./queue.js";

// Landing as the tools and the CLI see it: request, wait boundedly, get a verdict; and early conflict checks.

// This process's landing drivers, by repository root and target: process state on purpose (its owner is
// this module, nothing else reads it). A driver outlives the tool call that started it, a second call
// for the same target joins it instead of starting another, and `settleDrivers` lets a process that is
// about to exit (tests, the bench, a stdio server) wait for its drivers to finish.
const drivers = new Map<string, Promise<void>>();

/**
 * Queues the worker's branch for its target and waits at most `waitMs` for the verdict. Whoever can take
 * the target's lock drives the queue (this call included), so no daemon is needed and a crashed driver's
 * entries are taken over by the next caller once its lock goes stale.
 */
export async function requestLand(
  ctx: JigContext,
  worker: string,
  options: { waitMs?: number; onProgress?: (message: string) => void } = {},
): Promise<LandVerdict> {
  const record = await ctx.workers.require(worker);
  if (record.kind !== "task") {
    throw new JigError(
      "PRECONDITION_FAILED",
      `'${worker}' is an ${record.kind} worker; only task workers land onto a shared target`,
      {
        hint: `review and merge it by hand: jig review ${worker} && jig merge ${worker}`,
        toolHint:
          "an ad-hoc worker does not land: commit your work on your branch and stop; a human reviews and merges it",
      },
    );
  }
  const target = record.target;
  // A remote worker's branch is what it pushed to the shared remote (before this call): fetched here first.
  if (isRemote(record)) await fetchWorkerRef(ctx, record);
  // Asking again while queued only waits (the driver reads the branch itself when it takes it). One
  // listing of the queue serves a status poll twice: whether this worker waits in it, and where.
  let listed: QueueEntry[] | null = await listQueue(ctx.paths, target);
  const previous = await readVerdict(ctx.paths, worker);
  let entry = listed.find((e) => e.worker === worker);
  if (!entry) {
    // A driver gathering a batch waits for this request while its checks run (queue.ts).
    const arrived = await announceArrival(ctx.paths, target);
    try {
      const landed = await readLanded(ctx.paths, worker);
      const tips = await checkLandable(ctx, record, landed?.head ?? null);
      if (landed && tips.head === landed.head && previous?.state === "landed") return strip(previous);
      if (tips.ahead === 0) {
        if (previous?.state === "landed") return strip(previous);
        throw new JigError(
          "PRECONDITION_FAILED",
          `branch '${record.branch}' has no commits that are not already on ${target}`,
          { hint: "commit your work first, then call land" },
        );
      }
      entry = await enqueue(ctx.paths, worker, target);
      listed = null;
    } finally {
      await arrived();
    }
  }
  const request = entry.request;

  if (previous?.request !== request) {
    await recordEvent(ctx, {
      type: "land-queued",
      epic: record.epic,
      worker,
      task: record.issue,
      request,
    });
    await recordVerdict(ctx, {
      state: "queued",
      worker,
      target,
      request,
      at: new Date().toISOString(),
    });
  }
  const deadline = Date.now() + (options.waitMs ?? 25_000);
  options.onProgress?.(`queued for ${target}`);
  // Woken by a change to this worker's verdict file, by this process's own driver finishing, or after
  // a second at the latest — the poll that also retries the lock, so a dead driver is taken over. The
  // watch starts before the first read, so a verdict written in between is never missed. A status poll
  // (no wait) needs no watch.
  const changes = deadline > Date.now() ? await watchVerdict(ctx, worker) : null;
  try {
    for (;;) {
      const verdict = await readVerdict(ctx.paths, worker);
      if (verdict?.request === request && (verdict.state === "landed" || verdict.state === "blocked"))
        return strip(verdict);
      await drive(ctx, target, options.onProgress);
      const left = deadline - Date.now();
      if (left <= 0 || !changes) {
        const queue = listed ?? (await listQueue(ctx.paths, target));
        const position = queue.findIndex((e) => e.request === request);
        const state = verdict?.request === request && verdict.state === "landing" ? "landing" : "queued";
        return { state, worker, target, ...(position >= 0 ? { position: position + 1 } : {}) };
      }
      listed = null;
      const running = drivers.get(`${ctx.paths.root}\0${target}`);
      await Promise.race([changes.next(Math.min(left, 1_000)), ...(running ? [running] : [])]);
    }
  } finally {
    changes?.close();
  }
}

/** A change flag on the worker's verdict file (its directory made first, so it can be watched). */
async function watchVerdict(ctx: JigContext, worker: string): Promise<ChangeWatch> {
  const dir = verdictDir(ctx.paths);
  await mkdirState(dir).catch(() => {});
  return watchChanges([dir], (_dir, file) => file === `${worker}.json`);
}

/**
 * What must hold before a branch joins the queue. The worker's committed work is its branch ref; its
 * worktree is only read (never written), and a worktree git cannot read right now — another git
 * process holding its index.lock, a stale rebase directory — does not stop the land.
 */
async function checkLandable(
  ctx: JigContext,
  record: WorkerRecord,
  landedHead: string | null,
): Promise<{ ahead: number | null; head: string | null }> {
  const { name: worker, target } = record;
  const local = !isRemote(record); // a remote worker's worktree is on its machine: its jig worker checks it
  if (local && !existsSync(record.worktree))
    throw new JigError("NOT_FOUND", `the worktree of '${worker}' is missing`, {
      hint: `respawn it: jig spawn --issue ${record.issue}`,
      toolHint: "set_status blocked with this message: a human must respawn the worker",
    });
  const root = ctx.paths.root;
  // Two calls, at once: the worktree's state (uncommitted files, HEAD), and how many commits would land.
  const range = `refs/heads/${target}..refs/heads/${record.branch}`;
  const [state, counted] = await Promise.all([
    local ? worktreeState(record.worktree).catch(() => null) : null,
    gitRun(root, ["rev-list", "--count", range, ...(landedHead ? [`^${landedHead}`] : [])]),
  ]);
  const dirty = state?.dirty ?? [];
  if (dirty.length > 0) {
    throw new JigError(
      "PRECONDITION_FAILED",
      `uncommitted changes in ${dirty.slice(0, 10).join(", ")}${dirty.length > 10 ? ` and ${dirty.length - 10} more` : ""}`,
      {
        hint: "commit your work (git add -A && git commit -m '…') or discard it, then call land again",
        details: { files: dirty.slice(0, 50) },
      },
    );
  }
  // (A commit landed before that is gone — garbage-collected — is simply not excluded.)
  const count =
    counted.exitCode !== 0 && landedHead ? await gitRun(root, ["rev-list", "--count", range]) : counted;
  // The worktree on its branch (the usual case) tells the branch's commit; otherwise it is read.
  const head =
    state?.branch === record.branch && state.commit ? state.commit : await branchCommit(root, record.branch);
  if (!head)
    throw new JigError("NOT_FOUND", `branch '${record.branch}' does not exist`, {
      hint: `respawn the worker: jig spawn --issue ${record.issue}`,
      toolHint: `set_status blocked with this message: a human must respawn the worker of ${record.issue}`,
    });
  if (local && (!state || state.branch === null)) await refuseDetachedWork(record, head);
  if (count.exitCode === 0) return { ahead: Number(count.stdout.trim()), head };
  if (!ctx.config.remote)
    throw new JigError("PRECONDITION_FAILED", `target branch '${target}' does not exist`, {
      hint: "run `jig plan` for the epic (it creates the target), or create the branch",
      toolHint: `set_status blocked with this message: a human must create ${target} (planning the epic does)`,
    });
  return { ahead: null, head }; // the target lives on the remote only: the driver fetches it
}

/**
 * Commits made on a detached HEAD are not on the branch, so they would not land: say so, with the
 * command that puts them there. (A HEAD detached by a rebase under way is the agent's business.)
 */
async function refuseDetachedWork(record: WorkerRecord, branchHead: string): Promise<void> {
  const out = await gitRun(record.worktree, [
    "rev-parse",
    "--git-path",
    "rebase-merge",
    "--git-path",
    "rebase-apply",
    "HEAD",
    "--symbolic-full-name",
    "HEAD",
  ]).catch(() => null);
  if (out?.exitCode !== 0) return;
  const [merge = "", apply = "", commit = "", ref = ""] = out.stdout.split("\n").map((line) => line.trim());
  const exists = (path: string) =>
    path !== "" && existsSync(isAbsolute(path) ? path : join(record.worktree, path));
  if (ref !== "HEAD" || exists(merge) || exists(apply) || commit === branchHead) return;
  if (await isAncestor(record.worktree, commit, branchHead).catch(() => true)) return;
  throw new JigError(
    "PRECONDITION_FAILED",
    `HEAD in ${record.worktree} is detached at ${commit.slice(0, 10)}, with commits that are not on ${record.branch}; only ${record.branch} lands`,
    {
      hint: `put them on the branch: cd ${record.worktree} && git switch ${record.branch} && git merge --ff-only ${commit.slice(0, 10)} (or git cherry-pick them), then land again`,
    },
  );
}

// Starts a driver in this process if the target's lock is free; returns without waiting for it.
async function drive(ctx: JigContext, target: string, onProgress?: (message: string) => void): Promise<void> {
  const key = `${ctx.paths.root}\0${target}`;
  if (drivers.has(key)) return;
  const release = await tryLock(lockPath(ctx.paths, target));
  if (!release) return;
  const run = drainQueue(ctx, target, onProgress)
    .catch((error: unknown) =>
      onProgress?.(`landing driver stopped: ${error instanceof Error ? error.message : String(error)}`),
    )
    .finally(async () => {
      await release().catch(() => {});
      drivers.delete(key);
    });
  drivers.set(key, run);
}

/** Waits for every landing this process is driving (so a CLI does not exit mid-land). */
export async function settleDrivers(): Promise<void> {
  await Promise.all([...drivers.values()]);
}

function strip(verdict: LandVerdict & { request?: string; at?: string }): LandVerdict {
  const { request: _request, at: _at, ...rest } = verdict;
  return rest;
}

export { type ConflictReport, checkConflicts, conflictReports } from "./conflicts.js";
export { landingOf, type QueueCache } from "./view.js";
