import type { LauncherConfig } from "../../core/config.js";
import type { JigContext } from "../../core/context.js";
import type { AgentType } from "../backends/backend.js";

// The launcher contract: where a worker session starts. `local` is the worktree-and-agent path of
// spawn.ts; every other kind places `jig worker` somewhere else — it clones the shared git remote, runs
// the agent against the coordinator's HTTP endpoint and pushes before each land (docs/remote.md).
// A remote launcher only turns a session into the command the supervisor runs here: that command must
// stay in the foreground for the worker's whole life (its exit is the session's end, its output the
// session's log), so liveness, budgets, retries and `jig kill` work as they do for a local session.

/** What a remote launcher is told about the session it places. */
export interface WorkerLaunchRequest {
  /** The worker's name (a task worker's is its task id). */
  name: string;
  task: string;
  /** The branch the task lands on (the worker rebases onto it on a conflict). */
  target: string;
  /** The agent's name in the repository's jig.json (the worker reads it from its clone). */
  agent: string;
  /** Which backend reads the session's output (the worker's stdout carries the agent's). */
  agentType: AgentType;
  /** The coordinator's MCP endpoint as the worker reaches it. */
  url: string;
  /** The shared git remote as the worker reaches it. */
  remote: string;
  /** The worker's own token: for the environment or stdin, never argv, a URL or a log. */
  token: string;
  /** A 0600 file on this machine holding the token (for engines that take a secret from a file). */
  tokenFile: string;
  /** This session's private directory on this machine (0700, kept across attempts). */
  privateDir: string;
}

/** What the supervisor runs for a remote session. */
export interface WorkerLaunch {
  command: string;
  args: string[];
  /** The command's environment (jig puts the worker's token in JIG_TOKEN unless stdin carries it). */
  env: Record<string, string>;
  cwd: string;
  /** Written to the command's stdin, then closed (e.g. the token for `jig worker --token-file -`). */
  stdin?: string;
  /** Where it runs, when the launcher chooses among hosts (shown in `jig ps`, counted for per-host limits). */
  host?: string | null;
}

export interface RemoteLauncher {
  kind: Exclude<LauncherConfig["kind"], "local">;
  launch(ctx: JigContext, request: WorkerLaunchRequest): Promise<WorkerLaunch>;
}

/** The `jig worker` arguments every remote launcher runs (after the `jig` of the worker's machine). */
export function jigWorkerArgs(
  request: Pick<WorkerLaunchRequest, "url" | "remote" | "task" | "target" | "agent">,
): string[] {
  return [
    "worker",
    "--url",
    request.url,
    "--remote",
    request.remote,
    "--task",
    request.task,
    "--target",
    request.target,
    "--agent",
    request.agent,
  ];
}

const SHELL_SAFE = /^[A-Za-z0-9_./:@%+=,-]+$/;

/** A POSIX shell word for `value` (single-quoted unless it is plainly safe). */
export function shellQuote(value: string): string {
  if (SHELL_SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * A template word with its placeholders filled: a word that is exactly one placeholder becomes the value
 * as is (one argv element, no shell sees it); a placeholder inside a longer word — a command line some
 * shell will read, such as `sh -c "…"` or ssh's remote command — is shell-quoted.
 */
export function fillWord(word: string, values: Record<string, string>): string {
  const whole = /^\{([A-Za-z]+)\}$/.exec(word);
  if (whole && whole[1]! in values) return values[whole[1]!]!;
  return word.replace(/\{([A-Za-z]+)\}/g, (match, name: string) =>
    name in values ? shellQuote(values[name]!) : match,
  );
}

/** The values of the placeholders (config.ts LAUNCHER_PLACEHOLDERS); never the token itself. */
export function placeholderValues(request: WorkerLaunchRequest): Record<string, string> {
  return {
    name: request.name,
    task: request.task,
    target: request.target,
    agent: request.agent,
    url: request.url,
    remote: request.remote,
    tokenFile: request.tokenFile,
  };
}
