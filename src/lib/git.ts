import { resolve } from "node:path";
import { simpleGit } from "simple-git";
import { JigError } from "../core/errors.js";

// The only importer of simple-git. Every git call goes through here. simple-git by default treats a
// non-zero exit with empty stderr as success (e.g. `merge-base --is-ancestor` answering "no"), so an
// error plugin makes the exit code authoritative; `gitRun` returns it, `git` throws GIT_FAILED on it.

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

// simple-git refuses environment variables such as GIT_EDITOR, PAGER or GIT_SSH_COMMAND unless told
// they are trusted. They are the user's own environment (jig never builds git config from agent input).
const TRUSTED_ENV = {
  allowUnsafeEditor: true,
  allowUnsafePager: true,
  allowUnsafeSshCommand: true,
  allowUnsafeAskPass: true,
  allowUnsafeConfigPaths: true,
  allowUnsafeGitProxy: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeTemplateDir: true,
  allowUnsafeDiffExternal: true,
  allowUnsafeHooksPath: true,
} as never;

/** Runs git and returns its exit code and output without throwing on a non-zero exit. */
export async function gitRun(
  cwd: string,
  args: readonly string[],
  options: { env?: Record<string, string> } = {},
): Promise<GitOutput> {
  // simple-git wraps plugin errors and drops their fields, so the failed run is captured here.
  let failed: GitOutput | null = null;
  const make = () =>
    simpleGit({
      baseDir: cwd,
      trimmed: false,
      unsafe: TRUSTED_ENV,
      errors: (_error, result) => {
        if (result.exitCode === 0) return undefined;
        failed = {
          exitCode: result.exitCode,
          stdout: Buffer.concat(result.stdOut).toString("utf8"),
          stderr: Buffer.concat(result.stdErr).toString("utf8"),
        };
        return new Error(`git exited with code ${result.exitCode}`);
      },
    }).env({ ...gitEnv(), ...options.env });
  try {
    const stdout = await make().raw([...args]);
    return { exitCode: 0, stdout, stderr: "" };
  } catch (error) {
    if (failed) return failed;
    throw new JigError(
      "GIT_FAILED",
      `git ${args[0] ?? ""} could not run: ${error instanceof Error ? error.message : String(error)}`,
      {
        hint: "is git installed, and does the directory exist?",
        cause: error,
      },
    );
  }
}

/** Runs `git <args>` in `cwd` and returns stdout; a non-zero exit is a GIT_FAILED error keeping git's message. */
export async function git(
  cwd: string,
  args: readonly string[],
  options: { env?: Record<string, string> } = {},
): Promise<string> {
  const out = await gitRun(cwd, args, options);
  if (out.exitCode === 0) return out.stdout;
  const message = (out.stderr || out.stdout).trim().split("\n").slice(0, 6).join(" / ");
  throw new JigError("GIT_FAILED", `git ${args[0] ?? ""} failed: ${message || `exit code ${out.exitCode}`}`, {
    hint: "check the repository state with `git status`",
    details: { command: `git ${args.slice(0, 4).join(" ")}`, exitCode: out.exitCode },
    cause: new GitExit(out),
  });
}

// Keep the user's identity and config, but never prompt and never open an editor.
function gitEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_EDITOR = "true";
  env.GIT_SEQUENCE_EDITOR = "true";
  return env;
}

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
