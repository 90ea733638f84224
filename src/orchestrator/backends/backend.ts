import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { AgentBackendConfig } from "../../core/config.js";

// The backend contract. Each agent CLI is one module that says how to launch a session (command line,
// MCP config and instructions in the CLI's own format, headless tool approval), how to resume one, and how
// to read its output: usage, what the agent said last, and the conversation id a resume needs.
// The supervisor (supervise.ts) runs the launch detached, logs its output and reads it back through
// `readOutput`; adding a backend is one module here plus its entry in index.ts.

export type AgentType = AgentBackendConfig["type"];

/** How the session starts jig's MCP server over stdio (the session's own identity is in `env`). */
export interface McpServerLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** A spending limit; null fields are unlimited. */
export interface Budget {
  usd: number | null;
  tokens: number | null;
}

export interface Usage {
  costUsd: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  turns: number | null;
}

export interface LaunchRequest {
  name: string;
  role: "worker" | "planner" | "adhoc";
  cwd: string;
  /** The first prompt; for a resumed session, the short note on what happened since it stopped. */
  prompt: string;
  /** jig's MCP server in Claude Code's `--mcp-config` JSON format (also the custom template's {mcpConfig}). */
  mcpConfigPath: string;
  mcpServer: McpServerLaunch;
  /** The session's private directory (mode 0700, kept across attempts): CLI homes and config live here, never in the user's. */
  privateDir: string;
  /** Directories outside `cwd` the agent must be able to write (the repository's git directory, for commits). */
  writableRoots: string[];
  /** The role's instructions (the jig-worker / jig-planner skill), for CLIs that read them from a file. */
  instructions: string;
  /** Claude Code settings for the session (deny rules over jig's state; the sandbox when asked). */
  settingsPath?: string;
  issue: string | null;
  config: AgentBackendConfig;
  /** Continue this conversation (an id `readOutput` returned before) instead of starting a new one. */
  resume: string | null;
  /** What is left to spend in this session; the CLI is told where it has a cap of its own. */
  budget: Budget | null;
}

export interface LaunchSpec {
  /** Which backend reads this session's output. */
  type: AgentType;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

export interface SessionOutput {
  /** Usage so far (summed over the output given); null when the CLI reports none. */
  usage: Usage | null;
  /** The agent's final message, or why it failed. */
  said: string | null;
  /** The conversation id to resume, once the CLI has reported one. */
  session: string | null;
  /** The CLI stopped itself at the spending cap it was given. */
  capped: boolean;
}

export interface AgentBackend {
  type: AgentType;
  /** Whether `LaunchRequest.resume` continues the conversation (else a retry starts afresh). */
  resumes: boolean;
  /** Throws a JigError naming what is missing (e.g. the binary) and how to install it. May write files in `privateDir`. */
  launch(request: LaunchRequest): Promise<LaunchSpec>;
  /** Reads the session's output (this session's part of the log), complete or still growing. */
  readOutput(output: string): SessionOutput;
  /**
   * For a CLI whose output reports usage only when its turn ends (a turn can be a whole task): a reader
   * of the usage spent so far from the CLI's own session record, which it writes after each model
   * response, so a budget stops the session mid-turn. `env` is the session's (its CLI home); only
   * responses from `since` on count (a resumed session appends to the record of the earlier ones).
   */
  liveUsage?(env: Record<string, string>, since: Date): LiveUsage;
}

export interface LiveUsage {
  /** Usage of this session so far, read incrementally; null until the record shows any. */
  read(session: string | null): Usage | null;
}

/** The complete JSON lines appended to a file since the last call (a torn last line is read again next time). */
export class JsonlTail {
  private offset = 0;
  constructor(readonly path: string) {}
  read(): Record<string, unknown>[] {
    try {
      const fd = openSync(this.path, "r");
      try {
        const size = fstatSync(fd).size;
        if (size < this.offset) this.offset = 0;
        const buffer = Buffer.alloc(size - this.offset);
        readSync(fd, buffer, 0, buffer.length, this.offset);
        const end = buffer.lastIndexOf(10);
        if (end === -1) return [];
        this.offset += end + 1;
        return jsonLines(buffer.subarray(0, end).toString("utf8"));
      } finally {
        closeSync(fd);
      }
    } catch {
      return [];
    }
  }
}

export const NO_OUTPUT: SessionOutput = { usage: null, said: null, session: null, capped: false };

/** The JSON objects of a JSON-lines output, skipping lines that are not JSON (stderr noise, banners). */
export function jsonLines(output: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const line of output.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed.startsWith("{")) continue;
    try {
      const value = JSON.parse(trimmed) as unknown;
      if (value && typeof value === "object" && !Array.isArray(value))
        events.push(value as Record<string, unknown>);
    } catch {}
  }
  return events;
}

/** The environment a CLI inherits: jig's own, minus what must not leak into it, plus `extra`. */
export function childEnv(
  base: NodeJS.ProcessEnv,
  extra: Record<string, string>,
  drop: (key: string) => boolean = () => false,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined || drop(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export const num = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : null;
