// Over 300 lines on purpose: this is the one writer of every task transition and its one table (issue
// 12 asks for exactly one); splitting it would make two writers again.
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { JigError } from "../errors.js";
import { gitRun } from "../lib/git.js";
import { type Action, authorize } from "./authority.js";
import { describeKept, type KeptWork, keepUnlandedWork, unlandedCommits } from "./backup.js";
import type { JigContext } from "./context.js";
import { dirtyFiles } from "./git-ops.js";
import { isReady, waitingOn } from "./graph.js";
import { type Caller, revokeToken } from "./identity.js";
import { resolveReference } from "./ids.js";
import { applyPatch, type Issue, type IssuePatch, type IssueStatus, parseIssue } from "./issue.js";
import type { IssueSnapshot } from "./issue-store.js";
import {
  type LandVerdict,
  readLanded,
  removeLandRecords,
  type StoredVerdict,
  writeLanded,
  writeVerdict,
} from "./landing/queue.js";
import { sessionFile } from "./paths.js";
import { deleteWorkerRef, fetchLastPush, type LastPush, workerRemoteRef } from "./remote-work.js";
import type { IssuesById } from "./tasks.js";
import {
  isRemote,
  sessionRunning,
  stopSession,
  type WorkerRecord,
  type WorkerState,
  writeWorkerStatus,
} from "./workers.js";
import { removeWorktree } from "./worktrees.js";

// The task lifecycle, in one place: every transition of a task and its worker (assign, claim, start,
// set state, block, land, unblock, revive for a retry, abandon, replan, retire), and the only module
// that writes an issue's status, a worker's status file or a land verdict. docs/lifecycle.md draws the
// state machine. Order of writes, everywhere: the worker's status file (what and why) first, then the
// issue (a compare-and-set on its current status), then the worker record; a reader woken by the issue
// change finds the why already there. The land verdict is written last, after the same two.

const OPEN: readonly IssueStatus[] = ["planned", "in-progress", "blocked"];
export const isOpen = (status: IssueStatus): boolean => OPEN.includes(status);

/**
 * The transition table: for each transition, the issue statuses it may start from and the status each
 * goes to. A status not listed does not move (the compare-and-set leaves the issue as it is, or the
 * caller says why). docs/lifecycle.md draws the same table; test/unit/lifecycle-table.test.ts keeps
 * the two and the code honest.
 */
export const TRANSITIONS = {
  /** jig spawn / jig run take a task for a worker (a blocked one is planned again for its respawn). */
  assign: { planned: "planned", "in-progress": "in-progress", blocked: "planned" },
  /** the worker's claim_task (a repeated claim by its holder is harmless; a blocked holder resumes). */
  claim: { planned: "in-progress", "in-progress": "in-progress", blocked: "in-progress" },
  /** the worker's set_status working. */
  work: { planned: "in-progress", blocked: "in-progress" },
  /** set_status blocked (worker), retries used up or budget reached (jig run, the supervisor). */
  block: { planned: "blocked", "in-progress": "blocked" },
  /** a land verdict: landed. */
  land: { planned: "complete", "in-progress": "complete", blocked: "complete" },
  /** a land verdict: blocked (conflict, gate, jig's own paths). */
  refuse: { planned: "blocked", "in-progress": "blocked" },
  /** jig unblock, the task's session dead: planned, `jig run` respawns it. */
  unblock: { blocked: "planned" },
  /** jig unblock, the task's session alive: it goes on. */
  release: { blocked: "in-progress" },
  /** jig retry (and its revive of a cancelled task). */
  retry: { "in-progress": "planned", blocked: "planned", cancelled: "planned" },
  /** jig abandon, jig merge --force. */
  abandon: { planned: "cancelled", "in-progress": "cancelled", blocked: "cancelled" },
  /** jig plan --replan: a subtask nobody has taken. */
  replan: { planned: "cancelled" },
} as const satisfies Record<string, Partial<Record<IssueStatus, IssueStatus>>>;
export type Transition = keyof typeof TRANSITIONS;

/** Where `transition` takes an issue in `status`, or null when it may not start there. */
export function nextStatus(status: IssueStatus, transition: Transition): IssueStatus | null {
  return (TRANSITIONS[transition] as Partial<Record<IssueStatus, IssueStatus>>)[status] ?? null;
}

/**
 * The one writer of an issue's status: a compare-and-set, under the store's lock, on the table (and on
 * `when`, if given); `also` rides along (an assignee). Returns the issue as it now is.
 */
