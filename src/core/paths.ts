import { join } from "node:path";

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
    secretsDir: join(jigDir, "secrets"),
    gitMemoFile: join(jigDir, "cache", "git.json"),
  };
}

/** The status file a worker's worktree carries (never committed: `.jig/` is excluded). */
export const worktreeStatusFile = (worktree: string): string => join(worktree, ".jig", "status.json");
