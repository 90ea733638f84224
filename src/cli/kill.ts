import { openContext } from "../core/context.js";
import { sessionRunning, stopSession } from "../core/workers.js";
import { JigError } from "../errors.js";
import type { CommandIO, CommandOutput } from "./output.js";

export async function run(args: { worker: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const record = await ctx.workers.require(args.worker);
  if (!sessionRunning(record))
    throw new JigError("PRECONDITION_FAILED", `worker '${record.name}' is not running`, {
      hint: "see `jig ps`",
    });
  await stopSession(ctx.workers, record);
  return {
    text: `killed ${record.name} (pid ${record.pid}); its task stays assigned — respawn with jig spawn --issue ${record.issue ?? record.name}`,
    json: { worker: record.name, pid: record.pid },
  };
}
