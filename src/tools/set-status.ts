import { z } from "zod";
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
    "land). Updates your worktree's .jig/status.json and your task's status.",
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
    return {
      text: `Status of ${result.worker}: ${result.status}${result.issue ? ` (task ${result.issue} is ${result.issueStatus})` : ""}. ${NEXT[result.status]}`,
      structured: { ...result, next: NEXT[result.status] },
    };
  },
});
