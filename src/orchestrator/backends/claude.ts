import { join } from "node:path";
import { JigError } from "../../errors.js";
import { PACKAGE_ROOT } from "../../version.js";
import type { AgentBackend, LaunchRequest, LaunchSpec } from "./backend.js";
import { which } from "./which.js";

// Claude Code, headless. Tools are pre-approved with --allowedTools, which works for every user; the
// blanket bypass is used only where Claude Code accepts it (not root, or root with IS_SANDBOX=1).

export const JIG_TOOLS = [
  "plan_epic",
  "claim_task",
  "set_status",
  "land",
  "list_tasks",
  "get_task",
  "check_conflicts",
].map((t) => `mcp__jig__${t}`);
const WORKER_TOOLS = [
  "Read",
  "Edit",
  "Write",
  "Glob",
  "Grep",
  "LS",
  "MultiEdit",
  "TodoWrite",
  "Bash(git:*)",
  "Bash(npm:*)",
  "Bash(npx:*)",
  "Bash(node:*)",
  "Bash(ls:*)",
  "Bash(cat:*)",
  "Bash(mkdir:*)",
];
const PLANNER_TOOLS = ["Read", "Glob", "Grep", "LS"];

export function claudeEnv(base: NodeJS.ProcessEnv, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    // A child inheriting CLAUDECODE=1 from a parent Claude session believes it is nested and misbehaves.
    if (value === undefined || key === "CLAUDECODE" || key === "CLAUDE_CODE_ENTRYPOINT") continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * Claude Code's own rule for `--permission-mode bypassPermissions`: refused as root unless IS_SANDBOX is
 * exactly "1" (`yes` and `true` are refused too). `jig doctor` asks the same question.
 */
export function claudeAllowsBypass(
  env: NodeJS.ProcessEnv = process.env,
  uid: number | null = typeof process.getuid === "function" ? process.getuid() : null,
): boolean {
  return uid !== 0 || env.IS_SANDBOX === "1";
}

export const claudeBackend: AgentBackend = {
  name: "claude",
  async launch(request: LaunchRequest): Promise<LaunchSpec> {
    const command = request.config.command ?? "claude";
    const binary = which(command, [join(PACKAGE_ROOT, "node_modules", ".bin")]);
    if (!binary) {
      throw new JigError(
        "PRECONDITION_FAILED",
        `the claude backend needs Claude Code, but '${command}' is not installed or not on PATH`,
        {
          hint: "install it with `npm install -g @anthropic-ai/claude-code` (or set agents.<name>.command in jig.json), or use --agent scripted",
        },
      );
    }
    // The env the session gets decides, as Claude Code reads IS_SANDBOX from its own environment.
    const env = claudeEnv(process.env, { ...request.config.env, JIG_WORKER: request.name });
    const canBypass = claudeAllowsBypass(env);
    const allowed = [...JIG_TOOLS, ...(request.role === "planner" ? PLANNER_TOOLS : WORKER_TOOLS)];
    const args = [
      "-p",
      request.prompt,
      "--mcp-config",
      request.mcpConfigPath,
      "--strict-mcp-config",
      "--output-format",
      "stream-json",
      "--verbose",
      "--allowedTools",
      allowed.join(","),
      // dontAsk: exactly the listed tools run, nothing else (acceptEdits would not approve Bash).
      "--permission-mode",
      canBypass && request.role !== "planner" ? "bypassPermissions" : "dontAsk",
      ...(request.config.model ? ["--model", request.config.model] : []),
      ...request.config.args,
    ];
    return {
      command: binary,
      args,
      env,
      cwd: request.cwd,
      usageFormat: "claude-stream-json",
    };
  },
};
