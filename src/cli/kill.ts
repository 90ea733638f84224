import { openContext } from "../core/context.js";
import { JigError } from "../core/errors.js";
import { isProcessAlive } from "../core/workers.js";
import { killTree } from "../lib/exec.js";
import type { CommandIO, CommandOutput } from "./output.js";

export async function run(args: { worker: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const record = await ctx.workers.require(args.worker);
  if (!isProcessAlive(record.pid))
    throw new JigError("PRECONDITION_FAILED", `worker '${record.name}' is not running`, {
      hint: "see `jig ps`",
    });
  // The supervisor leads the session's process group: the agent and its MCP server go with it.
  killTree(record.pid!, "SIGTERM");
  for (let i = 0; i < 30 && isProcessAlive(record.pid); i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  if (isProcessAlive(record.pid)) killTree(record.pid!, "SIGKILL");
  await ctx.workers.update(record.name, (current) => ({
    ...current,
    exited: current.exited ?? { code: null, signal: "SIGTERM", at: new Date().toISOString() },
  }));
  return {
    text: `killed ${record.name} (pid ${record.pid}); its task stays assigned — respawn with jig spawn --issue ${record.issue ?? record.name}`,
    json: { worker: record.name, pid: record.pid },
  };
}
