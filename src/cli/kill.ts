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
    text:
      record.kind === "task" && record.issue
        ? `killed ${record.name} (pid ${record.pid}); its task stays assigned — respawn it with jig retry ${record.issue}, or give it up with jig abandon ${record.issue}`
        : record.kind === "planner"
          ? `killed ${record.name} (pid ${record.pid}); plan again with jig plan ${record.epic}`
          : `killed ${record.name} (pid ${record.pid}); its branch ${record.branch} stays — jig merge ${record.name}, or jig clean`,
    json: { worker: record.name, pid: record.pid },
  };
}
