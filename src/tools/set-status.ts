import { z } from "zod";
import { type ConflictReport, checkConflicts } from "../core/landing/index.js";
import { setStatus } from "../core/tasks.js";
import { WorkerStateSchema } from "../core/workers.js";
import { defineTool } from "./tool.js";

const NEXT: Record<string, string> = {
  working: "Keep working; commit as you go; call land when the acceptance criteria are met.",
  blocked:
    "A human sees your message and will help. If you can resolve it yourself meanwhile, do, then set_status working and carry on.",
  done: "Now call land to put your commits on the target branch (the task is complete only once it has landed).",
};

export const setStatusTool = defineTool({
  name: "set_status",
  title: "Report your status",
  description:
    "Worker: report what state you are in, every time it changes — `working` (started or resumed), `blocked` with a " +
    "message saying exactly what you need, or `done` (work committed; then call " +
    "land). Updates your worktree's .jig/status.json and your task's status; a human sees it at once. Its result " +
    "warns early when your commits would conflict with the target or another worker, naming the files and what to do.",
  inputSchema: {
    status: WorkerStateSchema.describe("working | blocked | done"),
    message: z
      .string()
      .max(2_000)
      .optional()
      .describe("Required for blocked: what you need; optional otherwise"),
    worker: z.string().max(120).optional().describe("Admin only: the worker to update; workers omit it"),
  },
  outputSchema: {
    worker: z.string().nullable(),
    issue: z.string().nullable(),
    status: z.string(),
    issueStatus: z.string().nullable(),
    next: z.string().describe("What to do now"),
    conflicts: z
      .object({
        target: z.array(z.string()),
        workers: z.array(z.object({ name: z.string(), files: z.array(z.string()) })),
        advice: z.string().describe("What to do about them, with the exact git command"),
      })
      .nullable()
      .describe("Early warning: files your commits would conflict on, with the target or other workers"),
  },
  annotations: {
    title: "Report your status",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { ctx, caller }) {
    const result = await setStatus(ctx, caller, args);
    // Conflicts surface at every status change, not first at landing (a few git calls; none without commits).
    const conflicts =
      result.status !== "blocked" && result.worker
        ? await checkConflicts(ctx, result.worker).catch(() => null)
        : null;
    const found =
      conflicts && (conflicts.target.length > 0 || conflicts.workers.length > 0) ? conflicts : null;
    const advice = found ? describeConflicts(found, (await ctx.workers.get(result.worker!))?.target) : null;
    // The model sees only the structured result: the conflict advice is part of `next`, not only the text.
    const next = advice ? `${NEXT[result.status]} But first: ${advice}` : NEXT[result.status]!;
    return {
      text: `Status of ${result.worker}: ${result.status}${result.issue ? ` (task ${result.issue} is ${result.issueStatus})` : ""}.\nNext: ${next}`,
      structured: { ...result, next, conflicts: found && advice ? { ...found, advice } : null },
    };
  },
});

/** The early warning a worker reads: where its commits would conflict, and what to do before landing. */
export function describeConflicts(report: ConflictReport, target = "the target branch"): string {
  const where = [
    ...(report.target.length ? [`with the target branch ${target} in ${report.target.join(", ")}`] : []),
    ...report.workers.map((w) => `with worker ${w.name} in ${w.files.join(", ")}`),
  ];
  return `your commits would conflict ${where.join("; ")}. ${
    report.target.length
      ? `Rebase onto the target now: git rebase ${target}, resolve those files, git add them, git rebase --continue — rather than at landing.`
      : "Whichever of you lands second rebases onto the target and resolves those files: keep your edits to them small, or land soon."
  }`;
}
