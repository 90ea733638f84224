import { type BigIntStats, existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { JigError } from "../errors.js";
import { statKey } from "../lib/fs.js";
import { git, gitRun } from "../lib/git.js";

// The git operations jig's domain needs, named for what they mean. All go through lib/git.

function assertRefArg(value: string, what: string): void {
  if (
    value.length === 0 ||
    value.startsWith("-") ||
    /[\s\u0000-\u001f\u007f]/.test(value) ||
    value.includes("..")
  ) {
    throw new JigError(
      "INVALID_INPUT",
      `${what} ${JSON.stringify(value.slice(0, 100))} is not a valid git ref`,
      { hint: "use a plain branch name or commit id" },
    );
  }
}

export async function refExists(cwd: string, ref: string): Promise<boolean> {
  return (await gitRun(cwd, ["rev-parse", "--verify", "--quiet", ref])).exitCode === 0;
}

/** The commit a ref points at, or null when it does not exist. */
export async function resolveCommit(cwd: string, ref: string): Promise<string | null> {
  const out = await gitRun(cwd, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  return out.exitCode === 0 ? out.stdout.trim() || null : null;
}

export async function branchCommit(cwd: string, branch: string): Promise<string | null> {
  assertRefArg(branch, "branch");
  return resolveCommit(cwd, `refs/heads/${branch}`);
}

export async function isAncestor(cwd: string, ancestor: string, descendant: string): Promise<boolean> {
  const out = await gitRun(cwd, ["merge-base", "--is-ancestor", ancestor, descendant]);
  if (out.exitCode === 0) return true;
  if (out.exitCode === 1) return false;
  throw new JigError("GIT_FAILED", `git merge-base failed: ${out.stderr.trim()}`, {
    hint: "check that both commits exist",
  });
}

/** Commits in `to` not in `from`, oldest first. */
export async function commitsBetween(cwd: string, from: string, to: string): Promise<string[]> {
  const out = await git(cwd, ["rev-list", "--reverse", `${from}..${to}`]);
  return out.split("\n").filter(Boolean);
}

export interface CommitInfo {
  sha: string;
  subject: string;
  author: string;
  date: string;
}

export async function logBetween(cwd: string, from: string, to: string, limit = 200): Promise<CommitInfo[]> {
  const out = await git(cwd, [
    "log",
    `--max-count=${limit}`,
    "--format=%H%x1f%s%x1f%an%x1f%aI",
    `${from}..${to}`,
  ]);
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [sha = "", subject = "", author = "", date = ""] = line.split("\x1f");
      return { sha, subject, author, date };
    });
}

export interface DiffStat {
  added: number;
  removed: number;
  files: number;
}

/** Lines added/removed and files changed from the merge base of `from` and `to` to `to`. */
export async function diffStat(cwd: string, from: string, to: string): Promise<DiffStat> {
  const { names: _, ...stat } = await changedFiles(cwd, from, to);
  return stat;
}

/** `diffStat` with the changed files' names: one `git diff --numstat -z` answers both. */
export async function changedFiles(
  cwd: string,
  from: string,
  to: string,
): Promise<DiffStat & { names: string[] }> {
  const out = await git(cwd, ["diff", "--numstat", "-z", "--no-renames", `${from}...${to}`]);
  let added = 0;
  let removed = 0;
  const names: string[] = [];
  // Each record is `added<TAB>removed<TAB>path<NUL>`; binary files count "-" lines.
  for (const record of out.split("\0")) {
    const [a, r, ...path] = record.split("\t");
    if (!record || path.length === 0) continue;
    names.push(path.join("\t"));
    added += Number(a) || 0;
    removed += Number(r) || 0;
  }
  return { added, removed, files: names.length, names };
}

/**
 * Every local branch's tip commit, from one `git for-each-ref` — or, when no branch can have moved
 * since the last call in this process, that call's answer. set_status asks on every call (its early
 * conflict check), and spawning git cost more than the rest of the call (docs/performance.md).
 */
