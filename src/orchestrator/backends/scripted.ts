import { CLI_ENTRY } from "../../version.js";
import { type AgentBackend, childEnv, type LaunchRequest, type LaunchSpec, NO_OUTPUT } from "./backend.js";

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
  readOutput: () => NO_OUTPUT,
};