async function move(
  ctx: JigContext,
  id: string,
  transition: Transition,
  options: { when?: (issue: Issue) => boolean; also?: IssuePatch } = {},
): Promise<Issue> {
  return ctx.issues.update(id, (current) => {
    const to = nextStatus(current.status, transition);
    if (!to || (options.when && !options.when(current))) return null;
    if (to === current.status && !options.also) return null;
    return { ...options.also, status: to };
  });
}

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
    const status = nextStatus(current.status, "assign");
    if (!status)
      throw new JigError("CONFLICT", `task '${current.id}' is ${current.status}; there is nothing to spawn`, {
        hint:
          current.status === "cancelled"
            ? `bring it back with \`jig retry ${current.id}\``
            : `see \`jig status ${current.epic}\``,
      });
    return { assigned: worker, status };
  });
}

export interface Claimed {
  task: Issue;
  /** The task's epic, from the snapshot the claim was decided on. */
  epic: Issue | undefined;
  /** True when the caller already held this task (a repeated claim is harmless). */
  alreadyClaimed: boolean;
}

/**
 * claim: the compare-and-set that gives a task to `assignee`, under the store's lock, so two callers never
 * get the same task. `own` is the task a worker was spawned for (it may claim only that one); without it
 * (the admin) `issue` names the task, or the next ready one in `epic` is taken. Then the worker's status
 * file says working.
 */
export async function claimTransition(
  ctx: JigContext,
  options: {
    assignee: string;
    own: string | null;
    issue?: string;
    epic?: string;
    worker: WorkerRecord | null;
    /** The snapshot's issues by id and its subtasks in plan order (tasks.ts keeps them per snapshot). */
    view: (snapshot: IssueSnapshot) => { byId: IssuesById; ordered: Issue[] };
  },
): Promise<Claimed> {
  const { assignee, own } = options;
  const claimed = await ctx.issues.transact((snapshot) => {
    const { byId, ordered } = options.view(snapshot);
    let task: Issue | undefined;
    if (own) {
      if (options.issue) {
        const asked = resolveReference(options.issue, [...byId.ids()], { epic: byId.get(own)?.epic });
        if (asked !== own)
          throw new JigError(
            "FORBIDDEN",
            `worker '${assignee}' may claim only its own task '${own}', not '${asked}'`,
            { hint: "call claim_task without arguments" },
          );
      }
      task = byId.get(own);
      if (!task)
        throw new JigError("NOT_FOUND", `the task '${own}' this worker was spawned for no longer exists`, {
          hint: "call set_status with status blocked and say so",
        });
    } else if (options.issue) {
      task = byId.get(resolveReference(options.issue, [...byId.ids()], { epic: options.epic }));
    } else {
      task = ordered.find((issue) => (!options.epic || issue.epic === options.epic) && isReady(issue, byId));
      if (!task) {
        throw new JigError(
          "NOT_FOUND",
          `no task is ready${options.epic ? ` in epic '${options.epic}'` : ""}`,
          {
            hint: "every task is taken, complete, or waiting on dependencies; call list_tasks to see which",
          },
        );
      }
    }
    if (!task) throw new JigError("NOT_FOUND", "no such task", { hint: "call list_tasks for the ids" });
    if (task.kind !== "subtask")
      throw new JigError("INVALID_INPUT", `'${task.id}' is an epic, not a task`, {
        hint: "claim one of its subtasks",
      });
    const to = nextStatus(task.status, "claim");
    const mine = task.assigned === assignee;
    if (mine && to && task.status !== "planned") {
      const content = to !== task.status ? applyPatch(task, { status: to }) : null;
      return {
        writes: content ? [{ id: task.id, content }] : [],
        result: {
          task: content ? parseIssue(task.id, content) : task,
          epic: byId.get(task.epic),
          alreadyClaimed: true,
        },
      };
    }
    if (task.status !== "planned" || (task.assigned && !mine)) {
      const holder = task.assigned ? ` (assigned to ${task.assigned})` : "";
      throw new JigError("CONFLICT", `task '${task.id}' cannot be claimed: it is ${task.status}${holder}`, {
        hint:
          task.status === "complete"
            ? "it is done; nothing to do"
            : "another worker has it; call list_tasks for ready tasks",
        details: { status: task.status, assigned: task.assigned },
      });
    }
    const waiting = waitingOn(task, byId);
    if (waiting.length > 0) {
      throw new JigError("PRECONDITION_FAILED", `task '${task.id}' is waiting on ${waiting.join(", ")}`, {
        hint: "its dependencies must be complete first",
        details: { waitingOn: waiting },
      });
    }
    const content = applyPatch(task, { status: to!, assigned: assignee });
    return {
      writes: [{ id: task.id, content }],
      result: { task: parseIssue(task.id, content), epic: byId.get(task.epic), alreadyClaimed: false },
    };
  });
  if (options.worker) await writeWorkerStatus(options.worker.worktree, { status: "working", message: null });
  return claimed;
}

/** start: a session was launched for `record`: its record saved, its status file says working. */
export async function startTransition(ctx: JigContext, record: WorkerRecord): Promise<void> {
  await ctx.workers.save(record);
  await writeWorkerStatus(record.worktree, { status: "working", message: null });
}

