import { openContext } from "../core/context.js";
import { merge } from "../orchestrator/review-merge.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";

export async function run(args: { name: string; force?: boolean }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const result = await merge(ctx, args.name, { force: args.force });
  return {
    text: `${colors.green("merged")} ${result.merged} into ${result.into} (${result.commit.slice(0, 10)}); cleaned up ${result.cleaned.length} worker(s)`,
    json: result,
  };
}
