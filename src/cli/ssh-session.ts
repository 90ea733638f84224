import { runSshSession } from "../orchestrator/launchers/ssh.js";
import type { CommandOutput } from "./output.js";

// `jig ssh-session -- <ssh args>` (hidden): what the supervisor runs for a worker the ssh launcher placed.
export async function run(args: { sshArgs: string[] }): Promise<CommandOutput> {
  const exitCode = await runSshSession(args.sshArgs);
  return { text: "", json: null, exitCode };
}
