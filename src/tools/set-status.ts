import { z } from "zod";
import { type ConflictReport, checkConflicts } from "../core/landing/index.js";
import { setStatus } from "../core/tasks.js";
import { WorkerStateSchema } from "../core/workers.js";
import { defineTool } from "./tool.js";

const NEXT: Record<string, string> = {
  working: "Keep working; commit as you go; call land when the acceptance criteria are met.",
  blocked:
    "A human sees this in `jig ps`. Wait for help, or resolve it yourself and set_status working again.",
  done: "Now call land to put your commits on the target branch (the task is complete only once it has landed).",
};

export const setStatusTool = defineTool({
  name: "set_status",
  title: "Report your status",
  description:
    "Worker: report what state you are in, every time it changes — `working` (started or resumed), `blocked` with a " +
    "message saying exactly what you need (a human sees it at once in `jig ps`), or `done` (work committed; then call " +
    "land). Updates your worktree's .jig/status.json and your task's status. Its result warns early when your " +
    "commits would conflict with the target or another worker, naming the files.",
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
    return {
      text:
        `Status of ${result.worker}: ${result.status}${result.issue ? ` (task ${result.issue} is ${result.issueStatus})` : ""}. ${NEXT[result.status]}` +
        (found ? `\n\n${describeConflicts(found, (await ctx.workers.get(result.worker!))?.target)}` : ""),
      structured: { ...result, next: NEXT[result.status], conflicts: found },
    };
  },
});

/** The early warning a worker reads: where its commits would conflict, and what to do before landing. */
export function describeConflicts(report: ConflictReport, target = "<target>"): string {
  const lines = ["Early warning — your commits would conflict:"];
  if (report.target.length) lines.push(`- with the target branch, in ${report.target.join(", ")}`);
  for (const w of report.workers) lines.push(`- with worker ${w.name}, in ${w.files.join(", ")}`);
  lines.push(
    report.target.length
      ? `Rebase onto the target now (git rebase ${target}) and resolve those files, rather than at landing.`
      : "Whichever of you lands second will have to resolve it: keep your edits to those files small, or land soon.",
  );
  return lines.join("\n");
}
