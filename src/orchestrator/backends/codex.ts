import { type Dirent, existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, isAbsolute, join, resolve } from "node:path";
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
import { JIG_TOOL_NAMES } from "./claude.js";
import { agentBinary } from "./which.js";

// OpenAI Codex CLI, headless: `codex exec --json` with its own CODEX_HOME in the session's private
// directory: config.toml (jig's MCP server under `mcp_servers.jig`, only jig's tools enabled and
// pre-approved, approval_policy "never"; a planner in the read-only sandbox, a worker in Codex's
// workspace-write sandbox — its worktree writable, and of the repository's git directory only what a
// commit writes: the worktree's own admin directory, objects, refs, logs — unless `"sandbox": false`
// turns it off) and AGENTS.md (the role's instructions). Usage: tokens from each `turn.completed` (Codex
// reports no cost), and mid-turn from the `token_count` events of the session's rollout file, which
// Codex writes after each model response. Resume: `codex exec resume <thread_id>`.

export const codexBackend: AgentBackend = {
  type: "codex",
  resumes: true,
  async launch(request: LaunchRequest): Promise<LaunchSpec> {
    const command = request.config.command ?? "codex";
    const binary = agentBinary(command, {
      backend: "codex",
      product: "the Codex CLI",
      npmPackage: "@openai/codex",
    });
    const home = join(request.privateDir, "codex-home");
    await mkdir(home, { recursive: true, mode: 0o700 });
    await writeFile(join(home, "config.toml"), codexConfig(request), { mode: 0o600 });
    await writeFile(join(home, "AGENTS.md"), request.instructions, { mode: 0o600 });
    await linkLogin(home);
    const options = [
      "--json",
      "--skip-git-repo-check",
      "--cd",
      request.cwd,
      ...(request.config.model ? ["--model", request.config.model] : []),
      ...request.config.args,
    ];
    const args = request.resume
      ? ["exec", ...options, "resume", request.resume, request.prompt]
      : ["exec", ...options, request.prompt];
    return {
      type: "codex",
      command: binary,
      args,
      env: childEnv(process.env, { ...request.config.env, CODEX_HOME: home, JIG_WORKER: request.name }),
      cwd: request.cwd,
    };
  },
  readOutput: readCodexOutput,
  liveUsage: (env, since) => codexLiveUsage(env.CODEX_HOME ?? "", since),
};

/** config.toml for one session: jig's settings, then the agent's `settings` from jig.json on top. */
export function codexConfig(request: LaunchRequest): string {
  const isPlanner = request.role === "planner";
  const sandboxed = request.config.sandbox !== false;
  const config: Record<string, unknown> = {
    approval_policy: "never",
    sandbox_mode: isPlanner ? "read-only" : sandboxed ? "workspace-write" : "danger-full-access",
    ...(!isPlanner && sandboxed
      ? { sandbox_workspace_write: { writable_roots: gitWritableRoots(request) } }
      : {}),
    check_for_update_on_startup: false,
    mcp_servers: {
      jig: {
        command: request.mcpServer.command,
        args: request.mcpServer.args,
        env: request.mcpServer.env,
        // Wait for jig before the first model request (otherwise the first turn may not see its tools).
        required: true,
        startup_timeout_sec: 60,
        enabled_tools: JIG_TOOL_NAMES,
        default_tools_approval_mode: "approve",
      },
    },
  };
  return toToml(mergeSettings(config, request.config.settings ?? {}));
}

/**
 * What of the repository's git directory a commit in the worktree writes: the worktree's admin directory
 * (index, HEAD, rebase state; named in the worktree's `.git` file), and the shared objects, refs and
 * reflogs. The rest — config, hooks, the main checkout's index — stays read-only in the sandbox.
 */
export function gitWritableRoots(request: LaunchRequest): string[] {
  const roots: string[] = [];
  for (const common of request.writableRoots) {
    let admin = join(common, "worktrees", basename(request.cwd));
    try {
      const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(join(request.cwd, ".git"), "utf8"))?.[1]?.trim();
      if (pointer) admin = isAbsolute(pointer) ? pointer : resolve(request.cwd, pointer);
    } catch {
      // not a linked worktree (yet): the admin directory git would give it
    }
    roots.push(admin, join(common, "objects"), join(common, "refs"), join(common, "logs"));
  }
  return roots;
}