const TRANSITION_FOR: Record<WorkerState, Transition | null> = {
  working: "work",
  blocked: "block",
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
  const transition = TRANSITION_FOR[state];
  if (!transition) return (await ctx.issues.get(record.issue)).status;
  return (await move(ctx, record.issue, transition)).status;
}

/**
 * land(verdict), called by the landing outcome before it records the verdict: the status file (done, or
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
  await move(ctx, record.issue, landed ? "land" : "refuse").catch(() => {});
}

/**
 * The land verdict's one writer: a land's progress (queued, landing) and its outcome, which the landing
 * outcome records after landTransition — with, for a landed verdict, what landed (so it is never replayed).
 */
export async function recordVerdict(ctx: JigContext, verdict: StoredVerdict): Promise<void> {
  if (verdict.state === "landed" && verdict.head && verdict.tip)
    await writeLanded(ctx.paths, verdict.worker, {
      head: verdict.head,
      commits: verdict.commits ?? [],
      tip: verdict.tip,
    });
  await writeVerdict(ctx.paths, verdict);
}

/**
 * block at the budget (the supervisor stopped the session at its cap): the status file with the spend,
 * then the task's issue blocked until a human raises the budget.
 */
export async function blockAtBudget(
  ctx: JigContext,
  record: WorkerRecord,
  message: string,
  budget: string | null,
): Promise<void> {
  await writeWorkerStatus(record.worktree, { status: "blocked", message, budget });
  if (record.kind === "task" && record.issue) await move(ctx, record.issue, "block").catch(() => {});
}

/**
 * block(reason) by the scheduler, once a task's sessions ended without landing: the status file, then
 * the issue unless a land completed it meanwhile (then the status file says done). False when it had.
 */
export async function blockTask(ctx: JigContext, record: WorkerRecord, reason: string): Promise<boolean> {
  if (!record.issue) return false;
  await writeWorkerStatus(record.worktree, { status: "blocked", message: reason });
  const now = await move(ctx, record.issue, "block");
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
 * assigned); its retry count reset either way, so `jig run` never re-blocks it for old attempts.
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
    // Released by a human: earlier attempts no longer count, whether or not its session still lives (if
    // that session dies later, `jig run` respawns it instead of blocking it for the old attempts).
    // A live session becomes attempt 1 of the fresh count; a dead one's respawn will be.
    await ctx.workers.update(record.name, (current) => ({ ...current, attempt: live ? 1 : 0 }));
  }
  const now = await move(ctx, task.id, live ? "release" : "unblock");
  return { task: task.id, status: now.status, live };
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
  return move(ctx, task.id, "retry");
}

export interface Abandoned {
  tasks: string[];
  kept: KeptWork[];
  stopped: string[];
  /** What could not be done and was reported instead (a remote worker's remote unreachable). */
  notes: string[];
}

/**
 * A remote worker's last push, fetched before its work is judged or kept (its commits reach this
 * repository only through the shared remote); null for a local worker.
 */
const fetchRemoteWork = (ctx: JigContext, record: WorkerRecord): Promise<LastPush> | null =>
  isRemote(record) ? fetchLastPush(ctx, record) : null;

const unfetched = (name: string, problem: string) =>
  `${name}: could not fetch its last push (${problem}); kept what the coordinator last fetched`;

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
  const result: Abandoned = { tasks: [task.id], kept: [], stopped: [], notes: [] };
  const record = await ctx.workers.get(task.assigned ?? task.id);
  if (record) {
    if (sessionRunning(record)) {
      await stopSession(ctx.workers, record);
      result.stopped.push(record.name);
    }
    if (isRemote(record)) {
      // A worker on another machine may outlive its stopped launcher (a Job, a lost ssh): without a
      // valid token its `jig worker` stops its agent at the next check (docs/remote.md).
      await revokeToken(ctx.paths, record.name);
      const last = await fetchRemoteWork(ctx, record);
      if (last?.problem) result.notes.push(unfetched(record.name, last.problem));
    }
    const kept = await keepUnlandedWork(ctx, record, why);
    if (kept) result.kept.push(kept);
    await writeWorkerStatus(record.worktree, {
      status: "done",
      message: kept ? `${why}; ${describeKept(kept)}` : why,
    }).catch(() => undefined);
  }
  await move(ctx, task.id, "abandon");
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
  const result: Abandoned = { tasks: [], kept: [], stopped: [], notes: [] };
  const open = (await ctx.issues.list()).filter(
    (issue) => issue.kind === "subtask" && issue.epic === epicId && isOpen(issue.status),
  );
  for (const task of open) {
    const one = await abandonTask(ctx, caller, task.id, why);
    result.tasks.push(...one.tasks);
    result.kept.push(...one.kept);
    result.stopped.push(...one.stopped);
    result.notes.push(...one.notes);
  }
  const planner = await ctx.workers.get(`planner-${epicId}`);
  if (planner && sessionRunning(planner)) {
    await stopSession(ctx.workers, planner);
    result.stopped.push(planner.name);
  }
  await move(ctx, epicId, "abandon");
  return result;
}

