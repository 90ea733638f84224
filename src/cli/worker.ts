import { type RemoteWorkerOptions, runRemoteWorker } from "../orchestrator/remote-worker.js";
import { runWorkerProxy } from "../orchestrator/worker-proxy.js";
import type { CommandIO, CommandOutput } from "./output.js";

// `jig worker`: one worker session on this machine for a coordinator elsewhere (docs/remote.md); and the
// hidden `jig worker-mcp`, the agent's MCP server that forwards to the coordinator.

export async function run(args: RemoteWorkerOptions, _io: CommandIO): Promise<CommandOutput> {
  // The agent's exit code is the process's: the coordinator's supervisor records it as how the session ended.
  const exitCode = await runRemoteWorker(args);
  return { text: "", json: null, exitCode };
}

export async function proxy(): Promise<CommandOutput | undefined> {
  await runWorkerProxy();
  return undefined;
}
