import { CLI_ENTRY } from "../../version.js";
import {
  type AgentBackend,
  childEnv,
  jsonLines,
  type LaunchRequest,
  type LaunchSpec,
  NO_OUTPUT,
  type SessionOutput,
  type Usage,
} from "./backend.js";

// The built-in scripted agent (`jig agent-scripted`): a real MCP client that follows a script instead of
// a model. It is what `jig demo` and the tests use; no API key, no network.
export const scriptedBackend: AgentBackend = {
  type: "scripted",
  resumes: false,
  async launch(request: LaunchRequest): Promise<LaunchSpec> {
    return {
      type: "scripted",
      command: process.execPath,
      args: [
        CLI_ENTRY,
        "agent-scripted",
        "--mcp-config",
        request.mcpConfigPath,
        "--role",
        request.role,
        ...request.config.args,
      ],
      env: childEnv(process.env, {
        ...request.config.env,
        JIG_WORKER: request.name,
        JIG_PROMPT: request.prompt,
      }),
      cwd: request.cwd,
    };
  },
  readOutput: readScriptedOutput,
};

/** The key of the JSON line a scripted `usage` step prints: the session's usage, as a real CLI reports it. */
export const SCRIPTED_USAGE = "jigScriptedUsage";

/** The usage the script reported (its `usage` steps, summed), like a real CLI's; none without such steps. */
export function readScriptedOutput(output: string): SessionOutput {
  const reports = jsonLines(output).flatMap((line) => {
    const u = line[SCRIPTED_USAGE] as
      | { costUsd?: number; inputTokens?: number; outputTokens?: number }
      | undefined;
    return u && typeof u === "object" ? [u] : [];
  });
  if (reports.length === 0) return NO_OUTPUT;
  const sum = (key: "costUsd" | "inputTokens" | "outputTokens") =>
    reports.reduce((total, u) => total + (u[key] ?? 0), 0);
  const usage: Usage = {
    costUsd: sum("costUsd"),
    inputTokens: sum("inputTokens"),
    outputTokens: sum("outputTokens"),
    turns: null,
  };
  return { ...NO_OUTPUT, usage };
}
