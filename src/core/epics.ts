import { JigError } from "../errors.js";
import { git } from "../lib/git.js";
import type { JigContext } from "./context.js";
import type { Issue } from "./issue.js";

// An epic's branches: where its work lands (target) and what the target starts from and merges into (base).
export interface EpicBranches {
  epic: Issue;
  target: string;
  base: string;
}

/** Resolves `issues/feature-auth.md`, `feature-auth.md` or `feature-auth` to the epic id: the one clean-up of an epic argument. */
export function epicIdFromArg(arg: string): string {
  return arg.replace(/\\/g, "/").split("/").pop()!.replace(/\.md$/, "");
}

export const defaultTarget = (epic: string): string => `feature/${epic}`;

/** The branch checked out in the main worktree, or null when HEAD is detached or unborn. */
export async function currentBranch(root: string): Promise<string | null> {
  try {
    const name = (await git(root, ["symbolic-ref", "--quiet", "--short", "HEAD"])).trim();
    return name.length > 0 ? name : null;
  } catch {
    return null;
  }
}

/** Target: the epic's `target` or feature/<epic>. Base: the epic's `base`, jig.json `baseBranch`, the current branch, or main. */
export async function epicBranches(ctx: JigContext, epicId: string): Promise<EpicBranches> {
  const epic = await ctx.issues.get(epicId);
  if (epic.kind !== "epic") {
    throw new JigError("INVALID_INPUT", `'${epic.id}' is a subtask of epic '${epic.epic}', not an epic`, {
      hint: `use the epic's id: ${epic.epic}`,
    });
  }
  const target = epic.target ?? defaultTarget(epic.id);
  const base = epic.base ?? ctx.config.baseBranch ?? (await currentBranch(ctx.paths.root)) ?? "main";
  if (base === target) {
    throw new JigError("INVALID_INPUT", `epic '${epic.id}': target and base are both '${target}'`, {
      hint: "set a different `target:` (e.g. feature/<epic>) or `base:` in the epic's frontmatter",
    });
  }
  return { epic, target, base };
}

/**
 * Writes the epic's base into its frontmatter when it has none, so `jig merge` merges into the branch
 * the epic was planned from — not whatever is checked out at merge time.
 */
export async function recordBase(ctx: JigContext, epicId: string, base: string): Promise<void> {
  await ctx.issues.update(epicId, (epic) => (epic.base ? null : { base }));
}

/** The target branch a subtask lands on: its own `target`, else its epic's. */
export async function taskTarget(ctx: JigContext, task: Issue): Promise<string> {
  if (task.target) return task.target;
  return (await epicBranches(ctx, task.epic)).target;
}
