import { z } from "zod";
import { claimTask } from "../core/tasks.js";
import { defineTool } from "./tool.js";

export const claimTaskTool = defineTool({
  name: "claim_task",
  title: "Claim your task",
  description:
    "Worker: call this first. Takes the task you were spawned for (atomically — no other worker can take it) and " +
    "returns its full text (objective, acceptance criteria, context), the shared target branch your work lands on, " +
    "and what to do next. Calling it again returns the same task. A human/admin caller may pass `issue` to claim a " +
    "named task, or nothing to claim the next ready one. Next: call set_status with status working, do the work, " +
    "commit it, then call land.",
  inputSchema: {
    issue: z
      .string()
      .max(200)
      .optional()
      .describe("Issue id or short reference (admin only; workers omit it)"),
    epic: z.string().max(120).optional().describe("Admin: claim the next ready task of this epic"),
  },
  outputSchema: {
    id: z.string(),
    title: z.string(),
    epic: z.string(),
    status: z.string(),
    target: z.string(),
    worktree: z.string().nullable(),
    alreadyClaimed: z.boolean(),
    body: z.string(),
    next: z.string().describe("What to do now"),
  },
  annotations: {
    title: "Claim your task",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { ctx, caller }) {
    const { task, target, worktree, alreadyClaimed } = await claimTask(ctx, caller, args);
    const where = worktree ? "in your worktree (the current directory)" : "in a checkout of your branch";
    const next =
      `set_status {status: "working"}; do the work ${where}; commit with git; then call land (it lands on ${target}). ` +
      `If you are stuck, set_status {status: "blocked", message: "<what you need>"}.`;
    return {
      text:
        `${alreadyClaimed ? "You already hold" : "Claimed"} task ${task.id} (epic ${task.epic}). It lands on branch ${target}.\n\n` +
        `${task.body.trim()}\n\nNext: ${next}`,
      structured: {
        id: task.id,
        title: task.title,
        epic: task.epic,
        status: task.status,
        target,
        worktree: worktree ? "." : null,
        alreadyClaimed,
        body: task.body,
        next,
      },
    };
  },
});
