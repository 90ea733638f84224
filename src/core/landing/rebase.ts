import pLimit from "p-limit";
import { JigError } from "../../errors.js";
import { gitRun } from "../../lib/git.js";
import { commitTree, type MergeConflict, mergeTrees, treeOf } from "../git-ops.js";

// Rebasing a worker's branch onto the target with plumbing only: `git merge-tree --write-tree` builds
// each commit's tree and `git commit-tree` the commit, in the object store. No checkout, no index, no
// worktree — the worker's worktree and branch stay exactly as its agent left them.
//
// Each landed commit's tree is the branch's state at that commit merged onto the chain's tip
// (`merge-tree ours C_k`, merge base found by git: the branch's fork point). git 2.39 has no
// `--merge-base` (2.40), so true cherry-pick semantics would need synthetic commits; the prefix merge
// needs none, its final tree is exactly what the early conflict check predicted (`merge-tree target
// branch`), and the merges are independent of each other, so they run in parallel. See
// docs/decisions.md.

export interface SourceCommit {
  sha: string;
  parents: string[];
  tree: string;
  authorName: string;
  authorEmail: string;
  /** Raw git date (`<unix seconds> <tz>`), as GIT_AUTHOR_DATE accepts it. */
  authorDate: string;
  message: string;
}

export type RebaseResult =
  | { ok: true; head: string; tree: string; commits: string[]; dropped: number }
  | { ok: false; conflicts: MergeConflict[]; commit: SourceCommit | null };

const COMMIT_FORMAT = "--format=%H%x1f%P%x1f%T%x1f%an%x1f%ae%x1f%ad%x1f%B";

function parseCommits(stdout: string): SourceCommit[] {
  return stdout
    .split("\0")
    .filter((record) => record.trim() !== "")
    .map((record) => {
      const [sha = "", parents = "", tree = "", authorName = "", authorEmail = "", authorDate = "", ...rest] =
        record.replace(/^\n/, "").split("\x1f");
      return {
        sha,
        parents: parents.split(" ").filter(Boolean),
        tree,
        authorName,
        authorEmail,
        authorDate,
        message: rest.join("\x1f"),
      };
    });
}

/** The commits of `head` not on `onto`, oldest first, following first parents (merges flattened). */
export async function branchCommits(
  cwd: string,
  onto: string,
  head: string,
  exclude?: string,
): Promise<SourceCommit[]> {
  const out = await gitRun(cwd, [
    "log",
    "-z",
    "--first-parent",
    "--reverse",
    "--date=raw",
    COMMIT_FORMAT,
    `${onto}..${head}`,
    ...(exclude ? [`^${exclude}`] : []),
    "--",
  ]);
  if (out.exitCode !== 0)
    throw new JigError("GIT_FAILED", `git log ${onto}..${head} failed: ${out.stderr.trim()}`, {
      hint: "check that both commits exist",
    });
  return parseCommits(out.stdout);
}

/**
 * Every commit reachable from one of `heads` and not from `base`, by id: one `git log` for a whole
 * batch of branches (instead of one per branch); `firstParentRun` then picks each branch's commits.
 */
export async function commitsSince(
  cwd: string,
  base: string,
  heads: string[],
): Promise<Map<string, SourceCommit>> {
  const all = new Map<string, SourceCommit>();
  if (heads.length === 0) return all;
  const out = await gitRun(cwd, [
    "log",
    "-z",
    "--date=raw",
    COMMIT_FORMAT,
    `^${base}`,
    ...new Set(heads),
    "--",
  ]);
  if (out.exitCode !== 0)
    throw new JigError(
      "GIT_FAILED",
      `git log ^${base.slice(0, 10)} <${heads.length} branches> failed: ${out.stderr.trim()}`,
      {
        hint: "check that the target and the branches exist",
      },
    );
  for (const commit of parseCommits(out.stdout)) all.set(commit.sha, commit);
  return all;
}

