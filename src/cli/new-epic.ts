import { relative } from "node:path";
import { openContext } from "../core/context.js";
import { writeEpic } from "../orchestrator/setup.js";
import type { CommandIO, CommandOutput } from "./output.js";

// `jig new epic <name>`: an epic file with the frontmatter and sections the planner reads.
export async function run(args: { name: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const file = await writeEpic(ctx.paths.issuesDir, args.name);
  const path = relative(ctx.paths.root, file);
  return {
    text: `wrote ${path}: fill in its Objective, Acceptance Criteria and Context, then jig plan ${path}`,
    json: { file: path, epic: args.name },
  };
}
