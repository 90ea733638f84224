import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";

// Where jig keeps everything at runtime. `.jig/` sits at the main worktree's root and is git-excluded.
export interface JigPaths {
  root: string;
  issuesDir: string;
  jigDir: string;
  locksDir: string;
  workersDir: string;
  logsDir: string;
  worktreesDir: string;
  landDir: string;
  runsDir: string;
  /** Tokens and session MCP configs: outside the repository, so no worktree can reach them (stateDir). */
  secretsDir: string;
  /** Answers to git questions about fixed commits (see git-memo.ts). */
  gitMemoFile: string;
}

export function jigPaths(root: string, issuesDir = "issues"): JigPaths {
  const jigDir = join(root, ".jig");
  return {
    root,
    issuesDir: join(root, issuesDir),
    jigDir,
    locksDir: join(jigDir, "locks"),
    workersDir: join(jigDir, "workers"),
    logsDir: join(jigDir, "logs"),
    worktreesDir: join(jigDir, "worktrees"),
    landDir: join(jigDir, "land"),
    runsDir: join(jigDir, "runs"),
    secretsDir: join(stateDir(root), "secrets"),
    gitMemoFile: join(jigDir, "cache", "git.json"),
  };
}

/** The status file a worker's worktree carries (never committed: `.jig/` is excluded). */
export const worktreeStatusFile = (worktree: string): string => join(worktree, ".jig", "status.json");

/** A session's private file (its MCP config, launch spec or Claude Code settings), outside the repository. */
export const sessionFile = (paths: JigPaths, name: string, kind: "mcp" | "launch" | "settings"): string =>
  join(paths.secretsDir, "sessions", `${name}.${kind}.json`);

/** The base of jig's state outside repositories; sessions get it in JIG_STATE_DIR (their HOME may differ). */
export function stateBase(): string {
  if (process.env.JIG_STATE_DIR) return process.env.JIG_STATE_DIR;
  if (process.env.XDG_STATE_HOME) return join(process.env.XDG_STATE_HOME, "jig");
  return join(homedir(), ".local", "state", "jig");
}

/**
 * jig's per-repository state outside the repository: `$JIG_STATE_DIR`, else `$XDG_STATE_HOME/jig`, else
 * `~/.local/state/jig`, then `repos/<name>-<hash of the real root path>`. Kept 0700 by its writers.
 */
export function stateDir(root: string): string {
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    // a root that does not exist yet keys by its given path
  }
  const base = stateBase();
  const key = createHash("sha256").update(real).digest("hex").slice(0, 16);
  const name =
    basename(real)
      .replace(/[^A-Za-z0-9._-]/g, "_")
      .slice(0, 40) || "repo";
  return join(base, "repos", `${name}-${key}`);
}
