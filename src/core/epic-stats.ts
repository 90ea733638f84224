import type { JigContext } from "./context.js";
import { criticalPathOf, waitedAlong } from "./critical-path.js";
import { type Acc, foldRecord } from "./epic-record-fold.js";
import { type JigEvent, readEvents } from "./events.js";

// `jig stats`: how long work waited to land and what each landed change cost, computed from an epic's
// event record alone (a pure function of the events and the time asked, so it is unit-tested directly).
//
// Per task: ready = planned (no dependencies) or the last dependency landed; claim = first claim_task;
// work = claim → the land request that landed, less the time earlier requests spent in the queue;
// land wait = that request queued → landed. A task not landed yet is measured up to `now`.

export interface TaskStats {
  task: string;
  state: "planned" | "claimed" | "queued" | "blocked" | "landed";
  readyAt: string | null;
  claimedAt: string | null;
  /** When the final (or current) land request was queued. */
  queuedAt: string | null;
  landedAt: string | null;
  /** ready → first claim. */
  toClaimMs: number | null;
  /** claim → the final land request, minus earlier requests' queue time. */
  workingMs: number | null;
  /** The final (or current) land request: queued → landed (or → now while waiting). */
  landWaitMs: number | null;
  /** Every land request's time in the queue, blocked ones included. */
  landWaitTotalMs: number;
  sessions: number;
  /** Sessions beyond the first (a crashed or ended session started again). */
  retries: number;
  landAttempts: number;
  gateRuns: number;
  conflicts: number;
  tokens: number | null;
  costUsd: number | null;
}

export interface ConflictStats {
  task: string;
  at: string;
  files: string[];
  /** A land refused on a conflict, or a warning pushed when another land broke the branch. */
  source: "land" | "warning";
  cause: string | null;
  /** landed: the task landed after it; open: not yet. */
  outcome: "landed" | "open";
}

export interface PathStep {
  task: string;
  toClaimMs: number | null;
  workingMs: number | null;
  landWaitMs: number | null;
  landedAt: string | null;
}

export interface EpicStats {
  epic: string;
  plannedAt: string | null;
  lastLandAt: string | null;
  /** plan → last land (or → now while the epic runs). */
  wallMs: number | null;
  tasks: TaskStats[];
  totals: {
    tasks: number;
    landed: number;
    sessions: number;
    retries: number;
    landAttempts: number;
    blockedLands: number;
    gateRuns: number;
    gateRunsPerLand: number | null;
    gateMs: number;
    costUsd: number | null;
    tokens: number | null;
    /** Every session's cost (retries and failed attempts included) over the landed tasks. */
    costPerLandedUsd: number | null;
    meanLandWaitMs: number | null;
    maxLandWaitMs: number | null;
  };
  conflicts: ConflictStats[];
  /** The dependency chain that ended last, first task first. */
  criticalPath: PathStep[];
  /** Where the critical path spent its time: waiting to be claimed, working, waiting to land. */
  waited: { claimMs: number; workMs: number; landMs: number; most: "claim" | "work" | "land" | null };
  /** Lines the record could not read, and whether its oldest segments were dropped by the cap. */
  record: { events: number; skipped: number; truncated: boolean };
}

const ms = (from: string | null | undefined, to: string | null | undefined): number | null =>
  from && to ? Math.max(0, Date.parse(to) - Date.parse(from)) : null;

