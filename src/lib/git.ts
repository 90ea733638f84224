import { resolve } from "node:path";
import { simpleGit } from "simple-git";
import { JigError } from "../core/errors.js";

// The only importer of simple-git. Every git call goes through `git()`, which turns git's failures
// into GIT_FAILED errors that keep git's own message.

/** Runs `git <args>` in `cwd` and returns stdout. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  try {
    return await simpleGit({ baseDir: cwd, trimmed: false, unsafe: TRUSTED_ENV }).env(gitEnv()).raw([...args]);
  } catch (error) {
    const message = error instanceof Error ? error.message.trim() : String(error);
    throw new JigError("GIT_FAILED", `git ${args[0] ?? ""} failed: ${message.split("\n").slice(0, 6).join(" / ")}`, {
      hint: "check the repository state with `git status`",
      details: { command: `git ${args.slice(0, 4).join(" ")}` },
      cause: error,
    });
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
} as never;

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
  let common: string;
  try {
    common = (await simpleGit({ baseDir: cwd, unsafe: TRUSTED_ENV }).raw(["rev-parse", "--path-format=absolute", "--git-common-dir"])).trim();
  } catch {
    throw new JigError("PRECONDITION_FAILED", `${cwd} is not inside a git repository`, {
      hint: "run jig inside a git repository (or `git init` first)",
    });
  }
  if (!common.endsWith("/.git")) {
    throw new JigError("PRECONDITION_FAILED", `the repository at ${cwd} is bare or unusual (${common})`, {
      hint: "run jig in a repository with a working tree",
    });
  }
  return resolve(common, "..");
}
