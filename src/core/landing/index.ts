import { type FSWatcher, watch } from "node:fs";
import { mkdir } from "node:fs/promises";
import pLimit from "p-limit";
import { JigError } from "../../errors.js";
import { gitRun } from "../../lib/git.js";
import { tryLock } from "../../lib/lock.js";
import { isProcessAlive } from "../../lib/pid.js";
import type { JigContext } from "../context.js";
import { recordEvent } from "../events.js";
import { branchCommit, branchTips, dirtyFiles } from "../git-ops.js";
import type { WorkerRecord } from "../workers.js";
import { drainQueue } from "./drive.js";
import {
  enqueue,
  type LandVerdict,
  listQueue,
  lockPath,
  readVerdict,
  verdictDir,
  writeVerdict,
} from "./queue.js";

export type { LandVerdict } from "./queue.js";

// Landing as the tools and the CLI see it: request, wait boundedly, get a verdict; and early conflict checks.

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
  // Asking again while queued only waits: the driver may be rebasing this very worktree right now, so
  // its files are not the worker's to judge (the driver checks them itself when it takes the branch).
  const queued = (await listQueue(ctx.paths, target)).some((entry) => entry.worker === worker);
  const tips = queued ? null : await checkLandable(ctx, record);
  const previous = await readVerdict(ctx.paths, worker);
  if (tips) {
    if (tips.ahead === 0) {
      if (previous?.state === "landed") return strip(previous);
      throw new JigError(
        "PRECONDITION_FAILED",
        `branch '${record.branch}' has no commits that are not already on ${target}`,
        { hint: "commit your work first, then call land" },
      );
    }
  }

  const entry = await enqueue(ctx.paths, worker, target);
  if (previous?.request !== entry.request) {
    await recordEvent(ctx, {
      type: "land-queued",
      epic: record.epic,
      worker,
      task: record.issue,
      request: entry.request,
    });
    await writeVerdict(ctx.paths, {
      state: "queued",
      worker,
      target,
      request: entry.request,
      at: new Date().toISOString(),
    });
  }
  const deadline = Date.now() + (options.waitMs ?? 25_000);
  options.onProgress?.(`queued for ${target}`);
  for (;;) {
    const mark = (await verdictWatch(ctx))?.seq ?? 0;
    const verdict = await readVerdict(ctx.paths, worker);
    if (verdict?.request === entry.request && (verdict.state === "landed" || verdict.state === "blocked"))
      return strip(verdict);
    await drive(ctx, target, options.onProgress);
    const left = deadline - Date.now();
    if (left <= 0) {
      const queue = await listQueue(ctx.paths, target);
      const position = queue.findIndex((e) => e.request === entry.request);
      const state = verdict?.request === entry.request && verdict.state === "landing" ? "landing" : "queued";
      return { state, worker, target, ...(position >= 0 ? { position: position + 1 } : {}) };
    }
    await waitForChange(ctx, target, worker, Math.min(left, 1_000), mark);
  }
}

/** What must hold before a branch joins the queue: a clean worktree, the branch, the target. */
async function checkLandable(ctx: JigContext, record: WorkerRecord): Promise<{ ahead: number | null }> {
  const { name: worker, target } = record;
  const dirty = await dirtyFiles(record.worktree).catch(() => null);
  if (dirty === null)
    throw new JigError("NOT_FOUND", `the worktree of '${worker}' is missing`, {
      hint: `respawn it: jig spawn --issue ${record.issue}`,
      toolHint: "set_status blocked with this message: a human must respawn the worker",
    });
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
  // One call answers the common case: both branches exist, and how many commits would land.
  const count = await gitRun(ctx.paths.root, [
    "rev-list",
    "--count",
    `refs/heads/${target}..refs/heads/${record.branch}`,
  ]);
  if (count.exitCode === 0) return { ahead: Number(count.stdout.trim()) };
  const head = await branchCommit(ctx.paths.root, record.branch);
  if (!head)
    throw new JigError("NOT_FOUND", `branch '${record.branch}' does not exist`, {
      hint: `respawn the worker: jig spawn --issue ${record.issue}`,
      toolHint: `set_status blocked with this message: a human must respawn the worker of ${record.issue}`,
    });
  if (!ctx.config.remote)
    throw new JigError("PRECONDITION_FAILED", `target branch '${target}' does not exist`, {
      hint: "run `jig plan` for the epic (it creates the target), or create the branch",
      toolHint: `set_status blocked with this message: a human must create ${target} (planning the epic does)`,
    });
  return { ahead: null }; // the target lives on the remote only: the driver fetches it
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

// Waiting for a verdict: woken by a change to the worker's verdict file (inotify, one watcher per
// process and directory), by this process's own driver finishing, or after `ms` at the latest — the
// poll that also retries the lock, so a dead driver is taken over. Many waiters cost no CPU.
interface VerdictWatch {
  waiters: Set<(file: string) => void>;
  /** Per verdict file (`<worker>.json`), the sequence number of its last change seen. */
  changed: Map<string, number>;
  seq: number;
}
const verdictWatches = new Map<string, VerdictWatch | null>();

/** The process's watch on the verdicts directory (null where the platform gives none: poll only). */
async function verdictWatch(ctx: JigContext): Promise<VerdictWatch | null> {
  const dir = verdictDir(ctx.paths);
  if (verdictWatches.has(dir)) return verdictWatches.get(dir) ?? null;
  let entry: VerdictWatch | null = null;
  try {
    await mkdir(dir, { recursive: true });
    const watch_: VerdictWatch = { waiters: new Set(), changed: new Map(), seq: 0 };
    const watcher: FSWatcher = watch(dir, (_event, file) => {
      const name = String(file ?? "");
      watch_.seq++;
      // Only final names (temp files start with a dot), so the map stays one entry per worker.
      if (name.endsWith(".json") && !name.startsWith(".")) watch_.changed.set(name, watch_.seq);
      for (const waiter of watch_.waiters) waiter(name);
    });
    watcher.on("error", () => {});
    watcher.unref();
    entry = watch_;
  } catch {
    // No inotify (or the directory vanished): plain polling still works.
  }
  verdictWatches.set(dir, entry);
  return entry;
}

/**
 * Waits until the worker's verdict file changed after `mark` (a sequence number taken before the
 * verdict was last read, so a change in between is never missed), this process's own driver finished,
 * or `ms` passed — the poll that also retries the lock, so a dead driver is taken over.
 */
async function waitForChange(
  ctx: JigContext,
  target: string,
  worker: string,
  ms: number,
  mark: number,
): Promise<void> {
  const running = drivers.get(`${ctx.paths.root}\0${target}`);
  const watch_ = await verdictWatch(ctx);
  if (watch_ && (watch_.changed.get(`${worker}.json`) ?? 0) > mark) return;
  let wake: ((file: string) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
    running ?? new Promise(() => {}),
    new Promise<void>((resolve) => {
      wake = (file) => {
        if (file === "" || file === `${worker}.json`) resolve();
      };
      watch_?.waiters.add(wake);
    }),
  ]);
  clearTimeout(timer);
  if (wake) watch_?.waiters.delete(wake);
}

