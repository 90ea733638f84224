import type { JigContext } from "./context.js";
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

interface Acc {
  task: string;
  depends: string[];
  plannedAt: string | null;
  claimedAt: string | null;
  requests: Map<string, { queuedAt: string; endedAt: string | null; landed: boolean }>;
  lastRequest: string | null;
  landedAt: string | null;
  blocked: boolean;
  sessions: number;
  gateRuns: number;
  conflicts: number;
  tokens: number | null;
  costUsd: number | null;
}

const add = (a: number | null, b: number | null | undefined): number | null => (b == null ? a : (a ?? 0) + b);

export function computeEpicStats(
  epic: string,
  events: readonly JigEvent[],
  options: { now: string; skipped?: number; truncated?: boolean },
): EpicStats {
  const now = options.now;
  const accs = new Map<string, Acc>();
  const acc = (task: string): Acc => {
    let a = accs.get(task);
    if (!a) {
      a = {
        task,
        depends: [],
        plannedAt: null,
        claimedAt: null,
        requests: new Map(),
        lastRequest: null,
        landedAt: null,
        blocked: false,
        sessions: 0,
        gateRuns: 0,
        conflicts: 0,
        tokens: null,
        costUsd: null,
      };
      accs.set(task, a);
    }
    return a;
  };
  // Workers are named after their task; events about a worker without a task (the planner) still cost.
  const taskOf = (e: { worker: string; task: string | null }) => e.task ?? e.worker;
  let plannedAt: string | null = null;
  let totalCost: number | null = null;
  let totalTokens: number | null = null;
  let gateRuns = 0;
  let gateMs = 0;
  let blockedLands = 0;
  const conflicts: (Omit<ConflictStats, "outcome"> & { at: string })[] = [];

  for (const e of events) {
    switch (e.type) {
      case "planned":
        plannedAt ??= e.at;
        for (const t of e.tasks) {
          const a = acc(t.id);
          a.depends = t.depends;
          a.plannedAt ??= e.at;
        }
        break;
      case "spawned":
        acc(taskOf(e)).sessions++;
        break;
      case "claimed": {
        const a = acc(taskOf(e));
        a.claimedAt ??= e.at;
        break;
      }
      case "land-queued": {
        const a = acc(taskOf(e));
        if (!a.requests.has(e.request))
          a.requests.set(e.request, { queuedAt: e.at, endedAt: null, landed: false });
        a.lastRequest = e.request;
        a.blocked = false;
        break;
      }
      case "landed": {
        const a = acc(taskOf(e));
        const r = a.requests.get(e.request);
        if (r) Object.assign(r, { endedAt: e.at, landed: true });
        a.landedAt ??= e.at;
        a.lastRequest = e.request;
        break;
      }
      case "land-blocked": {
        const a = acc(taskOf(e));
        const r = a.requests.get(e.request);
        if (r) r.endedAt ??= e.at;
        a.blocked = true;
        blockedLands++;
        if (e.kind === "conflict") {
          a.conflicts++;
          conflicts.push({ task: a.task, at: e.at, files: e.files, source: "land", cause: null });
        }
        break;
      }
      case "warning": {
        const a = acc(taskOf(e));
        a.conflicts++;
        conflicts.push({ task: a.task, at: e.at, files: e.files, source: "warning", cause: e.cause.worker });
        break;
      }
      case "gate":
        gateRuns++;
        gateMs += e.ms;
        for (const w of e.workers) acc(w).gateRuns++;
        break;
      case "session-ended": {
        const a = acc(taskOf(e));
        const tokens =
          e.usage && (e.usage.inputTokens != null || e.usage.outputTokens != null)
            ? (e.usage.inputTokens ?? 0) + (e.usage.outputTokens ?? 0)
            : null;
        a.tokens = add(a.tokens, tokens);
        a.costUsd = add(a.costUsd, e.usage?.costUsd);
        totalTokens = add(totalTokens, tokens);
        totalCost = add(totalCost, e.usage?.costUsd);
        break;
      }
      default:
        break;
    }
  }

  const planned = [...accs.values()].filter((a) => a.plannedAt !== null || a.claimedAt !== null);
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

  // The critical path: from the task that landed last, back through the dependency it waited on longest.
  const criticalPath: PathStep[] = [];
  let cursor = [...tasks].sort((x, y) => (x.landedAt ?? now).localeCompare(y.landedAt ?? now)).at(-1);
  const visited = new Set<string>();
  while (cursor && !visited.has(cursor.task)) {
    visited.add(cursor.task);
    criticalPath.unshift({
      task: cursor.task,
      toClaimMs: cursor.toClaimMs,
      workingMs: cursor.workingMs,
      landWaitMs: cursor.landWaitMs,
      landedAt: cursor.landedAt,
    });
    const deps = (byId.get(cursor.task)?.depends ?? []).flatMap((d) => statsById.get(d) ?? []);
    cursor = deps.sort((x, y) => (x.landedAt ?? now).localeCompare(y.landedAt ?? now)).at(-1);
  }
  const waited = criticalPath.reduce(
    (w, s) => ({
      claimMs: w.claimMs + (s.toClaimMs ?? 0),
      workMs: w.workMs + (s.workingMs ?? 0),
      landMs: w.landMs + (s.landWaitMs ?? 0),
    }),
    { claimMs: 0, workMs: 0, landMs: 0 },
  );
  const most =
    criticalPath.length === 0
      ? null
      : (["claim", "work", "land"] as const).reduce((best, k) =>
          waited[`${k}Ms`] > waited[`${best}Ms`] ? k : best,
        );

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
    waited: { ...waited, most },
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
