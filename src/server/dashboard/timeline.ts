import type { BudgetState } from "../../core/budgets.js";
import type { EpicStats, TaskStats } from "../../core/epic-stats.js";

// What the dashboard draws for an epic besides its graph: the timeline (each task's wait to be claimed,
// its work, its wait to land, as timestamps the page turns into bars) and spend against the budget.
// Both are pure functions of values the core already computes (the event record's stats, the budget book).

/** A task's row: the stats' own fields (one shape; working time excludes earlier refused lands' queue time). */
export type TimelineTask = Pick<
  TaskStats,
  | "task"
  | "state"
  | "readyAt"
  | "claimedAt"
  | "queuedAt"
  | "landedAt"
  | "toClaimMs"
  | "workingMs"
  | "landWaitMs"
  | "retries"
  | "costUsd"
>;

export interface EpicTimeline {
  /** When the epic was planned: the left edge. */
  start: string;
  /** The last land of a finished epic, else the time the snapshot was taken: the right edge. */
  end: string;
  tasks: TimelineTask[];
}

/** The timeline of an epic from its stats, or null before anything was recorded. */
export function epicTimeline(stats: EpicStats, now: string): EpicTimeline | null {
  if (!stats.plannedAt || stats.tasks.length === 0) return null;
  const done = stats.totals.landed === stats.totals.tasks && stats.lastLandAt !== null;
  return {
    start: stats.plannedAt,
    end: done ? stats.lastLandAt! : now,
    tasks: stats.tasks.map((t) => ({
      task: t.task,
      state: t.state,
      readyAt: t.readyAt,
      claimedAt: t.claimedAt,
      queuedAt: t.queuedAt,
      landedAt: t.landedAt,
      toClaimMs: t.toClaimMs,
      workingMs: t.workingMs,
      landWaitMs: t.landWaitMs,
      retries: t.retries,
      costUsd: t.costUsd,
    })),
  };
}

export interface EpicSpend {
  usd: number;
  tokens: number;
  limitUsd: number | null;
  limitTokens: number | null;
  /** The larger of spend/limit over the limits that are set (1 = at the cap), or null without a limit. */
  fraction: number | null;
  reached: boolean;
}

/** An epic's spend against its budget, as the page's meter reads it. */
export function epicSpend(state: Pick<BudgetState, "limit" | "spent">): EpicSpend {
  const limitUsd = state.limit?.usd ?? null;
  const limitTokens = state.limit?.tokens ?? null;
  const fractions = [
    limitUsd !== null ? state.spent.usd / limitUsd : null,
    limitTokens !== null ? state.spent.tokens / limitTokens : null,
  ].filter((f): f is number => f !== null && Number.isFinite(f));
  const fraction = fractions.length ? Math.max(...fractions) : null;
  return {
    usd: state.spent.usd,
    tokens: state.spent.tokens,
    limitUsd,
    limitTokens,
    fraction,
    reached: fraction !== null && fraction >= 1,
  };
}