/** Waits for every landing this process is driving (so a CLI does not exit mid-land). */
export async function settleDrivers(): Promise<void> {
  await Promise.all([...drivers.values()]);
}

function strip(verdict: LandVerdict & { request?: string; at?: string }): LandVerdict {
  const { request: _request, at: _at, ...rest } = verdict;
  return rest;
}

export interface ConflictReport {
  target: string[];
  workers: { name: string; files: string[] }[];
}

/**
 * Would this worker's committed work conflict with its target, or with other active workers' branches?
 * Computed with `git merge-tree` in the object store: no worktree is touched.
 */
export async function checkConflicts(ctx: JigContext, worker: string): Promise<ConflictReport> {
  const record = await ctx.workers.require(worker);
  const report = (await conflictReports(ctx, [worker])).get(worker);
  if (!report)
    throw new JigError("NOT_FOUND", `branch '${record.branch}' does not exist`, {
      hint: "spawn the worker again",
    });
  return report;
}

/**
 * `checkConflicts` for many workers at once (jig ps, the dashboard, set_status). Each branch's own
 * changes (`target...branch`) are listed once; `git merge-tree` runs against the target for each branch
 * with work, and between two branches only when their changed files overlap — branches that touch
 * disjoint files cannot conflict. Every answer is about fixed commits, so it is kept in the git memo:
 * git runs again only for branches or targets that moved. A worker whose branch is gone gets no report.
 */
export async function conflictReports(
  ctx: JigContext,
  names: string[],
): Promise<Map<string, ConflictReport>> {
  const limit = pLimit(4);
  const all = await ctx.workers.list();
  const wanted = all.filter((w) => names.includes(w.name));
  const targets = new Set(wanted.map((w) => w.target));
  const peers = all.filter(
    (o) =>
      names.includes(o.name) ||
      (o.kind === "task" && targets.has(o.target) && (o.exited === null || isProcessAlive(o.pid))),
  );
  const tips = await branchTips(ctx.paths.root);
  const own = new Map<string, Set<string>>();
  const changedFiles = (group: WorkerRecord[]) =>
    Promise.all(
      group.map((peer) =>
        limit(async () => {
          const from = tips.get(peer.target);
          const to = tips.get(peer.branch);
          if (!from || !to) return;
          const changes = await ctx.git.changes(from, to).catch(() => null);
          if (changes) own.set(peer.name, new Set(changes.names));
        }),
      ),
    );
  // The asked-for workers first: without changes of their own (a worker that has not committed yet, the
  // common case at set_status) nothing can conflict, and the other branches need not be looked at.
  await changedFiles(wanted);
  if (wanted.some((w) => (own.get(w.name)?.size ?? 0) > 0))
    await changedFiles(peers.filter((peer) => !names.includes(peer.name)));
  const conflicts = (a: string, b: string) => limit(() => ctx.git.conflicts(tips.get(a)!, tips.get(b)!));
  const reports = new Map<string, ConflictReport>();
  await Promise.all(
    wanted.map(async (w) => {
      if (!tips.has(w.branch)) return; // no branch, no report
      const mine = own.get(w.name);
      if (!mine || mine.size === 0) {
        reports.set(w.name, { target: [], workers: [] });
        return;
      }
      const others = peers.filter((o) => {
        if (o.name === w.name || o.target !== w.target) return false;
        const theirs = own.get(o.name);
        return theirs !== undefined && [...theirs].some((file) => mine.has(file));
      });
      const [target, ...perOther] = await Promise.all([
        conflicts(w.target, w.branch),
        ...others.map((o) => conflicts(w.branch, o.branch)),
      ]);
      reports.set(w.name, {
        target: target ?? [],
        workers: others
          .map((o, i) => ({ name: o.name, files: perOther[i] ?? [] }))
          .filter((o) => o.files.length > 0),
      });
    }),
  );
  await ctx.git.flush();
  return reports;
}
