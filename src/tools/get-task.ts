import { z } from "zod";
import { TaskRowSchema, taskRow } from "../core/tasks.js";
import { defineTool } from "./tool.js";

export const getTaskTool = defineTool({
  name: "get_task",
  title: "Read one task",
  description:
    "Anyone: read one issue's full text and state by id or short reference (e.g. 'feature-auth-02'). Use it to read a " +
    "dependency's task or re-read your own; it changes nothing.",
  inputSchema: { id: z.string().max(200).describe("Issue id or short reference") },
  outputSchema: {
    ...TaskRowSchema.shape,
    body: z.string(),
    next: z.string().describe("What to do now"),
  },
  annotations: {
    title: "Read one task",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { ctx }) {
    const { issue, snapshot } = await ctx.issues.find(args.id);
    const byId = new Map(snapshot.issues.map((i) => [i.id, i]));
    const row = taskRow(issue, byId);
    const waits = row.waitingOn;
    const next = waits.length
      ? `It waits on ${waits.join(", ")}: call get_task on each to see how far they are.`
      : "This changes nothing. Your own task is the one claim_task gave you; call list_tasks to see the others.";
    return {
      text: `${issue.id} [${issue.status}]${issue.assigned ? ` @${issue.assigned}` : ""}${waits.length ? ` waits on ${waits.join(", ")}` : ""}\n\n${issue.body.trim()}\n\nNext: ${next}`,
      structured: { ...row, body: issue.body, next },
    };
  },
});
