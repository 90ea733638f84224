import { CLI_ENTRY } from "../../version.js";
import type { AgentBackend, LaunchRequest, LaunchSpec } from "./backend.js";

// The built-in scripted agent (`jig agent-scripted`): a real MCP client that follows a script instead of
// a model. It is what `jig demo` and the tests use; no API key, no network.
export const scriptedBackend: AgentBackend = {
  name: "scripted",
  async launch(request: LaunchRequest): Promise<LaunchSpec> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
    return {
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
      env: { ...env, ...request.config.env, JIG_WORKER: request.name, JIG_PROMPT: request.prompt },
      cwd: request.cwd,
      usageFormat: "none",
    };
  },
};
