import { openContext } from "../core/context.js";
import { epicProgress } from "../core/epic-progress.js";
import { epicIdFromArg } from "../core/epics.js";
import type { CommandIO, CommandOutput } from "./output.js";
import { renderStatus } from "./render/status.js";

export async function run(args: { epic: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const epic = epicIdFromArg(args.epic);
  const progress = await epicProgress(ctx, epic);
  return { text: renderStatus(progress), json: progress };
}
