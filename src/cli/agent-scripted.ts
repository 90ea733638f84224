import { runScriptedAgent } from "../orchestrator/scripted-agent.js";
import type { CommandIO, CommandOutput } from "./output.js";

export async function run(
  args: { mcpConfig: string; role?: string },
  _io: CommandIO,
): Promise<CommandOutput | undefined> {
  process.exitCode = await runScriptedAgent({ mcpConfig: args.mcpConfig, role: args.role ?? "worker" });
  return undefined;
}