export async function branchTips(cwd: string): Promise<Map<string, string>> {
  const key = refsKey(await commonDir(cwd));
  const known = tipsSeen.get(cwd);
  if (key !== null && known?.key === key) return new Map(known.tips);
  const out = await git(cwd, ["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/"]).catch(
    () => "",
  );
  const tips = new Map<string, string>();
  for (const line of out.split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0) tips.set(line.slice(space + 1).replace(/^refs\/heads\//, ""), line.slice(0, space));
  }
  // The key was taken before git read the refs: a branch moved in between changes the next key.
  if (key !== null && out !== "") tipsSeen.set(cwd, { key, tips: new Map(tips) });
  else tipsSeen.delete(cwd);
  return tips;
}

const tipsSeen = new Map<string, { key: string; tips: Map<string, string> }>();
const commonDirs = new Map<string, Promise<string | null>>();

/** The repository's common git directory (where branches live), or null when its refs are not files. */
function commonDir(cwd: string): Promise<string | null> {
  let known = commonDirs.get(cwd);
  if (!known) {
    known = gitRun(cwd, ["rev-parse", "--path-format=absolute", "--git-common-dir"]).then((out) => {
      const dir = out.exitCode === 0 ? out.stdout.trim() : "";
      // The reftable backend keeps every ref in a few binary tables: no per-branch file to watch.
      return dir && !existsSync(join(dir, "reftable")) ? dir : null;
    });
    commonDirs.set(cwd, known);
  }
  return known;
}

/**
 * A fingerprint of every branch's ref: each loose ref file under refs/heads (inode, mtime, size), each
 * directory there, and packed-refs. git moves a branch by renaming a new file over its ref (or rewriting
 * packed-refs), so any move changes the fingerprint — unless it happened within the file system's
 * timestamp granularity of the last look and reused the inode. So a fingerprint with anything modified
 * in the last two seconds (a new ref file's mtime, or its directory's) is not trusted (null: ask git),
 * the way git treats a "racily clean" index entry.
 */
function refsKey(dir: string | null): string | null {
  if (dir === null) return null;
  const parts: string[] = [];
  const recent = Date.now() - 2_000;
  const add = (path: string, info: BigIntStats): boolean => {
    parts.push(`${path}:${statKey(info)}`);
    return Number(info.mtimeMs) < recent;
  };
  const walk = (path: string): boolean => {
    const info = statSync(path, { bigint: true });
    if (!add(path, info)) return false;
    if (!info.isDirectory()) return true;
    for (const name of readdirSync(path)) if (!walk(join(path, name))) return false;
    return true;
  };
  try {
    if (!walk(join(dir, "refs", "heads"))) return null;
    const packed = statSync(join(dir, "packed-refs"), { bigint: true, throwIfNoEntry: false });
    if (packed && !add("packed-refs", packed)) return null;
  } catch {
    return null; // a ref removed while walking, a lock file vanishing: ask git
  }
  return parts.join("\n");
}

/** Moves `branch` to `next` only if it still points at `expected` (compare-and-swap). */
export async function updateBranchCAS(
  cwd: string,
  branch: string,
  next: string,
  expected: string,
  reason: string,
): Promise<boolean> {
  assertRefArg(branch, "branch");
  const out = await gitRun(cwd, ["update-ref", "-m", reason, `refs/heads/${branch}`, next, expected]);
  if (out.exitCode === 0) return true;
  if (
    /cannot lock ref|is at .* but expected|reference already exists|unable to resolve reference/.test(
      out.stderr,
    )
  )
    return false;
  throw new JigError("GIT_FAILED", `git update-ref failed: ${out.stderr.trim()}`, {
    hint: "check the branch with `git branch -v`",
  });
}

/** Files changed but not committed in a worktree (ignoring jig's own `.jig/`). */
export async function dirtyFiles(worktree: string): Promise<string[]> {
  const out = await git(worktree, ["status", "--porcelain=v1", "--untracked-files=all"]);
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => line.slice(3))
    .filter((path) => !path.startsWith(".jig/") && path !== ".jig");
}

export interface WorktreeState {
  /** Files changed but not committed (ignoring jig's own `.jig/`), as `dirtyFiles` lists them. */
  dirty: string[];
  /** The branch checked out (null: HEAD is detached). */
  branch: string | null;
  /** HEAD's commit (null: no commit yet). */
  commit: string | null;
}

/**
 * A worktree's uncommitted files and HEAD, from one `git status --porcelain=v2 --branch`, read without
 * the optional index lock (so it never writes to a worktree that is not jig's, nor waits on one).
 */
export async function worktreeState(worktree: string): Promise<WorktreeState> {
  const out = await git(worktree, ["status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all"], {
    env: { GIT_OPTIONAL_LOCKS: "0" },
  });
  const state: WorktreeState = { dirty: [], branch: null, commit: null };
  const tokens = out.split("\0");
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    // Fields before the path: 8 for a change (`1`), 9 for a rename (`2`, its old path follows), 10 unmerged.
    const fields = { "1": 8, "2": 9, u: 10 }[token[0] ?? ""];
    let path: string | null = null;
    if (token.startsWith("# branch.oid ")) {
      const oid = token.slice(13);
      state.commit = oid === "(initial)" ? null : oid;
    } else if (token.startsWith("# branch.head ")) {
      const head = token.slice(14);
      state.branch = head === "(detached)" ? null : head;
    } else if (token.startsWith("? ")) path = token.slice(2);
    else if (fields !== undefined && token[1] === " ") {
      path = token.split(" ").slice(fields).join(" ");
      if (token[0] === "2") i++;
    }
    if (path !== null && !path.startsWith(".jig/") && path !== ".jig") state.dirty.push(path);
  }
  return state;
}

