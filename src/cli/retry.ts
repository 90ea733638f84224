import { openContext } from "../core/context.js";
import { retryTask } from "../orchestrator/spawn.js";
import type { CommandIO, CommandOutput } from "./output.js";

// `jig retry <task>`: respawn a blocked, dead or abandoned task in its kept worktree, retry count reset.
export async function run(args: { task: string; agent?: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const record = await retryTask(ctx, args.task, { agent: args.agent });
  return {
    text: `respawned ${record.name} (${record.agent}, pid ${record.pid}) in its worktree, commits kept; follow it with jig logs ${record.name} -f`,
    json: record,
  };
}
