import { join } from "node:path";
import { reachedBudget, reachedMessage } from "../core/budgets.js";
import type { JigContext } from "../core/context.js";
import { type EpicProgress, epicProgress } from "../core/epic-progress.js";
import { epicBranches } from "../core/epics.js";
import { recordEvent } from "../core/events.js";
import { isReady, waitingOn } from "../core/graph.js";
import type { Issue } from "../core/issue.js";
import { requestLand } from "../core/landing/index.js";
import { listQueue, readVerdict } from "../core/landing/queue.js";
import { blockTask } from "../core/lifecycle.js";
import { describeExit, readWorkerStatus, sessionRunning, type WorkerRecord } from "../core/workers.js";
import { JigError } from "../errors.js";
import { tryLockOrTakeOver } from "../lib/lock.js";
import { watchChanges } from "../lib/watch.js";
import { spawnTaskWorker } from "./spawn.js";

// `jig run <epic>` (and `jig plan --auto`): keep the epic moving until it is complete or stuck.
// All state lives in the files (issues, registry, verdicts), so a rerun after Ctrl-C or a crash resumes.

export interface RunOptions {
  agent?: string;
  maxWorkers?: number;
  onEvent?: (line: string) => void;
  signal?: AbortSignal;
}

export interface RunOutcome {
  outcome: "complete" | "blocked" | "interrupted";
  /** Blocked tasks, why, and the commands that would move each. */
  blocked: { id: string; reason: string; commands: string[] }[];
  /** Tasks waiting on others, and the commands that would move what they wait on (when that is stuck). */
  waiting: { id: string; on: string[]; commands: string[] }[];
}

/** The commands that move a stuck task: a human's way out of each state `jig run` cannot leave alone. */
export function commandsFor(task: Pick<Issue, "id" | "status">): string[] {
  if (task.status === "blocked")
    return [`jig retry ${task.id}`, `jig unblock ${task.id}`, `jig abandon ${task.id}`];
  if (task.status === "cancelled") return [`jig retry ${task.id}`];
  return [];
}

const sessionEnded = (record: WorkerRecord | null) => record !== null && !sessionRunning(record);

export async function runEpic(
  ctx: JigContext,
  epicId: string,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const { epic } = await epicBranches(ctx, epicId);
  const release = await tryLockOrTakeOver(join(ctx.paths.runsDir, epic.id), (pid) =>
    options.onEvent?.(`the previous run of ${epic.id} (pid ${pid}) is gone; taking over`),
  );
  if (!release) {
    throw new JigError("CONFLICT", `another jig process is already running epic '${epic.id}'`, {
      hint: "watch it with `jig status` / `jig ps`; a crashed run's lock frees itself within 5 s",
    });
  }
  const say = options.onEvent ?? (() => {});
  const maxWorkers = options.maxWorkers ?? ctx.config.maxWorkers;
  const seen = new Map<string, string>();
  const note = (id: string, state: string, line: string) => {
    if (seen.get(id) === state) return;
    seen.set(id, state);
    say(line);
  };
  try {
    for (;;) {
      if (options.signal?.aborted) return { ...(await summarize(ctx, epic.id)), outcome: "interrupted" };
      const tasks = (await ctx.issues.list()).filter(
        (issue) => issue.kind === "subtask" && issue.epic === epic.id,
      );
      let running = 0;
      for (const task of tasks) {
        const record = await ctx.workers.get(task.id);
        if (task.status === "complete") {
          note(task.id, "complete", `✓ ${task.id} landed`);
          continue;
        }
        if (task.status === "cancelled") continue;
        if (task.status === "blocked") {
          const status = record ? await readStatusMessage(ctx, record) : null;
          note(task.id, "blocked", `✗ ${task.id} blocked${status ? `: ${status.split("\n")[0]}` : ""}`);
          // A live session may resolve it (rebase, fix, land again): keep waiting for it.
          if (record && !sessionEnded(record)) running++;
          continue;
        }
        if (!record || !task.assigned) continue;
        if (!sessionEnded(record)) {
          running++;
          note(
            task.id,
            `running:${record.attempt}`,
            `● ${task.id} running (attempt ${record.attempt}, pid ${record.pid})`,
          );
          continue;
        }
        // The session ended without the task completing. A land it queued may still be waiting for a driver.
        const queued = (await listQueue(ctx.paths, record.target)).some(
          (entry) => entry.worker === record.name,
        );
        if (queued) {
          await requestLand(ctx, record.name, { waitMs: 0 }).catch(() => undefined);
          running++;
          continue;
        }
        // `task` was read at the top of this round; its land may have completed it since (a land marks
        // the issue complete before it leaves the queue), so look again before retrying or blocking it.
        if ((await ctx.issues.get(task.id)).status === "complete") {
          note(task.id, "complete", `✓ ${task.id} landed`);
          continue;
        }
        const overBudget = await reachedBudget(ctx, { task: task.id, epic: epic.id });
        if (record.attempt <= ctx.config.maxRetries && !overBudget) {
          say(
            `↻ ${task.id} session ended (${describeExit(record)}); retrying (attempt ${record.attempt + 1})`,
          );
          await recordEvent(ctx, {
            type: "retry",
            epic: epic.id,
            worker: record.name,
            task: task.id,
            attempt: record.attempt + 1,
            reason: describeExit(record),
          });
          await spawnTaskWorker(ctx, task.id, { agent: options.agent ?? record.agent });
          running++;
        } else if (overBudget) {
          const reason = reachedMessage(overBudget);
          if (!(await blockTask(ctx, record, reason))) continue;
          note(task.id, "blocked", `✗ ${task.id} blocked: ${reason}`);
        } else {
          const reason = `the agent session ended ${record.attempt} time(s) without landing (${describeExit(record)}); see jig logs ${record.name}`;
          if (!(await blockTask(ctx, record, reason))) continue;
          note(task.id, "blocked", `✗ ${task.id} blocked: ${reason}`);
        }
      }
      const all = await ctx.issues.list();
      const fresh = all.filter((issue) => issue.kind === "subtask" && issue.epic === epic.id);
      const freshById = new Map(all.map((issue) => [issue.id, issue]));
      // Said before any dependant it unblocks is started, so the log reads in the order things happened.
      for (const task of fresh)
        if (task.status === "complete") note(task.id, "complete", `✓ ${task.id} landed`);
      const registered = new Set((await ctx.workers.list()).map((record) => record.name));
      // Ready, or left assigned to us by a spawn that was interrupted before its worker was registered.
      const orphaned = (task: Issue) =>
        task.status === "planned" &&
        task.assigned === task.id &&
        !registered.has(task.id) &&
        waitingOn(task, freshById).length === 0;
      // An epic whose budget is spent starts nothing more (running sessions finish or hit their own cap).
      const epicSpent = await reachedBudget(ctx, { task: null, epic: epic.id });
      if (epicSpent)
        note(epic.id, "budget", `✗ ${epic.id}: ${reachedMessage(epicSpent)}; no new task starts`);
      const ready = epicSpent ? [] : fresh.filter((task) => isReady(task, freshById) || orphaned(task));
      for (const task of ready) {
        if (running >= maxWorkers) break;
        const record = await spawnTaskWorker(ctx, task.id, { agent: options.agent });
        running++;
        note(
          task.id,
          `running:${record.attempt}`,
          `● ${task.id} started (${record.agent}, pid ${record.pid})`,
        );
      }
      if (
        fresh.length > 0 &&
        fresh.every((task) => task.status === "complete" || task.status === "cancelled")
      ) {
        return { ...(await summarize(ctx, epic.id)), outcome: "complete" };
      }
      if (running === 0 && (epicSpent || !fresh.some((task) => isReady(task, freshById) || orphaned(task)))) {
        return { ...(await summarize(ctx, epic.id)), outcome: "blocked" };
      }
      await waitForChange(ctx, 1_000, options.signal);
    }
  } finally {
    await release();
  }
}