export function computeEpicStats(
  epic: string,
  events: readonly JigEvent[],
  options: { now: string; skipped?: number; truncated?: boolean },
): EpicStats {
  const now = options.now;
  const { accs, plannedAt, totalCost, totalTokens, gateRuns, gateMs, blockedLands, conflicts } =
    foldRecord(events);
  // A task is any the record planned, claimed or landed for (its plan or claim may predate a truncated
  // record); a worker with only sessions (the planner) costs but is not a task.
  const planned = [...accs.values()].filter(
    (a) => a.plannedAt !== null || a.claimedAt !== null || a.requests.size > 0 || a.landedAt !== null,
  );
  const byId = new Map(planned.map((a) => [a.task, a]));
  const readyAt = (a: Acc): string | null => {
    if (a.depends.length === 0) return a.plannedAt;
    const landed = a.depends.map((d) => byId.get(d)?.landedAt ?? null);
    if (landed.some((t) => t === null)) return null;
    return (
      [a.plannedAt, ...landed]
        .filter((t): t is string => t !== null)
        .sort()
        .at(-1) ?? null
    );
  };

  const tasks: TaskStats[] = planned.map((a) => {
    const ready = readyAt(a);
    const requests = [...a.requests.entries()];
    const last = a.lastRequest ? a.requests.get(a.lastRequest) : undefined;
    const earlierQueue = requests
      .filter(([id]) => id !== a.lastRequest)
      .reduce((sum, [, r]) => sum + (ms(r.queuedAt, r.endedAt ?? now) ?? 0), 0);
    const workEnd = last ? last.queuedAt : a.landedAt ? a.landedAt : now;
    const working = a.claimedAt ? Math.max(0, (ms(a.claimedAt, workEnd) ?? 0) - earlierQueue) : null;
    const landWait = last ? ms(last.queuedAt, last.endedAt ?? now) : null;
    const state: TaskStats["state"] = a.landedAt
      ? "landed"
      : a.blocked
        ? "blocked"
        : last && !last.endedAt
          ? "queued"
          : a.claimedAt
            ? "claimed"
            : "planned";
    return {
      task: a.task,
      state,
      readyAt: ready,
      claimedAt: a.claimedAt,
      queuedAt: last?.queuedAt ?? null,
      landedAt: a.landedAt,
      toClaimMs: ready ? ms(ready, a.claimedAt ?? now) : null,
      workingMs: working,
      landWaitMs: landWait,
      landWaitTotalMs: requests.reduce((sum, [, r]) => sum + (ms(r.queuedAt, r.endedAt ?? now) ?? 0), 0),
      sessions: a.sessions,
      retries: Math.max(0, a.sessions - 1),
      landAttempts: requests.length,
      gateRuns: a.gateRuns,
      conflicts: a.conflicts,
      tokens: a.tokens,
      costUsd: a.costUsd,
    };
  });

  const landedTasks = tasks.filter((t) => t.landedAt !== null);
  const lastLandAt =
    landedTasks
      .map((t) => t.landedAt!)
      .sort()
      .at(-1) ?? null;
  const allDone = tasks.length > 0 && landedTasks.length === tasks.length;
  const waits = landedTasks.map((t) => t.landWaitMs ?? 0);
  const statsById = new Map(tasks.map((t) => [t.task, t]));

  const criticalPath = criticalPathOf(tasks, (id) => byId.get(id)?.depends ?? [], now);
  const waited = waitedAlong(criticalPath);
  const sessions = tasks.reduce((s, t) => s + t.sessions, 0);
  return {
    epic,
    plannedAt,
    lastLandAt,
    wallMs: plannedAt ? ms(plannedAt, allDone ? lastLandAt : now) : null,
    tasks,
    totals: {
      tasks: tasks.length,
      landed: landedTasks.length,
      sessions,
      retries: tasks.reduce((s, t) => s + t.retries, 0),
      landAttempts: tasks.reduce((s, t) => s + t.landAttempts, 0),
      blockedLands,
      gateRuns,
      gateRunsPerLand: landedTasks.length ? gateRuns / landedTasks.length : null,
      gateMs,
      costUsd: totalCost,
      tokens: totalTokens,
      costPerLandedUsd: totalCost !== null && landedTasks.length ? totalCost / landedTasks.length : null,
      meanLandWaitMs: waits.length ? waits.reduce((a, b) => a + b, 0) / waits.length : null,
      maxLandWaitMs: waits.length ? Math.max(...waits) : null,
    },
    conflicts: conflicts.map((c) => {
      const landedAt = statsById.get(c.task)?.landedAt;
      return { ...c, outcome: landedAt && landedAt >= c.at ? "landed" : "open" };
    }),
    criticalPath,
    waited,
    record: {
      events: events.length,
      skipped: options.skipped ?? 0,
      truncated: options.truncated ?? false,
    },
  };
}

/** An epic's stats from its record on disk, measured up to now. */
export async function loadEpicStats(ctx: Pick<JigContext, "paths">, epic: string): Promise<EpicStats> {
  const record = await readEvents(ctx, epic);
  return computeEpicStats(epic, record.events, {
    now: new Date().toISOString(),
    skipped: record.skipped,
    truncated: record.truncated,
  });
}
