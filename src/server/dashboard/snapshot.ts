import { basename } from "node:path";
import { type Alarm, listAlarms } from "../../core/alarms.js";
import { budgetBook } from "../../core/budgets.js";
import type { JigContext } from "../../core/context.js";
import { type EpicProgress, epicProgress } from "../../core/epic-progress.js";
import { loadEpicStats } from "../../core/epic-stats.js";
import { type CommitInfo, logBetween } from "../../core/git-ops.js";
import type { IssueProblem } from "../../core/issue-store.js";
import { type TaskRow, taskRow } from "../../core/tasks.js";
import {
  type ConflictWarning,
  conflictWarnings,
  listWorkerViews,
  type WorkerView,
} from "../../core/worker-view.js";
import { toJigError } from "../../errors.js";
import { type EpicSpend, type EpicTimeline, epicSpend, epicTimeline } from "./timeline.js";

// Everything the web dashboard shows, assembled from the core in one JSON-safe value: epics with their
// subtask graphs and landed commits, the workers table of `jig ps` with early-conflict warnings, and
// blocked workers' messages. No absolute paths leave this module.

export interface DashboardSubtask extends Omit<EpicProgress["subtasks"][number], "worker"> {
  /** Longest chain of dependencies inside the epic below this subtask: its column in the graph. */
  depth: number;
  worker: { name: string; status: WorkerView["status"]; message: string | null } | null;
}

export interface DashboardEpic {
  id: string;
  title: string;
  /** Why the epic's progress could not be computed (e.g. target equals base), else null. */
  error: string | null;
  target: string | null;
  base: string | null;
  targetExists: boolean;
  diff: EpicProgress["diff"];
  complete: number;
  total: number;
  costUsd: number | null;
  /** Spend against the epic's budget, or null without one. */
  budget: EpicProgress["budget"];
  /** Spend with its limits, for the meter. */
  spend: EpicSpend;
  /** Each task's wait → work → land-wait from the event record, or null before the record has a plan. */
  timeline: EpicTimeline | null;
  subtasks: DashboardSubtask[];
  /** Commits on the target not on the base, newest first (at most LANDED_LIMIT). */
  landed: CommitInfo[];
}

/** A worker as the dashboard shows it: its view (core/worker-view.ts) less the pid, usage and landed commits. */
export interface DashboardWorker extends Omit<WorkerView, "pid" | "usage" | "landed" | "landing"> {
  costUsd: number | null;
  landing: { state: string; position: number | null } | null;
  conflicts: ConflictWarning[];
}

export interface DashboardSnapshot {
  repo: string;
  generated: string;
  epics: DashboardEpic[];
  workers: DashboardWorker[];
  blocked: { worker: string; issue: string | null; message: string | null; updated: string | null }[];
  /** Issue files that do not parse or validate (file name, field, message). */
  problems: IssueProblem[];
  costUsd: number | null;
  /** Stuck work, most urgent first (see core/alarms.ts). */
  alarms: Alarm[];
}

export const LANDED_LIMIT = 50;

/** Longest dependency chain below each node, counting only dependencies inside `ids`; cycle-safe. */
export function dependencyDepths(
  nodes: readonly { id: string; depends: readonly string[] }[],
): Map<string, number> {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const depths = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depths.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle (reported by validation elsewhere): cut it here
    visiting.add(id);
    let depth = 0;
    for (const dep of byId.get(id)?.depends ?? [])
      if (byId.has(dep) && dep !== id) depth = Math.max(depth, depthOf(dep) + 1);
    visiting.delete(id);
    depths.set(id, depth);
    return depth;
  };
  for (const node of nodes) depthOf(node.id);
  return depths;
}

/** The whole dashboard state of a repository, computed from issue files, the registry, worktrees and git. */
export async function dashboardSnapshot(ctx: JigContext): Promise<DashboardSnapshot> {
  const { issues, problems } = await ctx.issues.load();
  const epicIds = issues.filter((issue) => issue.kind === "epic").map((issue) => issue.id);
  const book = await budgetBook(ctx);
  const [epics, views] = await Promise.all([
    Promise.all(epicIds.map((id) => dashboardEpic(ctx, id, book))),
    listWorkerViews(ctx, { withChanges: true }),
  ]);
  const shown = views.filter((view) => view.kind !== "planner" || view.alive);
  const conflicts = await conflictWarnings(ctx, shown);
  const workers = shown.map((view) => workerRow(view, conflicts.get(view.name) ?? []));
  const costs = workers.map((w) => w.costUsd).filter((c): c is number => c !== null);
  return {
    repo: basename(ctx.paths.root),
    generated: new Date().toISOString(),
    epics,
    workers,
    blocked: workers
      .filter((w) => w.status === "blocked")
      .map((w) => ({ worker: w.name, issue: w.issue, message: w.message, updated: w.updated })),
    problems,
    costUsd: costs.length ? costs.reduce((a, b) => a + b, 0) : null,
    alarms: await listAlarms(ctx, shown),
  };
}

async function dashboardEpic(
  ctx: JigContext,
  id: string,
  book: Awaited<ReturnType<typeof budgetBook>>,
): Promise<DashboardEpic> {
  const spend = epicSpend(book.epic(id));
  let progress: EpicProgress;
  try {
    progress = await epicProgress(ctx, id);
  } catch (error) {
    const epic = await ctx.issues.get(id).catch(() => null);
    return {
      id,
      title: epic?.title ?? id,
      error: toJigError(error).message,
      target: null,
      base: null,
      targetExists: false,
      diff: null,
      complete: 0,
      total: 0,
      costUsd: null,
      budget: null,
      spend,
      timeline: null,
      subtasks: [],
      landed: [],
    };
  }
  const depths = dependencyDepths(progress.subtasks);
  const [landed, stats] = await Promise.all([
    progress.targetExists
      ? logBetween(ctx.paths.root, progress.base, progress.target, LANDED_LIMIT).catch(() => [])
      : [],
    loadEpicStats(ctx, id).catch(() => null),
  ]);
  return {
    id: progress.epic,
    title: progress.title,
    error: null,
    target: progress.target,
    base: progress.base,
    targetExists: progress.targetExists,
    diff: progress.diff,
    complete: progress.complete,
    total: progress.total,
    costUsd: progress.costUsd,
    budget: progress.budget,
    spend,
    timeline: stats ? epicTimeline(stats, new Date().toISOString()) : null,
    subtasks: progress.subtasks.map((subtask) => ({
      ...subtask,
      depth: depths.get(subtask.id) ?? 0,
      worker: subtask.worker
        ? { name: subtask.worker.name, status: subtask.worker.status, message: subtask.worker.message }
        : null,
    })),
    landed,
  };
}

function workerRow(view: WorkerView, conflicts: ConflictWarning[]): DashboardWorker {
  const { pid: _pid, usage, landed: _landed, landing, ...shown } = view;
  return {
    ...shown,
    costUsd: usage?.costUsd ?? null,
    landing: landing ? { state: landing.state, position: landing.position ?? null } : null,
    conflicts,
  };
}

export interface DashboardIssue extends TaskRow {
  /** The markdown body as written (untrusted: the page renders it as text). */
  body: string;
}

/** One issue's text for the dashboard's side panel (by id or short reference). */
export async function dashboardIssue(ctx: JigContext, ref: string): Promise<DashboardIssue> {
  const { issue, snapshot } = await ctx.issues.find(ref);
  const byId = new Map(snapshot.issues.map((i) => [i.id, i]));
  return { ...taskRow(issue, byId), body: issue.body };
}
