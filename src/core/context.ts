import { join } from "node:path";
import { pathExists } from "../lib/fs.js";
import { findRepoRoot } from "../lib/git.js";
import { type JigConfig, loadConfig } from "./config.js";
import { GitMemo } from "./git-memo.js";
import { IssueStore } from "./issue-store.js";
import { type JigPaths, jigPaths } from "./paths.js";
import { WorkerRegistry } from "./workers.js";

// Everything a command, tool or engine needs about one repository, built once per process.
export interface JigContext {
  paths: JigPaths;
  config: JigConfig;
  issues: IssueStore;
  workers: WorkerRegistry;
  git: GitMemo;
}

/** Opens the repository containing `cwd` (or `root` given explicitly, e.g. from JIG_ROOT). */
export async function openContext(options: { cwd?: string; root?: string } = {}): Promise<JigContext> {
  const root = options.root ?? (await findRepoRoot(options.cwd ?? process.cwd()));
  const config = await loadConfig(root);
  const paths = jigPaths(root, config.issuesDir);
  return {
    paths,
    config,
    issues: new IssueStore({ dir: paths.issuesDir, stateDir: join(paths.locksDir, "issue-store") }),
    workers: new WorkerRegistry(paths),
    git: new GitMemo(paths.root, paths.gitMemoFile),
  };
}

/** Whether `jig init` (or jig itself) has been here: an issues directory, `.jig/` or a `jig.json`. */
export async function isInitialised(ctx: JigContext): Promise<boolean> {
  for (const path of [ctx.paths.issuesDir, ctx.paths.jigDir, join(ctx.paths.root, "jig.json")])
    if (await pathExists(path)) return true;
  return false;
}
