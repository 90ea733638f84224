import type { KeptWork } from "../core/backup.js";
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
import { ADMIN } from "../core/identity.js";
import { readVerdict } from "../core/landing/queue.js";
import { abandonTask, retireWorker } from "../core/lifecycle.js";
import { worktreesWithBranch } from "../core/worktrees.js";
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
  if (issue?.kind === "subtask")
    throw new JigError(
      "INVALID_INPUT",
      `'${issue.id}' is a task of epic ${issue.epic}: it is reviewed and merged with its epic`,
      {
        hint: `run \`jig review ${issue.epic}\`, then \`jig merge ${issue.epic}\``,
      },
    );
  throw new JigError("NOT_FOUND", `'${name}' is neither an epic nor an ad-hoc worker`, {
    hint: `run \`jig issues list\` for the epics, \`jig ps\` for the workers; '${name}' is in neither`,
  });
}

export async function review(ctx: JigContext, name: string): Promise<Review> {
  const { kind, branch, into } = await subject(ctx, name);
  const root = ctx.paths.root;
  if (!(await branchCommit(root, branch)))
    throw new JigError(
      "NOT_FOUND",
      `branch '${branch}' of ${kind === "epic" ? `epic ${name}` : `worker ${name}`} does not exist`,
      {
        hint:
          kind === "epic"
            ? `nothing has been planned for it yet: run \`jig plan ${name}\``
            : `its branch was deleted; see what the session did with \`jig logs ${name}\`, remove the worker with \`jig clean\``,
      },
    );
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
  /** Commits merged (the branch's commits not yet on its base). */
  commits: number;
  cleaned: string[];
  /** Tasks a --force merge abandoned (not complete). */
  abandoned: string[];
  /** Work that was not on the merged branch, kept at backup refs (never dropped). */
  kept: KeptWork[];
  /** What could not be done and was reported instead (a remote worker's ref left on the remote). */
  notes: string[];
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
      {
        hint: `finish them with \`jig run ${name}\`, or merge what landed with \`jig merge ${name} --force\` (their sessions stop; their work is kept at backup refs)`,
      },
    );
  }
  if (summary.commits.length === 0)
    throw new JigError(
      "PRECONDITION_FAILED",
      `nothing to merge: ${summary.branch} has no commits that are not on ${summary.into}`,
      {
        hint:
          summary.kind === "adhoc"
            ? `see what the session did with jig logs ${name}; remove the worker with jig clean`
            : `nothing has landed on ${summary.branch} yet (jig status ${name})`,
      },
    );
  const kept: KeptWork[] = [];
  const abandoned: string[] = [];
  const notes: string[] = [];
  // A forced merge gives up the open tasks first: sessions stopped (no land sneaks in), work kept.
  for (const id of options.force ? summary.incomplete : []) {
    const result = await abandonTask(ctx, ADMIN, id, "merged with --force before it landed").catch(
      () => null,
    );
    if (!result) continue;
    abandoned.push(...result.tasks);
    kept.push(...result.kept);
    notes.push(...result.notes);
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
          hint: `${summary.into} is checked out at ${where}: commit or stash its local changes in the way (\`git -C ${where} status\`), or rebase ${summary.branch} onto ${summary.into} (\`git rebase ${summary.into} ${summary.branch}\` where ${summary.branch} is not checked out), then run \`jig merge ${name}\` again`,
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
        {
          hint: `rebase ${summary.branch} onto ${summary.into} (\`git rebase ${summary.into} ${summary.branch}\`, resolve, \`git rebase --continue\`), then run \`jig merge ${name}\` again`,
        },
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
      throw new JigError("CONFLICT", `${summary.into} moved while merging`, {
        hint: `someone updated ${summary.into} at the same moment; run \`jig merge ${name}\` again`,
      });
  }
  if (summary.kind === "epic")
    await recordEvent(ctx, { type: "merged", epic: name, into: summary.into, tip: commit });
  const cleaned: string[] = [];
  const workers =
    summary.kind === "epic"
      ? (await ctx.workers.list()).filter((w) => w.epic === summary.name)
      : [await ctx.workers.require(summary.name)];
  for (const record of workers) {
    // Work abandoned above is kept already; anything else not on the branch is kept now.
    const keep = !kept.some((k) => k.worker === record.name);
    const retired = await retireWorker(ctx, ADMIN, record, "merge", { keep });
    cleaned.push(retired.worker);
    if (retired.kept) kept.push(retired.kept);
    notes.push(...retired.notes);
  }
  return {
    merged: summary.branch,
    into: summary.into,
    commit,
    commits: summary.commits.length,
    cleaned,
    abandoned,
    kept,
    notes,
  };
}
