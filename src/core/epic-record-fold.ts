import type { ConflictStats } from "./epic-stats.js";
import type { JigEvent } from "./events.js";

// The first half of `jig stats`: one pass over an epic's event record, folding each event into its task's
// running account (claims, land requests, sessions, gates, spend) and the epic's totals. epic-stats.ts
// turns the accounts into measures.

/** One task's account, as the record tells it. */
export interface Acc {
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

export const add = (a: number | null, b: number | null | undefined): number | null =>
  b == null ? a : (a ?? 0) + b;

/** What the record says, per task and in total. */
export interface RecordFold {
  accs: Map<string, Acc>;
  plannedAt: string | null;
  totalCost: number | null;
  totalTokens: number | null;
  gateRuns: number;
  gateMs: number;
  blockedLands: number;
  conflicts: Omit<ConflictStats, "outcome">[];
}

export function foldRecord(events: readonly JigEvent[]): RecordFold {
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
  const conflicts: Omit<ConflictStats, "outcome">[] = [];

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

  return { accs, plannedAt, totalCost, totalTokens, gateRuns, gateMs, blockedLands, conflicts };
}
