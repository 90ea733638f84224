import { openContext } from "../core/context.js";
import { ADMIN } from "../core/identity.js";
import { unblockTask } from "../core/lifecycle.js";
import type { CommandIO, CommandOutput } from "./output.js";

// `jig unblock <task>`: a human fixed what blocked the task; let it move again.
export async function run(args: { task: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const released = await unblockTask(ctx, ADMIN, args.task);
  const epic = (await ctx.issues.get(released.task)).epic;
  return {
    text: released.live
      ? `unblocked ${released.task}: its session is still running and goes on (retries reset)`
      : `unblocked ${released.task} (now ${released.status}, retries reset): jig run ${epic} respawns it, or jig retry ${released.task} does now`,
    json: released,
  };
}
