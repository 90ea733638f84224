import { existsSync } from "node:fs";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { JigError } from "../../errors.js";
import { PACKAGE_ROOT } from "../../version.js";
import {
  type AgentBackend,
  childEnv,
  jsonLines,
  type LaunchRequest,
  type LaunchSpec,
  num,
  type SessionOutput,
} from "./backend.js";
import { JIG_TOOL_NAMES } from "./claude.js";
import { mergeSettings } from "./codex.js";
import { which } from "./which.js";

// Google Gemini CLI, headless: `gemini -p PROMPT -o stream-json` with its own home (GEMINI_CLI_HOME) in
// the session's private directory: .gemini/settings.json (jig's MCP server under `mcpServers.jig`,
// trusted and limited to jig's tools; the web, memory, and for a planner writing and the shell, excluded) and
// .gemini/GEMINI.md (the role's instructions). Usage: tokens from the final `result` event (no cost).
// Resume: `--resume <session_id>` from the init event.

// Built-in tools a session does without. An allow-list (`tools.core`) would be closer to what Claude Code
// gets, but in Gemini CLI 0.61 it also hides every MCP tool, jig's included; so the CLI's other tools
// are excluded instead: the web and memory for everyone, writing and the shell for a planner.
const WORKER_EXCLUDED = ["web_fetch", "google_web_search", "save_memory"];
const PLANNER_EXCLUDED = [...WORKER_EXCLUDED, "write_file", "replace", "run_shell_command", "write_todos"];

export const geminiBackend: AgentBackend = {
  type: "gemini",
  resumes: true,
  async launch(request: LaunchRequest): Promise<LaunchSpec> {
    const command = request.config.command ?? "gemini";
    const binary = which(command, [join(PACKAGE_ROOT, "node_modules", ".bin")]);
    if (!binary) {
      throw new JigError(
        "PRECONDITION_FAILED",
        `the gemini backend needs the Gemini CLI, but '${command}' is not installed or not on PATH`,
        {
          hint: "install it with `npm install -g @google/gemini-cli` (or set agents.<name>.command in jig.json)",
        },
      );
    }
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
    await linkLogin(dir);
    const args = [
      "--prompt",
      request.prompt,
      "--output-format",
      "stream-json",
      "--skip-trust",
      "--allowed-mcp-server-names",
      "jig",
      // Workers run their narrowed tools without asking (like Claude Code's bypass); a planner only reads.
      "--approval-mode",
      request.role === "planner" ? "default" : "yolo",
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
