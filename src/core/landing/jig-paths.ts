import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { git } from "../../lib/git.js";
import { PACKAGE_ROOT } from "../../version.js";
import type { JigContext } from "../context.js";

// jig's own paths in a repository: the issues directory (a committed issue file would become a ready
// task, bypassing plan_epic), `.jig` (a committed symlink there would redirect jig's writes), `.mcp.json`
// and the skills jig installs. A land refuses commits that add or change them unless jig.json's
// `allowJigPaths` names the task or its epic.

let skillNames: string[] | null = null;
const skills = (): string[] => {
  if (skillNames === null) {
    try {
      skillNames = readdirSync(join(PACKAGE_ROOT, "skills"));
    } catch {
      skillNames = [];
    }
  }
  return skillNames;
};

/** Whether `file` (relative to the repo root) is one of jig's own paths. */
export function isJigPath(ctx: JigContext, file: string): boolean {
  const issues = relative(ctx.paths.root, ctx.paths.issuesDir);
  const under = (dir: string) => file === dir || file.startsWith(`${dir}/`);
  return (
    under(issues) ||
    under(".jig") ||
    file === ".mcp.json" ||
    skills().some((name) => under(`.claude/skills/${name}`))
  );
}

/**
 * jig's paths that going from tree `from` to tree `to` adds, changes or deletes (empty when the task
 * — null: asking for the whole batch — is allowed to).
 */
export async function jigPathsTouched(
  ctx: JigContext,
  task: { issue: string | null; epic: string | null } | null,
  from: string,
  to: string,
): Promise<string[]> {
  const allowed = ctx.config.allowJigPaths;
  if (task && ((task.issue && allowed.includes(task.issue)) || (task.epic && allowed.includes(task.epic))))
    return [];
  const out = await git(ctx.paths.root, ["diff-tree", "-r", "-z", "--name-only", "--no-renames", from, to]);
  return out.split("\0").filter((file) => file !== "" && isJigPath(ctx, file));
}