/** replan's first step: cancel the epic's subtasks nobody has taken yet (planned, unassigned); the rest stay. */
export async function cancelNotStarted(ctx: JigContext, caller: Caller, epic: string): Promise<string[]> {
  authorize(caller, "plan", { epic });
  const ids = (await ctx.issues.list())
    .filter((i) => i.kind === "subtask" && i.epic === epic && i.status === "planned" && !i.assigned)
    .map((i) => i.id);
  const cancelled: string[] = [];
  for (const id of ids) {
    const now = await move(ctx, id, "replan", { when: (current) => !current.assigned });
    if (now.status === "cancelled") cancelled.push(id);
  }
  return cancelled;
}

export interface Retired {
  worker: string;
  kept: KeptWork | null;
  /** What could not be done and was reported instead (a remote worker's ref left on the remote). */
  notes: string[];
}

/**
 * retire (merge, clean): stops the session, keeps unlanded work at a backup ref, then removes the
 * worktree, the `_jig/` branch, the record, its land verdict and landed record, its MCP config and token
 * — and a remote worker's `refs/jig/workers/<name>` on the shared remote (after fetching it, so its last
 * push is kept first; an unreachable remote is a note, not a failure).
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
  const notes: string[] = [];
  const last = await fetchRemoteWork(ctx, record);
  // Told not to keep (kept already, e.g. by an abandon): a remote worker may have pushed since.
  const keep =
    options.keep !== false || (last?.tip ? !(await isBackedUp(ctx, record.name, last.tip)) : false);
  const kept = keep ? await keepUnlandedWork(ctx, record, why === "merge" ? "merged" : "cleaned") : null;
  if (record.kind !== "planner") await removeWorktree(ctx, record.name, { deleteBranch: true });
  await ctx.workers.remove(record.name);
  await removeLandRecords(ctx.paths, record.name);
  for (const file of [`${record.name}.mcp.json`, `${record.name}.launch.json`])
    await rm(join(ctx.paths.workersDir, file), { force: true });
  for (const kind of ["mcp", "launch", "settings"] as const)
    await rm(sessionFile(ctx.paths, record.name, kind), { force: true });
  await revokeToken(ctx.paths, record.name);
  const deleteByHand = `delete it with git push ${ctx.config.remote} :${workerRemoteRef(record.name)}`;
  if (last?.problem)
    notes.push(`${unfetched(record.name, last.problem)}; its ref on the remote stays (${deleteByHand})`);
  else if (last?.tip) {
    const stays = await deleteWorkerRef(ctx, record.name, last.tip);
    if (stays) notes.push(`${record.name}: its ref on the remote stays (${stays}); ${deleteByHand}`);
  }
  return { worker: record.name, kept, notes };
}

/** Whether a commit is reachable from one of the worker's backup refs already. */
async function isBackedUp(ctx: JigContext, worker: string, commit: string): Promise<boolean> {
  const out = await gitRun(ctx.paths.root, [
    "for-each-ref",
    "--count=1",
    `--contains=${commit}`,
    "--format=%(refname)",
    `refs/jig/backup/${worker}/`,
  ]);
  return out.exitCode === 0 && out.stdout.trim() !== "";
}

export interface Cleaned {
  removed: Retired[];
  /** Finished workers left in place because their work is not on their target (clean --force keeps it at a backup ref and removes them). */
  unlanded: { worker: string; commits: number; uncommitted: string[] }[];
  /** Workers whose task is still open or whose session runs: not finished, not touched. */
  active: string[];
  /** What could not be done and was reported instead (a remote unreachable: its worker left in place). */
  notes: string[];
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
  const result: Cleaned = { removed: [], unlanded: [], active: [], notes: [] };
  const issues = new Map((await ctx.issues.list()).map((issue) => [issue.id, issue]));
  for (const record of await ctx.workers.list()) {
    if (options.epic && record.epic !== options.epic) continue;
    const task = record.kind === "task" && record.issue ? issues.get(record.issue) : undefined;
    if (sessionRunning(record) || (task && isOpen(task.status))) {
      result.active.push(record.name);
      continue;
    }
    if (!options.force && record.kind !== "planner") {
      const last = await fetchRemoteWork(ctx, record);
      if (last?.problem) {
        // What it pushed cannot be seen: removing it could drop work only the remote has.
        result.notes.push(
          `left ${record.name}: could not fetch its last push (${last.problem}) — jig clean --force removes it, keeping what the coordinator last fetched`,
        );
        continue;
      }
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
