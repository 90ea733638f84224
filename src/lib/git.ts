import { resolve } from "node:path";
import { execa } from "execa";
import { JigError } from "../errors.js";
import { killTree } from "./exec.js";

// Every git call goes through here: git itself through execa, the exit code authoritative. `gitRun`
// returns it, `git` throws GIT_FAILED on it. Every call has a timeout (a TIMEOUT error, git killed),
// and hooks never run: jig runs git for itself, and a user's hanging `reference-transaction` or
// `post-checkout` hook must not wedge a land or a spawn (core.hooksPath=/dev/null finds no hook). (Not simple-git: its completion detection waits an extra
// 50 ms after every command that prints nothing — update-ref, reset -q, worktree add… — which was most
// of the cost of a set_status and a third of a land; see docs/decisions.md.)

export interface GitOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class GitExit extends Error {
  constructor(readonly output: GitOutput) {
    super((output.stderr || output.stdout).trim() || `git exited with code ${output.exitCode}`);
  }
}

export interface GitOptions {
  env?: Record<string, string>;
  /** Written to git's stdin (e.g. a commit message for `commit-tree -F -`). */
  input?: string;
  /** Default: `JIG_GIT_TIMEOUT_MS` or 120 s (a fetch or push can be slow; local plumbing takes ms). */
  timeoutMs?: number;
}

// No hook, and no fsmonitor command (a hook by another name), ever runs from a git call of jig's.
const NO_HOOKS = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"];

const defaultTimeout = (): number => Number(process.env.JIG_GIT_TIMEOUT_MS) || 120_000;

/** Runs git and returns its exit code and output without throwing on a non-zero exit. */
export async function gitRun(
  cwd: string,
  args: readonly string[],
  options: GitOptions = {},
): Promise<GitOutput> {
  const timeoutMs = options.timeoutMs ?? defaultTimeout();
  // Its own process group, so a timeout kills what git started too (an upload-pack, a credential
  // helper) — they hold git's output pipes open, and waiting for them would outlast the timeout.
  const child = execa("git", [...NO_HOOKS, ...args], {
    cwd,
    env: { ...GIT_ENV, ...options.env },
    ...(options.input === undefined ? { stdin: "ignore" as const } : { input: options.input }),
    reject: false,
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
    detached: true,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killTree(child.pid);
  }, timeoutMs);
  const result = await child.finally(() => clearTimeout(timer));
  if (timedOut) {
    throw new JigError("TIMEOUT", `git ${args[0] ?? ""} did not finish within ${timeoutMs} ms (killed)`, {
      hint: "is another process holding the repository, or a remote or filesystem stalled? Nothing was changed; try again",
      details: { command: `git ${args.slice(0, 4).join(" ")}`, cwd },
    });
  }
  if (result.exitCode === undefined) {
    // Not an exit of git's: it could not start (no git, no such directory) or was killed.
    const why = result.signal ? `killed by ${result.signal}` : (result.cause as Error | undefined)?.message;
    throw new JigError("GIT_FAILED", `git ${args[0] ?? ""} could not run: ${why ?? "unknown error"}`, {
      hint: "is git installed, and does the directory exist?",
      cause: result.cause,
    });
  }
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `git <args>` in `cwd` and returns stdout; a non-zero exit is a GIT_FAILED error keeping git's message. */
export async function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  const out = await gitRun(cwd, args, options);
  if (out.exitCode === 0) return out.stdout;
  const message = (out.stderr || out.stdout).trim().split("\n").slice(0, 6).join(" / ");
  throw new JigError("GIT_FAILED", `git ${args[0] ?? ""} failed: ${message || `exit code ${out.exitCode}`}`, {
    hint: "check the repository state with `git status`",
    details: { command: `git ${args.slice(0, 4).join(" ")}`, exitCode: out.exitCode },
    cause: new GitExit(out),
  });
}

// Keep the user's identity and config (execa passes the rest of the environment), but never prompt
// and never open an editor.
const GIT_ENV = { GIT_TERMINAL_PROMPT: "0", GIT_EDITOR: "true", GIT_SEQUENCE_EDITOR: "true" };

/** The root of the main worktree, even when called from inside a linked worktree. */
export async function findRepoRoot(cwd: string): Promise<string> {
  let out: GitOutput;
  try {
    out = await gitRun(cwd, ["rev-parse", "--path-format=absolute", "--git-common-dir"]);
  } catch {
    out = { exitCode: 128, stdout: "", stderr: "" };
  }
  if (out.exitCode !== 0) {
    throw new JigError("PRECONDITION_FAILED", `${cwd} is not inside a git repository`, {
      hint: "run jig inside a git repository (or `git init` first)",
    });
  }
  const common = out.stdout.trim();
  if (!common.endsWith("/.git")) {
    throw new JigError("PRECONDITION_FAILED", `the repository at ${cwd} is bare or unusual (${common})`, {
      hint: "run jig in a repository with a working tree",
    });
  }
  return resolve(common, "..");
}
