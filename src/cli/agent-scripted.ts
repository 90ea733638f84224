import { runScriptedAgent } from "../orchestrator/scripted-agent.js";
import type { CommandIO, CommandOutput } from "./output.js";

export async function run(
  args: { mcpConfig: string; role?: string },
  _io: CommandIO,
): Promise<CommandOutput> {
  // The agent's own exit code is the process's: the supervisor records it as how the session ended.
  const exitCode = await runScriptedAgent({ mcpConfig: args.mcpConfig, role: args.role ?? "worker" });
  return { text: "", json: null, exitCode };
}
