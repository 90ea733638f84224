import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { JigContext } from "../core/context.js";
import { epicBranches } from "../core/epics.js";
import { recordEvent } from "../core/events.js";
import {
  branchCommit,
  type CommitInfo,
  type DiffStat,
  diffStat,
  logBetween,
  updateBranchCAS,
} from "../core/git-ops.js";
import { readVerdict } from "../core/landing/queue.js";
import { stopSession } from "../core/workers.js";
import { removeWorktree, worktreesWithBranch } from "../core/worktrees.js";
import { JigError } from "../errors.js";
import { gitRun } from "../lib/git.js";

// The human's side at the end: review what landed (once, on the whole branch) and merge it.

export interface Review {
  kind: "epic" | "adhoc";
  name: string;
  branch: string;
  into: string;
  commits: CommitInfo[];
  diff: DiffStat;
  tasks: { id: string; status: string; commits: string[] }[];
  incomplete: string[];
}

async function subject(
  ctx: JigContext,
  name: string,
): Promise<{ kind: "epic" | "adhoc"; branch: string; into: string }> {
  const issue = await ctx.issues.get(name).catch(() => null);
  if (issue?.kind === "epic") {
    const { target, base } = await epicBranches(ctx, issue.id);
    return { kind: "epic", branch: target, into: base };
  }
  const worker = await ctx.workers.get(name);
  if (worker?.kind === "adhoc") return { kind: "adhoc", branch: worker.branch, into: worker.target };
  if (worker?.kind === "task") {
    throw new JigError(
      "INVALID_INPUT",
      `'${name}' is a task worker: its work lands on ${worker.target} by itself`,
      { hint: `review the epic instead: jig review ${worker.epic}` },
    );
  }
  throw new JigError("NOT_FOUND", `'${name}' is neither an epic nor an ad-hoc worker`, {
    hint: "jig issues list shows epics; jig ps shows workers",
  });
}

export async function review(ctx: JigContext, name: string): Promise<Review> {
  const { kind, branch, into } = await subject(ctx, name);
  const root = ctx.paths.root;
  if (!(await branchCommit(root, branch)))
    throw new JigError("NOT_FOUND", `branch '${branch}' does not exist`, {
      hint: "nothing has been planned or spawned for it yet",
    });
  const commits = await logBetween(root, into, branch);
  const diff = await diffStat(root, into, branch);
  const tasks: Review["tasks"] = [];
  if (kind === "epic") {
    for (const task of (await ctx.issues.list()).filter((i) => i.kind === "subtask" && i.epic === name)) {
      const verdict = await readVerdict(ctx.paths, task.id);
      tasks.push({
        id: task.id,
        status: task.status,
        commits: verdict?.state === "landed" ? (verdict.commits ?? []) : [],
      });
    }
  }
  return {
    kind,
    name,
    branch,
    into,
    commits,
    diff,
    tasks,
    incomplete: tasks.filter((t) => t.status !== "complete" && t.status !== "cancelled").map((t) => t.id),
  };
}

export interface MergeResult {
  merged: string;
  into: string;
  commit: string;
  cleaned: string[];
}

/**
 * Merges the reviewed branch into its base with a merge commit. When the base is checked out (and clean)
 * the merge runs there; otherwise it is built in the object store and the base moves by compare-and-swap.
 */
export async function merge(
  ctx: JigContext,
  name: string,
  options: { force?: boolean } = {},
): Promise<MergeResult> {
  const summary = await review(ctx, name);
  if (summary.incomplete.length > 0 && !options.force) {
    throw new JigError(
      "PRECONDITION_FAILED",
      `epic ${name} has tasks that are not complete: ${summary.incomplete.join(", ")}`,
      { hint: "finish them (jig run), or merge anyway with --force" },
    );
  }
  const root = ctx.paths.root;
  const message = `Merge ${summary.kind === "epic" ? `epic ${name}` : `worker ${name}`} (${summary.branch}) into ${summary.into}`;
  const checkedOut = await worktreesWithBranch(ctx, summary.into);
  let commit: string;
  if (checkedOut.length > 0) {
    const where = checkedOut[0]!;
    // git itself refuses when a local change is in the way; issue files jig keeps updating are not.
    const merged = await gitRun(where, ["merge", "--no-ff", "--no-edit", "-m", message, summary.branch]);
    if (merged.exitCode !== 0) {
      await gitRun(where, ["merge", "--abort"]);
      throw new JigError(
        "CONFLICT",
        `merging ${summary.branch} into ${summary.into} failed: ${(merged.stdout + merged.stderr).trim().split("\n").slice(0, 4).join(" / ")}`,
        {
          hint: `commit or stash local changes in the way, or rebase ${summary.branch} onto ${summary.into} first`,
        },
      );
    }
    commit = (await gitRun(where, ["rev-parse", "HEAD"])).stdout.trim();
  } else {
    const base = (await branchCommit(root, summary.into))!;
    const tip = (await branchCommit(root, summary.branch))!;
    const tree = await gitRun(root, ["merge-tree", "--write-tree", "--no-messages", base, tip]);
    if (tree.exitCode !== 0)
      throw new JigError(
        "CONFLICT",
        `merging ${summary.branch} into ${summary.into} conflicts in ${tree.stdout.split("\n").slice(1).filter(Boolean).join(", ")}`,
        { hint: `rebase ${summary.branch} onto ${summary.into} first` },
      );
    commit = (
      await gitRun(root, [
        "commit-tree",
        tree.stdout.split("\n")[0]!.trim(),
        "-p",
        base,
        "-p",
        tip,
        "-m",
        message,
      ])
    ).stdout.trim();
    if (!(await updateBranchCAS(root, summary.into, commit, base, message)))
      throw new JigError("CONFLICT", `${summary.into} moved while merging`, { hint: "run jig merge again" });
  }
  if (summary.kind === "epic")
    await recordEvent(ctx, { type: "merged", epic: name, into: summary.into, tip: commit });
  const cleaned = await cleanUp(ctx, summary);
  return { merged: summary.branch, into: summary.into, commit, cleaned };
}

// After a merge: remove the workers' worktrees, their `_jig/` branches, registry records and tokens.
async function cleanUp(ctx: JigContext, summary: Review): Promise<string[]> {
  const names =
    summary.kind === "epic"
      ? (await ctx.workers.list()).filter((w) => w.epic === summary.name).map((w) => w.name)
      : [summary.name];
  for (const name of names) {
    const record = await ctx.workers.get(name);
    // A session still running (merged with --force, or one winding down) is stopped before its worktree goes.
    if (record) await stopSession(ctx.workers, record);
    if (record && record.kind !== "planner") await removeWorktree(ctx, name, { deleteBranch: true });
    await ctx.workers.remove(name);
    for (const file of [`${name}.mcp.json`, `${name}.launch.json`])
      await rm(join(ctx.paths.workersDir, file), { force: true });
    await rm(join(ctx.paths.secretsDir, `${name}.token`), { force: true });
  }
  return names;
}
