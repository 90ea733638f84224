import { z } from "zod";
import { JigError } from "../errors.js";
import { authorize } from "./authority.js";
import type { JigContext } from "./context.js";
import { defaultTarget, taskTarget } from "./epics.js";
import { recordEvent } from "./events.js";
import { type ById, isReady, waitingOn } from "./graph.js";
import type { Caller } from "./identity.js";
import { type Issue, type IssueStatus, IssueStatusSchema } from "./issue.js";
import type { IssueSnapshot } from "./issue-store.js";
import { claimTransition, setWorkerState } from "./lifecycle.js";
import { isRemote, type WorkerState } from "./workers.js";

// What agents do to tasks — claim, report, list: each checks its caller (authority.ts) and asks the
// lifecycle (lifecycle.ts) for the transition; none writes a status itself.

export interface ClaimResult {
  task: Issue;
  target: string;
  worktree: string | null;
  /** True when the caller already held this task (a repeated claim is harmless). */
  alreadyClaimed: boolean;
}

const byNumber = (a: Issue, b: Issue) =>
  a.epic.localeCompare(b.epic) || (a.number ?? 0) - (b.number ?? 0) || a.id.localeCompare(b.id);

/** A snapshot's issues by id, without a map of its own (see `planView`). */
export interface IssuesById extends ById<Issue> {
  ids(): Iterable<string>;
}

/** One snapshot's issues by id and its subtasks in plan order, with their list rows once asked for. */
interface PlanView {
  version: number;
  shape: number;
  byId: IssuesById;
  /** The subtasks' positions in the snapshot's issues, in plan order (the same while the shape holds). */
  order: number[];
  ordered: Issue[];
  rows: TaskRow[] | null;
}

// Kept per store for its latest snapshot: a read of 10,000 unchanged issues costs a lookup, not a sort,
// and a claim (a new version of the same shape) costs one pass over the plan order, not a new map.
const views = new WeakMap<object, PlanView>();

function planView(store: object, snapshot: IssueSnapshot): PlanView {
  const { version, shape, issues } = snapshot;
  const cached = views.get(store);
  if (cached && version !== undefined && cached.version === version) return cached;
  const positions = snapshot.positions ?? new Map(issues.map((issue, i) => [issue.id, i]));
  const byId: IssuesById = {
    get: (id) => {
      const at = positions.get(id);
      return at === undefined ? undefined : issues[at];
    },
    ids: () => positions.keys(),
  };
  // Same ids, kinds, epics and numbers: the plan order holds; only the issues themselves are new.
  const order =
    cached && shape !== undefined && cached.shape === shape
      ? cached.order
      : issues
          .map((issue, i) => ({ issue, i }))
          .filter(({ issue }) => issue.kind === "subtask")
          .sort((a, b) => byNumber(a.issue, b.issue))
          .map(({ i }) => i);
  const ordered = order.map((i) => issues[i]!);
  const view = { version: version ?? -1, shape: shape ?? -1, byId, order, ordered, rows: null };
  if (version !== undefined && shape !== undefined) views.set(store, view);
  return view;
}

/**
 * Takes a task (the lifecycle's claim, atomic under the store lock): a worker gets the issue it was
 * spawned for; the admin a named issue or the next ready one. Two callers never get the same task.
 */
export async function claimTask(
  ctx: JigContext,
  caller: Caller,
  options: { issue?: string; epic?: string; as?: string } = {},
): Promise<ClaimResult> {
  const self = caller.role === "admin" ? null : authorize(caller, "claim");
  const assignee = self ?? options.as ?? caller.name;
  const record = self ? await ctx.workers.get(self) : null;
  const own = record?.issue ?? null;
  if (self && !own)
    throw new JigError(
      "FORBIDDEN",
      `worker '${self}' was not spawned for an issue, so it has no task to claim`,
      {
        hint: "ad-hoc workers get their task from the prompt; just do it",
      },
    );
  const claimed = await claimTransition(ctx, {
    assignee,
    own,
    issue: options.issue,
    epic: options.epic,
    worker: record,
    view: (snapshot) => planView(ctx.issues, snapshot),
  });
  const task = claimed.task;
  // The target from the snapshot the claim was decided on (no second read of every issue).
  const epic = claimed.epic?.kind === "epic" ? claimed.epic : null;
  if (!claimed.alreadyClaimed)
    await recordEvent(ctx, { type: "claimed", epic: task.epic, worker: assignee, task: task.id });
  return {
    task,
    target: task.target ?? (epic ? (epic.target ?? defaultTarget(epic.id)) : await taskTarget(ctx, task)),
    // A remote worker's worktree is on its own machine; the path here is the coordinator's, not for it.
    worktree: record && !isRemote(record) ? record.worktree : null,
    alreadyClaimed: claimed.alreadyClaimed,
  };
}