/**
 * What `git log --first-parent --reverse onto..head` lists, from `commitsSince(base, …)`'s answer: the
 * first-parent walk from `head` while the commit is in `all` (so not reachable from base) and not in
 * `onChain` (commits `onto` already contains beyond base: branches kept as they were earlier in the chain).
 */
export function firstParentRun(
  all: ReadonlyMap<string, SourceCommit>,
  head: string,
  onChain: ReadonlySet<string>,
): SourceCommit[] {
  const run: SourceCommit[] = [];
  for (
    let commit = all.get(head);
    commit && !onChain.has(commit.sha);
    commit = all.get(commit.parents[0] ?? "")
  ) {
    run.push(commit);
  }
  return run.reverse();
}

/**
 * Builds `head`'s commits on top of `onto` in the object store. A branch already based on `onto` with no
 * merges keeps its commits as they are (fast-forward). A commit that becomes empty (the target has its
 * change already) is dropped, as `git rebase` does; a commit the worker made empty on purpose is kept.
 * `landed` is the branch commit an earlier land already took: its commits are not replayed again.
 */
export async function rebasePlumbing(
  cwd: string,
  options: {
    head: string;
    onto: string;
    ontoTree?: string;
    landed?: string;
    /** The branch's commits not on `onto`, oldest first, when already read (`firstParentRun`). */
    commits?: SourceCommit[];
  },
): Promise<RebaseResult> {
  const { head, onto } = options;
  const commits = options.commits ?? (await branchCommits(cwd, onto, head, options.landed));
  if (commits.length === 0) {
    const tree = options.ontoTree ?? (await treeOf(cwd, onto));
    return { ok: true, head: onto, tree, commits: [], dropped: 0 };
  }
  const linear = commits.every((c) => c.parents.length === 1);
  if (linear && commits[0]!.parents[0] === onto) {
    return { ok: true, head, tree: commits.at(-1)!.tree, commits: commits.map((c) => c.sha), dropped: 0 };
  }
  // Merge onto a commit whose parent is the commit landed before, so git takes it as the merge base.
  const ours = options.landed
    ? await commitTree(cwd, {
        tree: options.ontoTree ?? (await treeOf(cwd, onto)),
        parents: [options.landed],
        message: "jig: merge base\n",
      })
    : onto;
  // The whole branch first: a conflict there is the one to report (and the early check's answer).
  const last = commits.at(-1)!;
  const [final, ontoTree] = await Promise.all([
    mergeTrees(cwd, ours, last.sha),
    options.ontoTree ?? treeOf(cwd, onto),
  ]);
  if (!final.clean) return { ok: false, conflicts: final.conflicts, commit: null };
  const limit = pLimit(4);
  const merged = await Promise.all(
    commits.map((commit, i) =>
      i === commits.length - 1 ? final : limit(() => mergeTrees(cwd, ours, commit.sha)),
    ),
  );
  const conflicted = merged.findIndex((m) => !m.clean);
  const bad = merged[conflicted];
  if (bad && !bad.clean) return { ok: false, conflicts: bad.conflicts, commit: commits[conflicted]! };

  let parent = onto;
  let parentTree = ontoTree;
  const built: string[] = [];
  let dropped = 0;
  for (let i = 0; i < commits.length; i++) {
    const commit = commits[i]!;
    const tree = merged[i]!.tree;
    // Empty now: dropped, unless the worker made it empty on purpose (its own parent has its tree).
    const sourceParentTree = async () =>
      i > 0 ? commits[i - 1]!.tree : commit.parents[0] ? treeOf(cwd, commit.parents[0]) : "";
    const emptyOnPurpose = async () =>
      commit.parents.length === 1 && commit.tree === (await sourceParentTree());
    if (tree === parentTree && !(await emptyOnPurpose())) {
      dropped++;
      continue;
    }
    parent = await commitTree(cwd, {
      tree,
      parents: [parent],
      message: commit.message,
      author: { name: commit.authorName, email: commit.authorEmail, date: commit.authorDate },
    });
    parentTree = tree;
    built.push(parent);
  }
  return { ok: true, head: parent, tree: parentTree, commits: built, dropped };
}