/** Deep merge of plain objects: `extra` wins, arrays and scalars are replaced. */
export function mergeSettings(
  base: Record<string, unknown>,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeSettings(current, value) : value;
  }
  return out;
}
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

// A user logged in to Codex (`codex login`) stays logged in: the private home links their auth.json.
async function linkLogin(home: string): Promise<void> {
  const source = join(process.env.CODEX_HOME ?? join(homedir(), ".codex"), "auth.json");
  const target = join(home, "auth.json");
  if (existsSync(source) && !existsSync(target)) await symlink(source, target).catch(() => {});
}

interface CodexEvent {
  type?: string;
  thread_id?: string;
  usage?: { input_tokens?: number; output_tokens?: number };
  item?: { type?: string; text?: string; message?: string };
  error?: { message?: string };
  message?: string;
}

/** `codex exec --json`: thread id, tokens summed over completed turns, the last agent message or error. */
export function readCodexOutput(output: string): SessionOutput {
  let session: string | null = null;
  let said: string | null = null;
  let input = 0;
  let outputTokens = 0;
  let turns = 0;
  for (const event of jsonLines(output) as CodexEvent[]) {
    if (event.type === "thread.started" && typeof event.thread_id === "string") session = event.thread_id;
    else if (event.type === "turn.completed") {
      turns++;
      input += num(event.usage?.input_tokens) ?? 0;
      outputTokens += num(event.usage?.output_tokens) ?? 0;
    } else if (event.type === "item.completed" && event.item?.type === "agent_message")
      said = event.item.text ?? said;
    else if (event.type === "turn.failed") said = event.error?.message ?? said;
  }
  return {
    usage: turns === 0 ? null : { costUsd: null, inputTokens: input, outputTokens, turns },
    said,
    session,
    capped: false,
  };
}

interface TokenCount {
  input_tokens?: number;
  output_tokens?: number;
}

/**
 * Tokens spent so far by the session, from its rollout files (`sessions/YYYY/MM/DD/rollout-…-<thread
 * id>.jsonl` under CODEX_HOME): each `token_count` event from `since` on adds its response's usage
 * (`last_token_usage`), counted once (an event repeating the same running total adds nothing).
 */
export function codexLiveUsage(home: string, since: Date): LiveUsage {
  const tails = new Map<string, JsonlTail>();
  let last = "";
  let input = 0;
  let output = 0;
  let seen = false;
  return {
    read(session) {
      if (!session) return null;
      for (const path of findRollouts(join(home, "sessions"), session))
        if (!tails.has(path)) tails.set(path, new JsonlTail(path));
      for (const tail of tails.values())
        for (const line of tail.read()) {
          const payload = line.payload as
            | { type?: string; info?: { total_token_usage?: TokenCount; last_token_usage?: TokenCount } }
            | undefined;
          const info = payload?.type === "token_count" ? payload.info : undefined;
          if (line.type !== "event_msg" || !info?.total_token_usage) continue;
          const total = JSON.stringify(info.total_token_usage);
          if (total === last) continue;
          last = total;
          const at = Date.parse(String(line.timestamp ?? ""));
          if (Number.isFinite(at) && at < since.getTime()) continue;
          seen = true;
          input += num(info.last_token_usage?.input_tokens) ?? 0;
          output += num(info.last_token_usage?.output_tokens) ?? 0;
        }
      return seen ? { costUsd: null, inputTokens: input, outputTokens: output, turns: null } : null;
    },
  };
}

// The rollout files of a thread: sessions/<year>/<month>/<day>/rollout-<time>-<thread id>.jsonl.
function findRollouts(dir: string, thread: string, found: string[] = []): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findRollouts(path, thread, found);
    else if (entry.name.startsWith("rollout-") && entry.name.endsWith(`-${thread}.jsonl`)) found.push(path);
  }
  return found.sort();
}
