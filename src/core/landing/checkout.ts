import { existsSync, lstatSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { git, gitRun } from "../../lib/git.js";
import type { JigContext } from "../context.js";

// A human's checkout of the target (the main worktree on `feature/x`, or any worktree jig did not
// make). It is the human's: the land either brings it up to date safely — a two-way `read-tree -m -u`
// that git refuses when it would overwrite anything, its exit code checked — or does not move the
// target and says why, naming the checkout and what to do there. Never staged reversals, never a
// human file overwritten or deleted.

export interface TargetCheckout {
  path: string;
  /** `on`: HEAD is the target. `busy`: a rebase/merge/bisect of the target is under way there. */
  state: "on" | "busy";
}

/** Worktrees outside `.jig/` that have `target` checked out, or are rebasing/bisecting it. */
export async function targetCheckouts(ctx: JigContext, target: string): Promise<TargetCheckout[]> {
  const out = await git(ctx.paths.root, ["worktree", "list", "--porcelain"]);
  const found: TargetCheckout[] = [];
  const detached: string[] = [];
  let current = "";
  for (const line of out.split("\n")) {
    if (line.startsWith("worktree ")) current = line.slice(9);
    if (current.startsWith(`${ctx.paths.jigDir}/`)) continue;
    if (line === `branch refs/heads/${target}`) found.push({ path: current, state: "on" });
    if (line === "detached") detached.push(current);
  }
  // A rebase of the target detaches HEAD; its state directory names the branch it will move at the end.
  for (const path of detached) {
    const gitDir = await gitRun(path, ["rev-parse", "--absolute-git-dir"]).catch(() => null);
    if (gitDir?.exitCode !== 0) continue;
    const dir = gitDir.stdout.trim();
    const names = ["rebase-merge/head-name", "rebase-apply/head-name", "BISECT_START"].map((f) =>
      join(dir, f),
    );
    const busy = names.some((file) => {
      try {
        const text = readFileSync(file, "utf8").trim();
        return text === `refs/heads/${target}` || text === target;
      } catch {
        return false;
      }
    });
    if (busy) found.push({ path, state: "busy" });
  }
  return found;
}

export const checkoutName = (ctx: JigContext, path: string): string =>
  path === ctx.paths.root ? "the main worktree" : relative(ctx.paths.root, path) || path;

/**
 * Why moving the target from `base` to `next` cannot carry this checkout along, or null when it can:
 * a rebase under way, tracked changes (jig's issue files excepted unless the land changes them), or
 * files on disk where the land adds one (untracked or ignored: git would refuse, or overwrite ignored).
 */
export async function checkoutBlocker(
  ctx: JigContext,
  checkout: TargetCheckout,
  target: string,
  base: string,
  next: string,
): Promise<string | null> {
  const name = checkoutName(ctx, checkout.path);
  if (checkout.state === "busy")
    return `${target} is being rebased (or bisected) in ${name} (${checkout.path}); finish or abort that there (\`git rebase --continue\` or \`git rebase --abort\`), then land again`;
  const changed = await git(ctx.paths.root, [
    "diff-tree",
    "-r",
    "-z",
    "--no-renames",
    "--name-status",
    base,
    next,
  ]);
  const tokens = changed.split("\0");
  const landed = new Set<string>();
  const added: string[] = [];
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    landed.add(tokens[i + 1]!);
    if (tokens[i] === "A") added.push(tokens[i + 1]!);
  }
  const issuesPrefix = `${relative(checkout.path, ctx.paths.issuesDir)}/`;
  const status = await git(checkout.path, ["status", "--porcelain=v1", "-z", "--untracked-files=no"]);
  const dirty = status
    .split("\0")
    .filter((record) => record.length > 3)
    .map((record) => record.slice(3))
    .filter((file) => !file.startsWith(issuesPrefix) || landed.has(file));
  if (dirty.length > 0)
    return `the target branch ${target} is checked out in ${name} with uncommitted changes (${dirty.slice(0, 5).join(", ")}); commit or stash them in ${checkout.path}, or switch that worktree to another branch, then land again`;
  const inTheWay = added.filter((file) => {
    try {
      lstatSync(join(checkout.path, file));
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "ENOTDIR";
    }
  });
  if (inTheWay.length > 0)
    return `the target branch ${target} is checked out in ${name}, and files this land adds are already there, not committed (${inTheWay.slice(0, 5).join(", ")}); move or delete them in ${checkout.path} (or commit them to ${target}), then land again`;
  return null;
}

/**
 * Brings a checkout from `base` to `next` (after the target moved): a two-way merge of the index and
 * files that git refuses rather than overwrite. Returns git's complaint when it refused (nothing changed).
 */
export async function updateCheckout(path: string, base: string, next: string): Promise<string | null> {
  if (!existsSync(isAbsolute(path) ? path : join(process.cwd(), path))) return null;
  const out = await gitRun(path, ["read-tree", "-m", "-u", base, next]);
  if (out.exitCode === 0) return null;
  return (out.stderr || out.stdout).trim().split("\n").slice(0, 4).join(" / ") || `exit code ${out.exitCode}`;
}

/** Whether a checkout's index is still the `base` tree (the land moved the ref, not yet the files). */
export async function indexAt(path: string, base: string): Promise<boolean> {
  const out = await gitRun(path, ["diff-index", "--cached", "--quiet", base, "--"]);
  return out.exitCode === 0;
}
