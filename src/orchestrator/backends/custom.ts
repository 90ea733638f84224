import { JigError } from "../../errors.js";
import { type AgentBackend, childEnv, type LaunchRequest, type LaunchSpec, NO_OUTPUT } from "./backend.js";

// Any other agent CLI, from a command template in jig.json, e.g.
// "my-agent --mcp {mcpConfig} {prompt}". Values are shell-quoted when substituted. jig cannot read its
// output, so it reports no usage, and a retry starts a new conversation.

export const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * The placeholders written inside shell quotes (`"echo \"{prompt}\""`): jig's own quoting cannot protect
 * a value that lands inside someone else's quotes, so such a template is refused.
 */
export function quotedPlaceholders(template: string): string[] {
  const found: string[] = [];
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch === "\\" && quote !== "'") {
      i++;
      continue;
    }
    if (quote === null && (ch === "'" || ch === '"')) quote = ch;
    else if (quote !== null && ch === quote) quote = null;
    else if (quote !== null && ch === "{") {
      const match = /^\{(\w+)\}/.exec(template.slice(i));
      if (match) found.push(match[0]);
    }
  }
  return found;
}

export function renderTemplate(template: string, values: Record<string, string>): string {
  const quoted = quotedPlaceholders(template);
  if (quoted.length > 0)
    throw new JigError(
      "INVALID_INPUT",
      `the custom agent command puts ${quoted.join(", ")} inside quotes: ${JSON.stringify(template.slice(0, 200))}`,
      {
        hint: "write placeholders bare (jig quotes each value itself), e.g. my-agent --prompt {prompt}",
      },
    );
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
  type: "custom",
  resumes: false,
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
    return {
      type: "custom",
      command: "/bin/sh",
      args: ["-c", line],
      env: childEnv(process.env, { ...request.config.env, JIG_WORKER: request.name }),
      cwd: request.cwd,
    };
  },
  readOutput: () => NO_OUTPUT,
};
