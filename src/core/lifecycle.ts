import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { JigError } from "../errors.js";
import { type Action, authorize } from "./authority.js";
import { describeKept, type KeptWork, keepUnlandedWork, unlandedCommits } from "./backup.js";
import type { JigContext } from "./context.js";
import { dirtyFiles } from "./git-ops.js";
import { type Caller, revokeToken } from "./identity.js";
import type { Issue, IssueStatus } from "./issue.js";
import { type LandVerdict, readLanded } from "./landing/queue.js";
import { sessionFile } from "./paths.js";
import {
  sessionRunning,
  stopSession,
  type WorkerRecord,
  type WorkerState,
  writeWorkerStatus,
} from "./workers.js";
import { removeWorktree } from "./worktrees.js";

// The task lifecycle, in one place: every transition of a task and its worker (assign, set state,
// block, unblock, revive for a retry, abandon, retire). docs/lifecycle.md draws the state machine.
// Order of writes, everywhere: the worker's status file (what and why) first, then the issue (a
// compare-and-set on its current status), then the worker record; a reader woken by the issue change
// finds the why already there. Landing writes its verdict last, after the same two.

const OPEN: readonly IssueStatus[] = ["planned", "in-progress", "blocked"];
export const isOpen = (status: IssueStatus): boolean => OPEN.includes(status);

async function subtask(ctx: JigContext, ref: string): Promise<Issue> {
  const issue = await ctx.issues.get(ref);
  if (issue.kind !== "subtask")
    throw new JigError("INVALID_INPUT", `'${issue.id}' is an epic, not a task`, {
      hint: `name one of its subtasks (jig status ${issue.id} lists them)`,
    });
  return issue;
}

/** assign: takes a task for `worker` (compare-and-set: unassigned or already its own, and still open). */
export async function assignTask(
  ctx: JigContext,
  caller: Caller,
  id: string,
  worker: string,
): Promise<Issue> {
  authorize(caller, "spawn");
  return ctx.issues.update(id, (current) => {
    if (current.assigned && current.assigned !== worker)
      throw new JigError("CONFLICT", `task '${current.id}' is assigned to '${current.assigned}'`, {
        hint: "it is someone else's; pick another task or clear `assigned` in the issue file",
      });
    if (!isOpen(current.status))
      throw new JigError("CONFLICT", `task '${current.id}' is ${current.status}; there is nothing to spawn`, {
        hint:
          current.status === "cancelled"
            ? `bring it back with \`jig retry ${current.id}\``
            : `see \`jig status ${current.epic}\``,
      });
    return { assigned: worker, status: current.status === "blocked" ? "planned" : current.status };
  });
}

const ISSUE_STATUS_FOR: Record<WorkerState, IssueStatus | null> = {
  working: "in-progress",
  blocked: "blocked",
  done: null,
};

/** set state (working / blocked(reason) / done): the status file, then the open issue. Returns the issue's status. */
export async function setWorkerState(
  ctx: JigContext,
  record: WorkerRecord,
  state: WorkerState,
  message: string | null,
): Promise<IssueStatus | null> {
  await writeWorkerStatus(record.worktree, { status: state, message });
  if (!record.issue) return null;
  const wanted = ISSUE_STATUS_FOR[state];
  if (!wanted) return (await ctx.issues.get(record.issue)).status;
  const updated = await ctx.issues.update(record.issue, (issue) =>
    isOpen(issue.status) && issue.status !== wanted ? { status: wanted } : null,
  );
  return updated.status;
}

/**
 * land(verdict), called by the landing outcome before it writes the verdict: the status file (done, or
 * blocked with the reason), then the issue (complete, or blocked) unless it was cancelled meanwhile.
 */
export async function landTransition(
  ctx: JigContext,
  record: WorkerRecord,
  verdict: LandVerdict,
): Promise<void> {
  const landed = verdict.state === "landed";
  if (existsSync(record.worktree))
    await writeWorkerStatus(record.worktree, {
      status: landed ? "done" : "blocked",
      message: landed ? null : (verdict.reason ?? "landing failed"),
    });
  if (!record.issue || record.kind !== "task") return;
  const status: IssueStatus = landed ? "complete" : "blocked";
  await ctx.issues
    .update(record.issue, (current) =>
      current.status === status || current.status === "cancelled" ? null : { status },
    )
    .catch(() => {});
}

/**
 * block(reason) by the scheduler, once a task's sessions ended without landing: the status file, then
 * the issue unless a land completed it meanwhile (then the status file says done). False when it had.
 */
