import { openContext } from "../core/context.js";
import { revokeToken } from "../core/identity.js";
import { isRemote, sessionRunning, stopSession } from "../core/workers.js";
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
  // A remote worker may outlive its stopped launcher (a Job, a host): refused at its next check of the
  // coordinator, it stops its agent and pushes. A retry issues a new token.
  if (isRemote(record)) await revokeToken(ctx.paths, record.name);
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
