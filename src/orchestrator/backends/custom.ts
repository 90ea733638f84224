import { JigError } from "../../errors.js";
import type { AgentBackend, LaunchRequest, LaunchSpec } from "./backend.js";

// Any other agent CLI, from a command template in jig.json, e.g.
// "codex exec --config mcp_servers_file={mcpConfig} {prompt}". Values are shell-quoted when substituted.

export const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    if (!(key in values))
      throw new JigError("INVALID_INPUT", `unknown placeholder ${whole} in the custom agent command`, {
        hint: `use ${Object.keys(values)
          .map((k) => `{${k}}`)
          .join(" ")}`,
      });
    return shellQuote(values[key]!);
  });
}

export const customBackend: AgentBackend = {
  name: "custom",
  async launch(request: LaunchRequest): Promise<LaunchSpec> {
    if (!request.config.command) {
      throw new JigError("INVALID_INPUT", "a custom agent needs a `command` template in jig.json", {
        hint: 'e.g. "agents": {"mine": {"type": "custom", "command": "my-agent --mcp {mcpConfig} {prompt}"}}',
      });
    }
    const line = renderTemplate(request.config.command, {
      prompt: request.prompt,
      mcpConfig: request.mcpConfigPath,
      worktree: request.cwd,
      issue: request.issue ?? "",
      worker: request.name,
    });
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
    return {
      command: "/bin/sh",
      args: ["-c", line],
      env: { ...env, ...request.config.env, JIG_WORKER: request.name },
      cwd: request.cwd,
      usageFormat: "none",
    };
  },
};