export interface SetStatusResult {
  worker: string | null;
  issue: string | null;
  status: WorkerState;
  issueStatus: IssueStatus | null;
}

/** Records a worker's state in its worktree's .jig/status.json and mirrors it onto its issue. */
export async function setStatus(
  ctx: JigContext,
  caller: Caller,
  options: { status: WorkerState; message?: string | null; worker?: string },
): Promise<SetStatusResult> {
  const name = authorize(caller, "set_status", { worker: options.worker })!;
  if (options.status === "blocked" && !options.message?.trim()) {
    throw new JigError("INVALID_INPUT", "status blocked needs a message saying what blocks you", {
      hint: 'e.g. message: "Need the OAuth client id"',
    });
  }
  const record = await ctx.workers.require(name);
  const issueStatus = await setWorkerState(ctx, record, options.status, options.message?.trim() || null);
  await recordEvent(ctx, {
    type: "status",
    epic: record.epic,
    worker: name,
    task: record.issue,
    status: options.status,
    message: options.message?.trim() || null,
  });
  return { worker: name, issue: record.issue, status: options.status, issueStatus };
}

export interface TaskFilters {
  epic?: string;
  status?: IssueStatus;
  ready?: boolean;
  assignee?: string;
  cursor?: string;
  limit?: number;
}

/** An issue as a row of a list — `list_tasks`, `get_task`, `jig issues list/show` — the one shape of it. */
export const TaskRowSchema = z.object({
  id: z.string(),
  kind: z.enum(["epic", "subtask"]),
  epic: z.string(),
  status: IssueStatusSchema,
  assigned: z.string().nullable(),
  title: z.string(),
  depends: z.array(z.string()),
  /** The dependencies not complete yet. */
  waitingOn: z.array(z.string()),
  /** A subtask whose dependencies are all complete and that nobody holds. */
  ready: z.boolean(),
});
export type TaskRow = z.infer<typeof TaskRowSchema>;

export function taskRow(issue: Issue, byId: ById<Issue>): TaskRow {
  return {
    id: issue.id,
    kind: issue.kind,
    epic: issue.epic,
    status: issue.status,
    assigned: issue.assigned,
    title: issue.title,
    depends: issue.depends,
    waitingOn: waitingOn(issue, byId),
    ready: issue.kind === "subtask" && isReady(issue, byId),
  };
}

/** Subtasks matching the filters, in plan order, `limit` at a time; `nextCursor` continues. */
export async function listTasks(
  ctx: JigContext,
  filters: TaskFilters = {},
): Promise<{ tasks: TaskRow[]; total: number; nextCursor: string | null }> {
  const view = planView(ctx.issues, await ctx.issues.load());
  view.rows ??= view.ordered.map((issue) => taskRow(issue, view.byId));
  const rows = view.rows.filter(
    (row) =>
      (!filters.epic || row.epic === filters.epic) &&
      (!filters.status || row.status === filters.status) &&
      (!filters.assignee || row.assigned === filters.assignee) &&
      (!filters.ready || row.ready),
  );
  const start = filters.cursor ? decodeCursor(filters.cursor) : 0;
  const limit = filters.limit ?? 50;
  const page = rows
    .slice(start, start + limit)
    .map((row) => ({ ...row, depends: [...row.depends], waitingOn: [...row.waitingOn] }));
  return {
    tasks: page,
    total: rows.length,
    nextCursor: start + limit < rows.length ? encodeCursor(start + limit) : null,
  };
}

const encodeCursor = (offset: number): string => Buffer.from(`o:${offset}`).toString("base64url");
function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, "base64url").toString();
  const offset = /^o:(\d{1,9})$/.exec(text)?.[1];
  if (offset === undefined)
    throw new JigError(
      "INVALID_INPUT",
      `cursor ${JSON.stringify(cursor.slice(0, 40))} is not one list_tasks returned`,
      { hint: "pass nextCursor from the previous page, or omit it" },
    );
  return Number(offset);
}
