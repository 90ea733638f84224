import { z } from "zod";
import { IssueStatusSchema } from "../core/issue.js";
import { listTasks, TaskRowSchema } from "../core/tasks.js";
import { defineTool } from "./tool.js";

export const listTasksTool = defineTool({
  name: "list_tasks",
  title: "List tasks",
  description:
    "Anyone: list subtasks compactly (id, status, assignee, title, what each waits on), filtered by epic, status, " +
    "readiness (planned with every dependency complete) or assignee; paginated with `cursor`. Use it to see the state " +
    "of an epic or which tasks are ready. For one task's full text call get_task.",
  inputSchema: {
    epic: z.string().max(120).optional().describe("Only this epic's subtasks"),
    status: IssueStatusSchema.optional().describe("planned | in-progress | blocked | complete | cancelled"),
    ready: z.boolean().optional().describe("Only tasks ready to start"),
    assignee: z.string().max(120).optional().describe("Only tasks assigned to this worker"),
    cursor: z.string().max(100).optional().describe("nextCursor from the previous page"),
    limit: z.number().int().min(1).max(200).optional().describe("Page size (default 50)"),
  },
  outputSchema: {
    tasks: z.array(TaskRowSchema),
    total: z.number(),
    nextCursor: z.string().nullable(),
    next: z.string().describe("What to do now (the next page, or reading one task)"),
  },
  annotations: {
    title: "List tasks",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { ctx }) {
    const page = await listTasks(ctx, args);
    const lines = page.tasks.map(
      (t) =>
        `${t.id} [${t.status}${t.ready ? ", ready" : ""}]${t.assigned ? ` @${t.assigned}` : ""} ${t.title}${t.waitingOn.length ? ` (waits on ${t.waitingOn.join(", ")})` : ""}`,
    );
    const next = page.nextCursor
      ? `More tasks follow: call list_tasks with the same filters and cursor "${page.nextCursor}". Call get_task with an id to read one in full.`
      : "Call get_task with an id to read one task in full.";
    return {
      text: `${page.total} task(s)${lines.length ? `:\n${lines.join("\n")}` : "."}\nNext: ${next}`,
      structured: { ...page, next },
    };
  },
});