/**
 * Why the worker is blocked. Its status file may have moved on since the issue was read (a fast agent
 * resolves a conflict in milliseconds): then the last refused land's reason, never the newer message.
 */
async function readStatusMessage(ctx: JigContext, record: WorkerRecord): Promise<string | null> {
  const status = await readWorkerStatus(record.worktree);
  if (status?.status === "blocked") return status.message ?? null;
  const verdict = await readVerdict(ctx.paths, record.name);
  return verdict?.state === "blocked" ? (verdict.reason ?? null) : null;
}

async function summarize(ctx: JigContext, epic: string): Promise<Omit<RunOutcome, "outcome">> {
  const issues = await ctx.issues.list();
  const byId = new Map(issues.map((issue) => [issue.id, issue]));
  const tasks = issues.filter((issue: Issue) => issue.kind === "subtask" && issue.epic === epic);
  const blocked: RunOutcome["blocked"] = [];
  for (const task of tasks.filter((t) => t.status === "blocked")) {
    const record = await ctx.workers.get(task.id);
    blocked.push({
      id: task.id,
      reason: (record ? await readStatusMessage(ctx, record) : null) ?? "blocked",
      commands: commandsFor(task),
    });
  }
  const waiting = tasks
    .filter((t) => t.status === "planned" && waitingOn(t, byId).length > 0)
    .map((t) => {
      const on = waitingOn(t, byId);
      // Only what is itself stuck needs a command; a dependency that runs or waits moves by itself.
      const commands = on.flatMap((id) =>
        byId.get(id)?.status === "cancelled" ? commandsFor(byId.get(id)!) : [],
      );
      return { id: t.id, on, commands };
    });
  // Held by no running session and not waiting: a claim by hand, or a spawn that never started.
  for (const task of tasks.filter((t) => t.status === "in-progress")) {
    const record = await ctx.workers.get(task.assigned ?? task.id);
    if (record && sessionRunning(record)) continue;
    blocked.push({
      id: task.id,
      reason: `in progress, but no session is working on it${task.assigned ? ` (assigned to ${task.assigned})` : ""}`,
      commands: [`jig retry ${task.id}`, `jig abandon ${task.id}`],
    });
  }
  return { blocked, waiting };
}

// Wakes on any change to issues or the worker registry, or after `ms` (worktree status files and
// process exits are not watchable cheaply, so the timeout is the fallback).
async function waitForChange(ctx: JigContext, ms: number, signal?: AbortSignal): Promise<void> {
  const changes = watchChanges([ctx.paths.issuesDir, ctx.paths.workersDir]);
  try {
    await changes.next(ms, signal);
  } finally {
    changes.close();
  }
}

/**
 * `runEpic` in the foreground of a terminal (`jig run`, `jig plan --auto`): Ctrl-C ends the wait, not the
 * workers; returns how it ended and the epic's progress then.
 */
export async function runEpicInForeground(
  ctx: JigContext,
  epicId: string,
  options: Omit<RunOptions, "signal">,
): Promise<{ outcome: RunOutcome; progress: EpicProgress }> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  try {
    const outcome = await runEpic(ctx, epicId, { ...options, signal: controller.signal });
    return { outcome, progress: await epicProgress(ctx, epicId) };
  } finally {
    process.off("SIGINT", onSigint);
  }
}
