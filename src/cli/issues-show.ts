import { openContext } from "../core/context.js";
import { taskRow } from "../core/tasks.js";
import { type CommandIO, type CommandOutput, escapeControls } from "./output.js";

export async function run(args: { id: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const issue = await ctx.issues.get(args.id);
  const byId = new Map((await ctx.issues.list()).map((item) => [item.id, item]));
  return {
    text: escapeControls(issue.raw.replace(/\r\n/g, "\n")),
    json: { ...taskRow(issue, byId), target: issue.target, body: issue.body },
  };
}
