import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { git } from "../lib/git.js";

// Lines in .git/info/exclude (shared by every worktree of the repo): jig's runtime state, and the skills
// jig installs into worker worktrees, which must never be committed onto a worker's branch.
// `.jig` without a slash: `.jig/` would match only a directory, so a `.jig` symlink an agent created
// could be committed and, once checked out, redirect jig's writes.
export const EXCLUDES = [".jig", "/.claude/skills/jig-worker/", "/.claude/skills/jig-planner/"];

/** Adds the missing lines; returns the ones it added. */
export async function ensureExcluded(
  root: string,
  patterns: readonly string[] = EXCLUDES,
): Promise<string[]> {
  const common = (await git(root, ["rev-parse", "--path-format=absolute", "--git-common-dir"])).trim();
  const file = join(common, "info", "exclude");
  const current = await readFile(file, "utf8").catch(() => "");
  const have = new Set(current.split("\n").map((line) => line.trim()));
  const missing = patterns.filter((p) => !have.has(p) && !(p === ".jig" && have.has("/.jig")));
  if (missing.length === 0) return [];
  await mkdir(dirname(file), { recursive: true });
  await appendFile(
    file,
    `${current.length > 0 && !current.endsWith("\n") ? "\n" : ""}${missing.join("\n")}\n`,
  );
  return missing;
}
