import { closeSync, existsSync, openSync, readdirSync, readSync } from "node:fs";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { toToml } from "../../lib/toml.js";
import {
  type AgentBackend,
  childEnv,
  JsonlTail,
  jsonLines,
  type LaunchRequest,
  type LaunchSpec,
  type LiveUsage,
  num,
  type SessionOutput,
} from "./backend.js";
import { JIG_TOOL_NAMES, WORKER_COMMANDS } from "./claude.js";
import { mergeSettings } from "./codex.js";
import { agentBinary } from "./which.js";

// Google Gemini CLI, headless: `gemini -p PROMPT -o stream-json --approval-mode default` with its own home
// (GEMINI_CLI_HOME) in the session's private directory: .gemini/settings.json (jig's MCP server under
// `mcpServers.jig`, trusted and limited to jig's tools; the web and memory tools, and for a planner
// writing and the shell, excluded), .gemini/policies/jig.toml (the allow-list, through the CLI's policy
// engine: in a headless session a tool no rule allows is denied — jig's tools, editing files and the
// shell commands Claude Code workers get, nothing else that writes) and .gemini/GEMINI.md (the role's
// instructions). Usage: tokens from the final `result` event (no cost), and mid-turn from the session's
// chat record (.gemini/tmp/<project>/chats/session-….jsonl), which the CLI appends to after each model
// response. Resume: `--resume <session_id>` from the init event.

// Built-in tools a session does without, not even offered to the model (the policy denies them too).
// `tools.core`, the settings' allow-list, would hide every MCP tool in Gemini CLI 0.61, jig's included.
const WORKER_EXCLUDED = ["web_fetch", "google_web_search", "save_memory"];
const PLANNER_EXCLUDED = [...WORKER_EXCLUDED, "write_file", "replace", "run_shell_command", "write_todos"];

/**
 * The session's policy (Gemini CLI's policy engine, user tier, which outranks the CLI's defaults): jig's
 * MCP tools allowed; for a worker also file edits and the shell commands in WORKER_COMMANDS (each part of
 * a chained command must be one; no redirection, no command substitution); the excluded tools denied.
 * Read-only tools keep the CLI's default (allowed); anything else asks, which a headless session denies.
 */
export function geminiPolicy(role: LaunchRequest["role"]): string {
  const planner = role === "planner";
  const rules: Record<string, unknown>[] = [
    { toolName: "*", mcpName: "jig", decision: "allow", priority: 100 },
    {
      toolName: planner ? PLANNER_EXCLUDED : WORKER_EXCLUDED,
      decision: "deny",
      priority: 200,
      denyMessage: "jig sessions do without this tool",
    },
  ];
  if (!planner)
    rules.push(
      { toolName: ["write_file", "replace", "write_todos"], decision: "allow", priority: 100 },
      { toolName: "run_shell_command", commandPrefix: WORKER_COMMANDS, decision: "allow", priority: 100 },
    );
  return toToml({ rule: rules });
}

export const geminiBackend: AgentBackend = {
  type: "gemini",
  resumes: true,
  async launch(request: LaunchRequest): Promise<LaunchSpec> {
    const command = request.config.command ?? "gemini";
    const binary = agentBinary(command, {
      backend: "gemini",
      product: "the Gemini CLI",
      npmPackage: "@google/gemini-cli",
    });
    const home = join(request.privateDir, "gemini-home");
    const dir = join(home, ".gemini");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const env = { ...process.env, ...request.config.env };
    await writeFile(
      join(dir, "settings.json"),
      `${JSON.stringify(geminiSettings(request, env), null, 2)}\n`,
      {
        mode: 0o600,
      },
    );
    await writeFile(join(dir, "GEMINI.md"), request.instructions, { mode: 0o600 });
    await mkdir(join(dir, "policies"), { recursive: true, mode: 0o700 });
    await writeFile(join(dir, "policies", "jig.toml"), geminiPolicy(request.role), { mode: 0o600 });
    await linkLogin(dir);
    const args = [
      "--prompt",
      request.prompt,
      "--output-format",
      "stream-json",
      "--skip-trust",
      "--allowed-mcp-server-names",
      "jig",
      // The policy decides: what it allows runs without asking, anything else is denied (headless).
      "--approval-mode",
      "default",
      ...(request.resume ? ["--resume", request.resume] : []),
      ...(request.config.model ? ["--model", request.config.model] : []),
      ...request.config.args,
    ];
    return {
      type: "gemini",
      command: binary,
      args,
      env: childEnv(process.env, { ...request.config.env, GEMINI_CLI_HOME: home, JIG_WORKER: request.name }),
      cwd: request.cwd,
    };
  },
  readOutput: readGeminiOutput,
  liveUsage: (env, since) => geminiLiveUsage(env.GEMINI_CLI_HOME ?? "", since),
};

