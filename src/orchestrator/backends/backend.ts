import type { AgentBackendConfig } from "../../core/config.js";

// An agent backend turns "run a session here with this prompt and this MCP config" into a command line.
// The supervisor (supervise.ts) runs it detached, logs its output and records how it ended.

export interface LaunchRequest {
  name: string;
  role: "worker" | "planner" | "adhoc";
  cwd: string;
  prompt: string;
  mcpConfigPath: string;
  issue: string | null;
  config: AgentBackendConfig;
}

export interface LaunchSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** How to read cost/usage from the log when the session ends. */
  usageFormat: "claude-stream-json" | "none";
}

export interface AgentBackend {
  name: string;
  /** Throws a JigError naming what is missing (e.g. the binary) and how to install it. */
  launch(request: LaunchRequest): Promise<LaunchSpec>;
}