export async function blockTask(ctx: JigContext, record: WorkerRecord, reason: string): Promise<boolean> {
  if (!record.issue) return false;
  await writeWorkerStatus(record.worktree, { status: "blocked", message: reason });
  const now = await ctx.issues.update(record.issue, (current) =>
    current.status === "in-progress" || current.status === "planned" ? { status: "blocked" } : null,
  );
  if (now.status === "blocked") return true;
  await writeWorkerStatus(record.worktree, {
    status: now.status === "complete" ? "done" : "working",
    message: null,
  });
  return false;
}

export interface Released {
  task: string;
  status: IssueStatus;
  /** Whether a live session still holds it (it goes on); otherwise `jig run` (or `jig retry`) respawns it. */
  live: boolean;
}

/**
 * unblock, after a human fixed what blocked a task: in-progress when its session lives, else planned (still
 * assigned) with its retry count reset, so `jig run` respawns it and never re-blocks it for old attempts.
 */
export async function unblockTask(ctx: JigContext, caller: Caller, ref: string): Promise<Released> {
  authorize(caller, "unblock");
  const task = await subtask(ctx, ref);
  if (task.status !== "blocked")
    throw new JigError("PRECONDITION_FAILED", `task '${task.id}' is ${task.status}, not blocked`, {
      hint:
        task.status === "cancelled"
          ? `bring it back with \`jig retry ${task.id}\``
          : `see \`jig status ${task.epic}\``,
    });
  const record = task.assigned ? await ctx.workers.get(task.assigned) : null;
  const live = record !== null && sessionRunning(record);
  if (record) {
    await writeWorkerStatus(record.worktree, { status: "working", message: "unblocked by a human" });
    if (!live) await ctx.workers.update(record.name, (current) => ({ ...current, attempt: 0 }));
  }
  const status: IssueStatus = live ? "in-progress" : "planned";
  await ctx.issues.update(task.id, (current) => (current.status === "blocked" ? { status } : null));
  return { task: task.id, status, live };
}

/**
 * The state half of a retry: refuses a task whose session still runs or that is complete, brings a
 * cancelled or blocked task back to planned (keeping its assignee), and resets the retry count. The
 * orchestrator then respawns it in its kept worktree.
 */
export async function reviveTask(ctx: JigContext, caller: Caller, ref: string): Promise<Issue> {
  authorize(caller, "retry");
  const task = await subtask(ctx, ref);
  if (task.status === "complete")
    throw new JigError("PRECONDITION_FAILED", `task '${task.id}' is complete; there is nothing to retry`, {
      hint: `see \`jig status ${task.epic}\``,
    });
  const record = await ctx.workers.get(task.assigned ?? task.id);
  if (record && sessionRunning(record))
    throw new JigError("CONFLICT", `task '${task.id}' has a running session (pid ${record.pid})`, {
      hint: `stop it first with \`jig kill ${record.name}\`, then \`jig retry ${task.id}\``,
    });
  if (record) await ctx.workers.update(record.name, (current) => ({ ...current, attempt: 0 }));
  return ctx.issues.update(task.id, (current) =>
    current.status === "blocked" || current.status === "cancelled" || current.status === "in-progress"
      ? { status: "planned" }
      : null,
  );
}

export interface Abandoned {
  tasks: string[];
  kept: KeptWork[];
  stopped: string[];
}

/**
 * abandon: stops the task's session, keeps every commit and uncommitted file reachable from a backup
 * ref, marks the worker done ("abandoned") and the issue cancelled. The worktree and branch stay.
 */
export async function abandonTask(
  ctx: JigContext,
  caller: Caller,
  ref: string,
  why = "abandoned",
): Promise<Abandoned> {
  authorize(caller, "abandon");
  const task = await subtask(ctx, ref);
  if (!isOpen(task.status))
    throw new JigError(
      "PRECONDITION_FAILED",
      `task '${task.id}' is ${task.status}; there is nothing to abandon`,
      {
        hint: `see \`jig status ${task.epic}\``,
      },
    );
  const result: Abandoned = { tasks: [task.id], kept: [], stopped: [] };
  const record = await ctx.workers.get(task.assigned ?? task.id);
  if (record) {
    if (sessionRunning(record)) {
      await stopSession(ctx.workers, record);
      result.stopped.push(record.name);
    }
    const kept = await keepUnlandedWork(ctx, record, why);
    if (kept) result.kept.push(kept);
    await writeWorkerStatus(record.worktree, {
      status: "done",
      message: kept ? `${why}; ${describeKept(kept)}` : why,
    }).catch(() => undefined);
  }
  await ctx.issues.update(task.id, (current) => (isOpen(current.status) ? { status: "cancelled" } : null));
  return result;
}