/** settings.json for one session: jig's settings, then the agent's `settings` from jig.json on top. */
export function geminiSettings(request: LaunchRequest, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const apiKey = Boolean(env.GEMINI_API_KEY || env.GOOGLE_API_KEY);
  const authType =
    env.GOOGLE_GENAI_USE_VERTEXAI === "true" ? "vertex-ai" : apiKey ? "gemini-api-key" : "oauth-personal";
  const settings: Record<string, unknown> = {
    security: { auth: { selectedType: authType }, folderTrust: { enabled: false } },
    general: { disableAutoUpdate: true, disableUpdateNag: true },
    privacy: { usageStatisticsEnabled: false },
    tools: { exclude: request.role === "planner" ? PLANNER_EXCLUDED : WORKER_EXCLUDED },
    mcpServers: {
      jig: {
        command: request.mcpServer.command,
        args: request.mcpServer.args,
        env: request.mcpServer.env,
        cwd: request.cwd,
        trust: true,
        includeTools: JIG_TOOL_NAMES,
        timeout: 600_000,
      },
    },
  };
  return mergeSettings(settings, request.config.settings ?? {});
}

// A user logged in with Google (`gemini` once, interactively) stays logged in: link their OAuth files.
async function linkLogin(dir: string): Promise<void> {
  for (const file of ["oauth_creds.json", "google_accounts.json"]) {
    const source = join(homedir(), ".gemini", file);
    const target = join(dir, file);
    if (existsSync(source) && !existsSync(target)) await symlink(source, target).catch(() => {});
  }
}

interface GeminiEvent {
  type?: string;
  session_id?: string;
  role?: string;
  content?: string;
  status?: string;
  error?: { message?: string };
  message?: string;
  stats?: { input_tokens?: number; output_tokens?: number; tool_calls?: number };
}

/** `gemini -o stream-json`: session id, the assistant's last words (text after its last tool call), usage. */
export function readGeminiOutput(output: string): SessionOutput {
  let session: string | null = null;
  let text = "";
  let said: string | null = null;
  let usage: SessionOutput["usage"] = null;
  for (const event of jsonLines(output) as GeminiEvent[]) {
    if (event.type === "init" && typeof event.session_id === "string") session = event.session_id;
    else if (event.type === "tool_use") text = "";
    else if (event.type === "message" && event.role === "assistant") {
      text += event.content ?? "";
      said = text.trim() || said;
    } else if (event.type === "error" && event.message) said = event.message;
    else if (event.type === "result") {
      if (event.status === "error" && event.error?.message) said = event.error.message;
      usage = {
        costUsd: null,
        inputTokens: num(event.stats?.input_tokens),
        outputTokens: num(event.stats?.output_tokens),
        turns: null,
      };
    }
  }
  return { usage, said, session, capped: false };
}

interface ChatRecord {
  id?: string;
  type?: string;
  timestamp?: string;
  sessionId?: string;
  tokens?: { input?: number; output?: number; thoughts?: number };
}

/**
 * Tokens spent so far by the session, from its chat records under GEMINI_CLI_HOME: each model response
 * (`type: "gemini"`, written again as it is updated: counted once by id) from `since` on.
 */
export function geminiLiveUsage(home: string, since: Date): LiveUsage {
  const tmp = join(home, ".gemini", "tmp");
  const tails = new Map<string, JsonlTail | null>();
  const responses = new Map<string, { input: number; output: number }>();
  return {
    read(session) {
      if (!session) return null;
      for (const path of chatFiles(tmp)) {
        if (tails.has(path)) continue;
        const first = firstLine(path);
        if (first) tails.set(path, first.sessionId === session ? new JsonlTail(path) : null);
      }
      for (const tail of tails.values())
        for (const record of (tail?.read() ?? []) as ChatRecord[]) {
          if (record.type !== "gemini" || !record.id || !record.tokens) continue;
          const at = Date.parse(record.timestamp ?? "");
          if (Number.isFinite(at) && at < since.getTime()) continue;
          responses.set(record.id, {
            input: num(record.tokens.input) ?? 0,
            output: (num(record.tokens.output) ?? 0) + (num(record.tokens.thoughts) ?? 0),
          });
        }
      if (responses.size === 0) return null;
      let input = 0;
      let output = 0;
      for (const r of responses.values()) {
        input += r.input;
        output += r.output;
      }
      return { costUsd: null, inputTokens: input, outputTokens: output, turns: null };
    },
  };
}

function chatFiles(tmp: string): string[] {
  const files: string[] = [];
  let projects: string[];
  try {
    projects = readdirSync(tmp);
  } catch {
    return files;
  }
  for (const project of projects) {
    let names: string[];
    try {
      names = readdirSync(join(tmp, project, "chats"));
    } catch {
      continue;
    }
    for (const name of names)
      if (name.startsWith("session-") && name.endsWith(".jsonl"))
        files.push(join(tmp, project, "chats", name));
  }
  return files;
}

// A chat record's first line names its session (read bounded: the line is short).
function firstLine(path: string): ChatRecord | null {
  try {
    const fd = openSync(path, "r");
    try {
      const buffer = Buffer.alloc(4096);
      const n = readSync(fd, buffer, 0, buffer.length, 0);
      const text = buffer.subarray(0, n).toString("utf8");
      const end = text.indexOf("\n");
      return end === -1 ? null : ((jsonLines(text.slice(0, end))[0] as ChatRecord | undefined) ?? null);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}
