import { openContext } from "../core/context.js";
import { superviseSession } from "../orchestrator/supervise.js";
import type { CommandIO, CommandOutput } from "./output.js";

export async function run(args: { name: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ root: process.env.JIG_ROOT || undefined, cwd: io.cwd });
  return { text: "", json: null, exitCode: await superviseSession(ctx, args.name) };
}