/** abandon an epic: every open subtask abandoned, its planner stopped, the epic cancelled. */
export async function abandonEpic(
  ctx: JigContext,
  caller: Caller,
  epicId: string,
  why = "abandoned",
): Promise<Abandoned> {
  authorize(caller, "abandon");
  const result: Abandoned = { tasks: [], kept: [], stopped: [] };
  const open = (await ctx.issues.list()).filter(
    (issue) => issue.kind === "subtask" && issue.epic === epicId && isOpen(issue.status),
  );
  for (const task of open) {
    const one = await abandonTask(ctx, caller, task.id, why);
    result.tasks.push(...one.tasks);
    result.kept.push(...one.kept);
    result.stopped.push(...one.stopped);
  }
  const planner = await ctx.workers.get(`planner-${epicId}`);
  if (planner && sessionRunning(planner)) {
    await stopSession(ctx.workers, planner);
    result.stopped.push(planner.name);
  }
  await ctx.issues.update(epicId, (current) =>
    current.status === "complete" ? null : { status: "cancelled" },
  );
  return result;
}

export interface Retired {
  worker: string;
  kept: KeptWork | null;
}

/**
 * retire (merge, clean): stops the session, keeps unlanded work at a backup ref, then removes the
 * worktree, the `_jig/` branch, the record, its MCP config and token.
 */
export async function retireWorker(
  ctx: JigContext,
  caller: Caller,
  record: WorkerRecord,
  why: Extract<Action, "merge" | "clean">,
  options: { keep?: boolean } = {},
): Promise<Retired> {
  authorize(caller, why);
  if (sessionRunning(record)) await stopSession(ctx.workers, record);
  const kept =
    options.keep === false
      ? null
      : await keepUnlandedWork(ctx, record, why === "merge" ? "merged" : "cleaned");
  if (record.kind !== "planner") await removeWorktree(ctx, record.name, { deleteBranch: true });
  await ctx.workers.remove(record.name);
  for (const file of [`${record.name}.mcp.json`, `${record.name}.launch.json`])
    await rm(join(ctx.paths.workersDir, file), { force: true });
  for (const kind of ["mcp", "launch", "settings"] as const)
    await rm(sessionFile(ctx.paths, record.name, kind), { force: true });
  await revokeToken(ctx.paths, record.name);
  return { worker: record.name, kept };
}

export interface Cleaned {
  removed: Retired[];
  /** Finished workers left in place because their work is not on their target (clean --force keeps it at a backup ref and removes them). */
  unlanded: { worker: string; commits: number; uncommitted: string[] }[];
  /** Workers whose task is still open or whose session runs: not finished, not touched. */
  active: string[];
}

/**
 * clean: removes finished workers — session ended and task complete or cancelled (or no task: ad-hoc,
 * planner) — with their worktrees and `_jig/` branches. A finished worker with work not on its target is
 * left alone and listed, unless `force`, which keeps that work at a backup ref first.
 */
export async function cleanWorkers(
  ctx: JigContext,
  caller: Caller,
  options: { epic?: string; force?: boolean } = {},
): Promise<Cleaned> {
  authorize(caller, "clean");
  const result: Cleaned = { removed: [], unlanded: [], active: [] };
  const issues = new Map((await ctx.issues.list()).map((issue) => [issue.id, issue]));
  for (const record of await ctx.workers.list()) {
    if (options.epic && record.epic !== options.epic) continue;
    const task = record.kind === "task" && record.issue ? issues.get(record.issue) : undefined;
    if (sessionRunning(record) || (task && isOpen(task.status))) {
      result.active.push(record.name);
      continue;
    }
    if (!options.force && record.kind !== "planner") {
      const landed = (await readLanded(ctx.paths, record.name).catch(() => null))?.head;
      const commits = await unlandedCommits(ctx.paths.root, record.target, record.branch, landed);
      const uncommitted = await dirtyFiles(record.worktree).catch(() => [] as string[]);
      if (commits.length > 0 || uncommitted.length > 0) {
        result.unlanded.push({ worker: record.name, commits: commits.length, uncommitted });
        continue;
      }
    }
    result.removed.push(await retireWorker(ctx, caller, record, "clean"));
  }
  return result;
}
