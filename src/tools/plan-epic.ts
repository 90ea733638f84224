import { z } from "zod";
import { PlanSchema, planEpic } from "../core/plan.js";
import { defineTool } from "./tool.js";

export const planEpicTool = defineTool({
  name: "plan_epic",
  title: "Write an epic's plan (subtasks)",
  description:
    "Planner only. Decompose an epic into subtasks and write them all at once. jig validates the whole plan " +
    "(slugs, dependencies, no cycles, no clash with existing subtasks) and either writes every subtask issue file " +
    "or none, then creates the epic's shared target branch. Call it once with the complete plan (3–10 subtasks " +
    "is typical; each with title, objective, acceptanceCriteria, context, and depends naming earlier subtasks by slug). " +
    "If it returns an error, fix what it names and call plan_epic again with the whole plan. Afterwards, stop: jig spawns the workers.",
  inputSchema: PlanSchema.shape,
  outputSchema: {
    epic: z.string(),
    target: z.string(),
    base: z.string(),
    targetCreated: z.boolean(),
    created: z.array(z.object({ id: z.string(), title: z.string(), depends: z.array(z.string()) })),
    next: z.string().describe("What to do now"),
  },
  annotations: {
    title: "Write an epic's plan",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  async run(args, { ctx, caller }) {
    const result = await planEpic(ctx, caller, args);
    const lines = result.created.map(
      (task) =>
        `- ${task.id}: ${task.title}${task.depends.length ? ` (depends: ${task.depends.join(", ")})` : ""}`,
    );
    const next = "Nothing: your plan is written, so end your session; jig spawns a worker per ready subtask.";
    return {
      text: `Planned ${result.created.length} subtask(s) of ${result.epic}; target branch ${result.target} (from ${result.base}).\n${lines.join("\n")}\nNext: ${next}`,
      structured: { ...result, next },
    };
  },
});
