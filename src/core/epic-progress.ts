import { budgetBook, budgetSummary } from "./budgets.js";
import type { JigContext } from "./context.js";
import { epicBranches } from "./epics.js";
import { branchTips, resolveCommit } from "./git-ops.js";
import { waitingOn } from "./graph.js";
import type { IssueStatus } from "./issue.js";
import { listWorkerViews, type WorkerView } from "./worker-view.js";

// An epic's progress: what `jig status`, the jig://epics/{epic} resource and the dashboard show.
export interface SubtaskProgress {
  id: string;
  number: number | null;
  title: string;
  status: IssueStatus;
  /** complete ✓, running ●, waiting ○, blocked ✗, ready (planned, nothing to wait on), cancelled. */
  state: "complete" | "running" | "waiting" | "blocked" | "ready" | "cancelled";
  assigned: string | null;
  depends: string[];
  waitingOn: string[];
  worker: Pick<WorkerView, "name" | "status" | "message" | "alive" | "usage" | "landing"> | null;
}

export interface EpicProgress {
  epic: string;
  title: string;
  target: string;
  base: string;
  targetExists: boolean;
  diff: { added: number; removed: number; files: number } | null;
  complete: number;
  total: number;
  subtasks: SubtaskProgress[];
  costUsd: number | null;
  /** Input + output tokens the epic's sessions reported (null when none did). */
  tokens: number | null;
  /** Spend against the epic's budget ("$1.20 of $5.00, 600k of 1m tokens"), or null without one. */
  budget: { text: string; reached: boolean } | null;
  /** The epic's issue files that do not parse or check (they are missing from `subtasks`). */
  problems: { file: string; message: string }[];
}

export async function epicProgress(ctx: JigContext, epicId: string): Promise<EpicProgress> {
  const { epic, target, base } = await epicBranches(ctx, epicId);
  const { issues, problems } = await ctx.issues.load();
  const byId = new Map(issues.map((issue) => [issue.id, issue]));
  const workers = new Map(
    (await listWorkerViews(ctx, { epic: epic.id, withChanges: false })).map((w) => [w.issue ?? w.name, w]),
  );
  const subtasks = issues
    .filter((issue) => issue.kind === "subtask" && issue.epic === epic.id)
    .sort((a, b) => (a.number ?? 0) - (b.number ?? 0))
    .map((issue): SubtaskProgress => {
      const waits = waitingOn(issue, byId);
      const worker = workers.get(issue.id) ?? null;
      const state: SubtaskProgress["state"] =
        issue.status === "complete"
          ? "complete"
          : issue.status === "cancelled"
            ? "cancelled"
            : issue.status === "blocked" || worker?.status === "blocked"
              ? "blocked"
              : issue.status === "in-progress"
                ? "running"
                : waits.length > 0
                  ? "waiting"
                  : "ready";
      return {
        id: issue.id,
        number: issue.number,
        title: issue.title,
        status: issue.status,
        state,
        assigned: issue.assigned,
        depends: issue.depends,
        waitingOn: waits,
        worker: worker
          ? {
              name: worker.name,
              status: worker.status,
              message: worker.message,
              alive: worker.alive,
              usage: worker.usage,
              landing: worker.landing,
            }
          : null,
      };
    });
  const tips = await branchTips(ctx.paths.root);
  const targetTip = tips.get(target);
  // The base is usually a local branch; it may be any commit-ish (`origin/main`, a tag).
  const baseTip = tips.get(base) ?? (await resolveCommit(ctx.paths.root, base).catch(() => null));
  const targetExists = targetTip !== undefined;
  let diff: EpicProgress["diff"] = null;
  if (baseTip && targetTip) {
    const changes = await ctx.git.changes(baseTip, targetTip).catch(() => null);
    if (changes) diff = { added: changes.added, removed: changes.removed, files: changes.files };
    await ctx.git.flush();
  }
  const costs = [...workers.values()]
    .map((w) => w.usage?.costUsd)
    .filter((c): c is number => typeof c === "number");
  return {
    epic: epic.id,
    title: epic.title,
    target,
    base,
    targetExists,
    diff,
    complete: subtasks.filter((s) => s.status === "complete").length,
    total: subtasks.length,
    subtasks,
    costUsd: costs.length ? costs.reduce((a, b) => a + b, 0) : null,
    tokens: sessionTokens([...workers.values()].map((w) => w.usage)),
    budget: budgetSummary((await budgetBook(ctx)).epic(epic.id)),
    problems: problems
      .filter((problem) => problem.file.startsWith(`${epic.id}-`) || problem.file === `${epic.id}.md`)
      .map(({ file, message }) => ({ file, message })),
  };
}

/** Input + output tokens over sessions' reported usage; null when none reported any. */
export function sessionTokens(
  usages: ({ inputTokens: number | null; outputTokens: number | null } | null)[],
): number | null {
  const counts = usages.flatMap((u) => (u ? [u.inputTokens ?? 0, u.outputTokens ?? 0] : []));
  return counts.length ? counts.reduce((a, b) => a + b, 0) : null;
}
