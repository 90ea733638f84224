import {
  type AgentBackend,
  childEnv,
  jsonLines,
  type LaunchRequest,
  type LaunchSpec,
  num,
  type SessionOutput,
} from "./backend.js";
import { agentBinary } from "./which.js";

// Claude Code, headless. Tools are pre-approved with --allowedTools, which works for every user; the
// blanket bypass is used only where Claude Code accepts it (not root, or root with IS_SANDBOX=1).
// Resume: `--resume <session_id>` from the stream's init event. Budget: `--max-budget-usd`.

export const JIG_TOOL_NAMES = [
  "plan_epic",
  "claim_task",
  "set_status",
  "land",
  "list_tasks",
  "get_task",
  "check_conflicts",
];
export const JIG_TOOLS = JIG_TOOL_NAMES.map((t) => `mcp__jig__${t}`);
/** The commands a worker's shell may run without asking (Claude Code's and Gemini CLI's allow-lists). */
export const WORKER_COMMANDS = ["git", "npm", "npx", "node", "ls", "cat", "mkdir"];
const WORKER_TOOLS = [
  "Read",
  "Edit",
  "Write",
  "Glob",
  "Grep",
  "LS",
  "MultiEdit",
  "TodoWrite",
  ...WORKER_COMMANDS.map((c) => `Bash(${c}:*)`),
];
const PLANNER_TOOLS = ["Read", "Glob", "Grep", "LS"];

export function claudeEnv(base: NodeJS.ProcessEnv, extra: Record<string, string>): Record<string, string> {
  // A child inheriting CLAUDECODE=1 from a parent Claude session believes it is nested and misbehaves.
  return childEnv(base, extra, (key) => key === "CLAUDECODE" || key === "CLAUDE_CODE_ENTRYPOINT");
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
  type: "claude",
  resumes: true,
  async launch(request: LaunchRequest): Promise<LaunchSpec> {
    const command = request.config.command ?? "claude";
    const binary = agentBinary(command, {
      backend: "claude",
      product: "Claude Code",
      npmPackage: "@anthropic-ai/claude-code",
      orElse: "or use --agent scripted",
    });
    // The env the session gets decides, as Claude Code reads IS_SANDBOX from its own environment.
    const env = claudeEnv(process.env, { ...request.config.env, JIG_WORKER: request.name });
    const canBypass = claudeAllowsBypass(env);
    const allowed = [...JIG_TOOLS, ...(request.role === "planner" ? PLANNER_TOOLS : WORKER_TOOLS)];
    const usd = request.budget?.usd ?? null;
    const args = [
      "-p",
      request.prompt,
      ...(request.resume ? ["--resume", request.resume] : []),
      "--mcp-config",
      request.mcpConfigPath,
      "--strict-mcp-config",
      ...(request.settingsPath ? ["--settings", request.settingsPath] : []),
      "--output-format",
      "stream-json",
      "--verbose",
      "--allowedTools",
      allowed.join(","),
      // dontAsk: exactly the listed tools run, nothing else (acceptEdits would not approve Bash).
      "--permission-mode",
      canBypass && request.role !== "planner" ? "bypassPermissions" : "dontAsk",
      ...(usd !== null ? ["--max-budget-usd", String(Math.max(usd, 0.0001))] : []),
      ...(request.config.model ? ["--model", request.config.model] : []),
      ...request.config.args,
    ];
    return {
      type: "claude",
      command: binary,
      args,
      env,
      cwd: request.cwd,
    };
  },
  readOutput: readClaudeOutput,
};

interface ClaudeEvent {
  type?: string;
  subtype?: string;
  session_id?: string;
  message?: { id?: string; usage?: { input_tokens?: number; output_tokens?: number } };
  total_cost_usd?: number;
  num_turns?: number;
  usage?: { input_tokens?: number; output_tokens?: number };
  result?: string;
  is_error?: boolean;
}

/**
 * Claude Code's stream-json: the session id from the init event; usage from the final `result` event
 * (cost included) or, while the session runs, summed over the assistant messages so far (tokens only).
 */
export function readClaudeOutput(output: string): SessionOutput {
  let session: string | null = null;
  let result: ClaudeEvent | null = null;
  const perMessage = new Map<string, { input: number; output: number }>();
  let turns = 0;
  for (const event of jsonLines(output) as ClaudeEvent[]) {
    if (typeof event.session_id === "string") session = event.session_id;
    if (event.type === "result") result = event;
    if (event.type === "assistant" && event.message?.usage) {
      // One message with several content blocks arrives as several events carrying the same usage.
      const id = event.message.id ?? `#${perMessage.size}`;
      if (!perMessage.has(id)) turns++;
      perMessage.set(id, {
        input: event.message.usage.input_tokens ?? 0,
        output: event.message.usage.output_tokens ?? 0,
      });
    }
  }
  if (result) {
    return {
      usage: {
        costUsd: num(result.total_cost_usd),
        inputTokens: num(result.usage?.input_tokens),
        outputTokens: num(result.usage?.output_tokens),
        turns: num(result.num_turns),
      },
      said: result.result || (result.is_error ? (result.subtype ?? "error") : null),
      session,
      capped: result.subtype === "error_max_budget_usd",
    };
  }
  const counts = [...perMessage.values()];
  return {
    usage:
      counts.length === 0
        ? null
        : {
            costUsd: null,
            inputTokens: counts.reduce((sum, c) => sum + c.input, 0),
            outputTokens: counts.reduce((sum, c) => sum + c.output, 0),
            turns,
          },
    said: null,
    session,
    capped: false,
  };
}
