import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git, gitRun } from "../lib/git.js";
import type { JigContext } from "./context.js";
import { type CommitInfo, dirtyFiles, resolveCommit } from "./git-ops.js";
import { readLanded } from "./landing/queue.js";
import type { WorkerRecord } from "./workers.js";

// Nothing is ever dropped: before jig stops or removes a worker whose work did not land, it keeps that
// work — commits and uncommitted files — under refs/jig/backup/<worker>/<time>, and says how to get it back.

export interface KeptWork {
  worker: string;
  /** The backup ref (a commit holding the branch's commits, plus one for uncommitted files if any). */
  ref: string;
  commits: CommitInfo[];
  uncommitted: string[];
  /** The command that brings it back as a branch. */
  restore: string;
}

/**
 * Commits on `branch` that did not land: not reachable from what the worker last landed (`landed`, its
 * branch commit a land took), and with no patch-equivalent on `target` (a land rebuilds commits, so
 * their ids never reach the target). Newest first.
 */
export async function unlandedCommits(
  root: string,
  target: string,
  branch: string,
  landed?: string | null,
): Promise<CommitInfo[]> {
  const tip = await resolveCommit(root, `refs/heads/${branch}`);
  if (!tip) return [];
  const base = await resolveCommit(root, `refs/heads/${target}`);
  const range = base ? [`${base}...${tip}`] : [tip, "--not", "--exclude=refs/heads/_jig/*", "--branches"];
  const landedHead = landed ? await resolveCommit(root, landed) : null;
  if (landedHead) range.push(`^${landedHead}`);
  const out = await gitRun(root, [
    "log",
    "--cherry-pick",
    "--right-only",
    "--no-merges",
    "--max-count=200",
    "--format=%H%x1f%s%x1f%an%x1f%aI",
    ...range,
  ]);
  if (out.exitCode !== 0) return [];
  return out.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [sha = "", subject = "", author = "", date = ""] = line.split("\x1f");
      return { sha, subject, author, date };
    });
}

/**
 * A commit on top of the worktree's HEAD holding its uncommitted files (untracked ones too), built with a
 * throwaway index: the worktree, its index and its branch are not touched. Null when it is clean.
 */
export async function snapshotUncommitted(
  worktree: string,
  message: string,
): Promise<{ commit: string; files: string[] } | null> {
  if (!existsSync(join(worktree, ".git"))) return null;
  const files = await dirtyFiles(worktree).catch(() => [] as string[]);
  if (files.length === 0) return null;
  const head = (await git(worktree, ["rev-parse", "HEAD"])).trim();
  const dir = await mkdtemp(join(tmpdir(), "jig-index-"));
  try {
    const env = { GIT_INDEX_FILE: join(dir, "index") };
    await git(worktree, ["read-tree", head], { env });
    await git(worktree, ["add", "-A"], { env }); // .jig/ is git-excluded, so never taken
    const tree = (await git(worktree, ["write-tree"], { env })).trim();
    const commit = (
      await git(worktree, ["commit-tree", tree, "-p", head, "-m", message], {
        env: {
          GIT_AUTHOR_NAME: "jig",
          GIT_AUTHOR_EMAIL: "jig@localhost",
          GIT_COMMITTER_NAME: "jig",
          GIT_COMMITTER_EMAIL: "jig@localhost",
        },
      })
    ).trim();
    return { commit, files };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Keeps a worker's work that is not on its target — unlanded commits and uncommitted files — reachable
 * from a backup ref. Returns null when everything it has is already on the target.
 */
export async function keepUnlandedWork(
  ctx: JigContext,
  record: Pick<WorkerRecord, "name" | "branch" | "target" | "worktree" | "kind">,
  why: string,
): Promise<KeptWork | null> {
  const root = ctx.paths.root;
  const landed = (await readLanded(ctx.paths, record.name).catch(() => null))?.head;
  const commits =
    record.kind === "planner" ? [] : await unlandedCommits(root, record.target, record.branch, landed);
  const snapshot =
    record.kind === "planner"
      ? null
      : // A failure here stops the caller: better nothing removed than uncommitted work lost.
        await snapshotUncommitted(record.worktree, `jig: uncommitted work of ${record.name} (${why})`);
  if (commits.length === 0 && !snapshot) return null;
  const tip = snapshot?.commit ?? (await resolveCommit(root, `refs/heads/${record.branch}`));
  if (!tip) return null;
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  let ref = `refs/jig/backup/${record.name}/${stamp}`;
  for (let n = 2; (await gitRun(root, ["rev-parse", "--verify", "--quiet", ref])).exitCode === 0; n++)
    ref = `refs/jig/backup/${record.name}/${stamp}-${n}`;
  await git(root, ["update-ref", "-m", `jig: ${why}`, ref, tip, ""]);
  return {
    worker: record.name,
    ref,
    commits,
    uncommitted: snapshot?.files ?? [],
    restore: `git branch ${record.name}-restored ${ref}`,
  };
}

/** One line per kept work, for people: what was kept, where, and the command that brings it back. */
export function describeKept(kept: KeptWork): string {
  const parts = [
    kept.commits.length ? `${kept.commits.length} unlanded commit(s)` : "",
    kept.uncommitted.length ? `uncommitted ${kept.uncommitted.join(", ")}` : "",
  ].filter(Boolean);
  return `${kept.worker}: ${parts.join(" and ")} kept at ${kept.ref} (restore: ${kept.restore})`;
}