/**
 * Whether merging `theirs` into `ours` would conflict, and in which files, computed in the object
 * store alone (`git merge-tree --write-tree`): no worktree or index is touched.
 */
export async function predictConflicts(cwd: string, ours: string, theirs: string): Promise<string[]> {
  const out = await gitRun(cwd, ["merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs]);
  if (out.exitCode === 0) return [];
  if (out.exitCode !== 1)
    throw new JigError("GIT_FAILED", `git merge-tree failed: ${out.stderr.trim()}`, {
      hint: "check that both branches exist",
    });
  // Output: the tree id, then one conflicted file name per line.
  const files = out.stdout
    .split("\n")
    .slice(1)
    .map((line) => line.trim())
    .filter(Boolean);
  return [...new Set(files)];
}

export interface MergeConflict {
  file: string;
  /** What git says the conflict is: `content`, `binary`, `rename/delete`, `modify/delete`, … */
  kinds: string[];
}

export type TreeMerge =
  | { clean: true; tree: string }
  | { clean: false; tree: string; conflicts: MergeConflict[] };

/**
 * Merges two commits' trees in the object store (`git merge-tree --write-tree -z`): the resulting tree,
 * or the conflicted files with the kinds of conflict git reported for each. Nothing else is touched.
 */
export async function mergeTrees(cwd: string, ours: string, theirs: string): Promise<TreeMerge> {
  const out = await gitRun(cwd, ["merge-tree", "--write-tree", "-z", ours, theirs]);
  if (out.exitCode !== 0 && out.exitCode !== 1)
    throw new JigError("GIT_FAILED", `git merge-tree ${ours} ${theirs} failed: ${out.stderr.trim()}`, {
      hint: "check that both commits exist",
    });
  const tokens = out.stdout.split("\0");
  const tree = tokens[0]?.trim() ?? "";
  if (out.exitCode === 0) return { clean: true, tree };
  // Conflicted file info (`<mode> <oid> <stage>\t<path>` each), an empty token, then the messages:
  // `<count>`, that many paths, the conflict type, the message.
  const files: string[] = [];
  let i = 1;
  for (; i < tokens.length && tokens[i] !== ""; i++) {
    const path = tokens[i]!.slice(tokens[i]!.indexOf("\t") + 1);
    if (!files.includes(path)) files.push(path);
  }
  const kinds = new Map<string, Set<string>>(files.map((file) => [file, new Set<string>()]));
  for (i++; i < tokens.length; ) {
    const count = Number(tokens[i]);
    if (!Number.isInteger(count) || count <= 0) break;
    const paths = tokens.slice(i + 1, i + 1 + count);
    const type = tokens[i + 1 + count] ?? "";
    i += count + 3;
    const kind = /^CONFLICT \((.+)\)$/.exec(type)?.[1];
    if (!kind) continue;
    const named = kind === "contents" ? "content" : kind;
    for (const path of paths) {
      if (!kinds.has(path)) {
        kinds.set(path, new Set());
        files.push(path);
      }
      kinds.get(path)!.add(named);
    }
  }
  return { clean: false, tree, conflicts: files.map((file) => ({ file, kinds: [...kinds.get(file)!] })) };
}

/** The tree id of a commit. */
export async function treeOf(cwd: string, commit: string): Promise<string> {
  return (await git(cwd, ["rev-parse", `${commit}^{tree}`])).trim();
}

/**
 * A new commit in the object store (`git commit-tree`), with the given author (name, email, raw date)
 * kept; the committer is whoever runs jig, now. No ref moves.
 */
export async function commitTree(
  cwd: string,
  options: {
    tree: string;
    parents: string[];
    message: string;
    author?: { name: string; email: string; date: string };
  },
): Promise<string> {
  const env: Record<string, string> = options.author
    ? {
        GIT_AUTHOR_NAME: options.author.name,
        GIT_AUTHOR_EMAIL: options.author.email,
        GIT_AUTHOR_DATE: options.author.date,
      }
    : {};
  const args = ["commit-tree", options.tree, ...options.parents.flatMap((p) => ["-p", p]), "-F", "-"];
  return (await git(cwd, args, { env, input: options.message })).trim();
}
