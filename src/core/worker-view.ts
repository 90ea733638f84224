import type { JigContext } from "./context.js";
import { branchTips } from "./git-ops.js";
import { conflictReports, type LandVerdict, landingOf, type QueueCache } from "./landing/index.js";
import { describeExit, readWorkerStatus, sessionRunning, type WorkerRecord } from "./workers.js";

// What `jig ps`, the jig://workers resource and the dashboard show about each worker.
export interface WorkerView {
  name: string;
  kind: WorkerRecord["kind"];
  issue: string | null;
  epic: string | null;
  branch: string;
  target: string;
  agent: string;
  pid: number | null;
  alive: boolean;
  /** working | blocked | done from .jig/status.json, or dead/exited when the session ended without done. */
  status: "working" | "blocked" | "done" | "dead" | "exited" | "starting";
  message: string | null;
  changes: { added: number; removed: number; files: number } | null;
  usage: WorkerRecord["usage"];
  started: string;
  updated: string | null;
  attempt: number;
  /** How the session ended (`exit code 1: …`, `killed by SIGKILL`), or null while it runs. */
  exit: string | null;
  /** This session's last land verdict (landed / blocked), or the one in flight: queued (with its position) or landing. */
  landing: LandVerdict | null;
  /** What the worker's last land put on its target: commits, the tip it made, the changes (null unknown). */
  landed: {
    commits: number;
    tip: string | null;
    changes: { added: number; removed: number; files: number } | null;
  } | null;
}

/** One view per registered worker. Diff stats come from the git memo: git runs only for new commits. */
export async function listWorkerViews(
  ctx: JigContext,
  options: { epic?: string; withChanges?: boolean } = {},
): Promise<WorkerView[]> {
  const records = (await ctx.workers.list()).filter((r) => !options.epic || r.epic === options.epic);
  // Each target's land queue is listed once, for the positions of the workers waiting in it.
  const queues: QueueCache = new Map();
  const tips = (options.withChanges ?? true) ? await branchTips(ctx.paths.root) : null;
  const changesOf = async (record: WorkerRecord): Promise<WorkerView["changes"]> => {
    const from = tips?.get(record.target);
    const to = tips?.get(record.branch);
    if (!from || !to) return null;
    try {
      const { added, removed, files } = await ctx.git.changes(from, to);
      return { added, removed, files };
    } catch {
      return null; // a branch deleted meanwhile: no changes to show
    }
  };
  const withChanges = options.withChanges ?? true;
  const views = await Promise.all(
    records.map((record) => viewOf(ctx, record, { changesOf, queues, withChanges })),
  );
  await ctx.git.flush();
  return views;
}

async function viewOf(
  ctx: JigContext,
  record: WorkerRecord,
  {
    changesOf,
    queues,
    withChanges,
  }: {
    changesOf: (record: WorkerRecord) => Promise<WorkerView["changes"]>;
    queues: QueueCache;
    withChanges: boolean;
  },
): Promise<WorkerView> {
  const status = await readWorkerStatus(record.worktree);
  const landing = await landingOf(ctx.paths, record, queues);
  const alive = sessionRunning(record);
  let state: WorkerView["status"] = status?.status ?? "starting";
  // A session that ended while "working" is dead (or exited); "blocked" and "done" say more, so they stay.
  if ((state === "working" || state === "starting") && !alive && record.pid !== null)
    state = record.exited && record.exited.code === 0 ? "exited" : "dead";
  const changes = await changesOf(record);
  const landed = await landedOf(ctx, landing, withChanges);
  return {
    name: record.name,
    kind: record.kind,
    issue: record.issue,
    epic: record.epic,
    branch: record.branch,
    target: record.target,
    agent: record.agent,
    pid: record.pid,
    alive,
    status: state,
    message: status?.message ?? null,
    changes,
    usage: record.usage,
    started: record.started,
    updated: status?.updated ?? null,
    attempt: record.attempt,
    exit: alive ? null : record.exited ? describeExit(record) : record.pid !== null ? "process gone" : null,
    landing,
    landed,
  };
}

async function landedOf(
  ctx: JigContext,
  landing: LandVerdict | null,
  withChanges: boolean,
): Promise<WorkerView["landed"]> {
  if (landing?.state !== "landed" || !landing.commits) return null;
  const commits = landing.commits;
  let changes: NonNullable<WorkerView["landed"]>["changes"] = null;
  if (withChanges && commits.length > 0) {
    try {
      const { added, removed, files } = await ctx.git.runChanges(commits[0]!, commits.at(-1)!);
      changes = { added, removed, files };
    } catch {
      changes = null; // commits gone (a rewritten target): the count still says what landed
    }
  }
  return { commits: commits.length, tip: landing.tip ?? null, changes };
}

export interface ConflictWarning {
  kind: "target" | "worker";
  /** The target branch or the other worker this worker's branch would conflict with. */
  with: string;
  files: string[];
}

/**
 * Early-conflict warnings for the active task workers among `views` (working or blocked, with commits
 * of their own): what jig ps and the dashboard show. The answers come from the git memo, so a repeat
 * costs git calls only for branches that moved.
 */
export async function conflictWarnings(
  ctx: JigContext,
  views: readonly WorkerView[],
): Promise<Map<string, ConflictWarning[]>> {
  const active = views.filter(
    (w) =>
      w.kind === "task" && (w.status === "working" || w.status === "blocked") && (w.changes?.files ?? 0) > 0,
  );
  const result = new Map<string, ConflictWarning[]>();
  if (active.length === 0) return result;
  const reports = await conflictReports(
    ctx,
    active.map((w) => w.name),
  ).catch(() => null);
  for (const w of active) {
    const report = reports?.get(w.name);
    if (!report) continue;
    result.set(w.name, [
      ...(report.target.length ? [{ kind: "target" as const, with: w.target, files: report.target }] : []),
      ...report.workers.map((o) => ({ kind: "worker" as const, with: o.name, files: o.files })),
    ]);
  }
  return result;
}

/** The land a view shows in flight — queued (with its place) or landing — or null. */
export function landingInFlight(
  landing: LandVerdict | null,
): { state: "queued" | "landing"; position: number | null } | null {
  if (landing?.state !== "queued" && landing?.state !== "landing") return null;
  return { state: landing.state, position: landing.position ?? null };
}
