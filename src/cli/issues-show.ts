import { openContext } from "../core/context.js";
import { summarizeIssue } from "./issues-list.js";
import type { CommandIO, CommandOutput } from "./output.js";

export async function run(args: { id: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const issue = await ctx.issues.get(args.id);
  const byId = new Map((await ctx.issues.list()).map((item) => [item.id, item]));
  return {
    text: issue.raw,
    json: { ...summarizeIssue(issue, byId), target: issue.target, body: issue.body },
  };
}
