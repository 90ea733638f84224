import pLimit from "p-limit";
import { toJigError } from "../../errors.js";
import type { JigContext } from "../context.js";
import { recordEvent } from "../events.js";
import { isAncestor, type MergeConflict } from "../git-ops.js";
import { recordVerdict } from "../lifecycle.js";
import { isRemote, type WorkerRecord } from "../workers.js";
import { jigPathsTouched } from "./jig-paths.js";
import { blocked, finish, landedVerdict } from "./outcome.js";
import { type LandedRecord, type LandVerdict, type QueueEntry, readLanded } from "./queue.js";
import { commitsSince, firstParentRun, rebasePlumbing } from "./rebase.js";

// The first step of a batch: each queued branch's ref read and rebuilt, in the object store, on the
// previous one's result (rebase.ts), then jig's own paths checked (jig-paths.ts). What cannot land is
// told why here (outcome.ts); what can is handed back to the driver as candidates.

export type Progress = ((message: string) => void) | undefined;

export interface Candidate {
  entry: QueueEntry;
  record: WorkerRecord;
  /** The tree the branch was rebuilt on. */
  before: string;
  /** The worker's branch commit that lands (its ref is left as the agent made it). */
  source: string;
  head: string;
  tree: string;
  commits: string[];
}

/**
 * Reads each queued branch's ref (`tips`: every local branch, from one `for-each-ref`) and rebuilds it
 * on the previous one's result, in the object store. A conflict with the target is final (blocked, files
 * and kinds named); a conflict with a batch-mate that has not landed yet (and may still fail the gate)
 * leaves the branch queued for the next round. The branches' commits are read by one `git log`.
 */
export async function rebaseChain(
  ctx: JigContext,
  target: string,
  base: string,
  entries: QueueEntry[],
  onProgress: Progress,
  tips: ReadonlyMap<string, string>,
): Promise<Candidate[]> {
  const root = ctx.paths.root;
  const limit = pLimit(4);
  const read = await Promise.all(
    entries.map((entry) =>
      limit(async () => {
        await recordVerdict(ctx, {
          state: "landing",
          worker: entry.worker,
          target,
          request: entry.request,
          at: new Date().toISOString(),
        });
        await recordEvent(ctx, {
          type: "land-started",
          worker: entry.worker,
          task: null,
          request: entry.request,
        });
        return readBranch(ctx, entry, tips).catch((error: unknown): Refusal => failed(entry, error));
      }),
    ),
  );
  // Branches landed before are read on their own (their earlier land is excluded); the rest at once.
  const fresh = read.flatMap((found) => ("verdict" in found || found.landed ? [] : [found.source]));
  const batchCommits = await commitsSince(root, base, fresh).catch(() => null);
  const onChain = new Set<string>();
  // False once a branch outside that read was kept as is: then each branch is read against the tip.
  let walkable = batchCommits !== null;
  const candidates: Candidate[] = [];
  let tip = base;
  let tipTree: string | undefined;
  for (const found of read) {
    if ("verdict" in found) {
      await finish(ctx, found.entry, found.verdict);
      continue;
    }
    const { entry, record, source, landed } = found;
    if (landed && landed.head === source) {
      // Landed before, nothing since: the same answer again.
      await finish(ctx, entry, landedVerdict(entry, landed.commits, landed.tip, source));
      continue;
    }
    onProgress?.(`rebasing ${record.branch} onto ${target}`);
    const commits =
      walkable && batchCommits && !landed ? firstParentRun(batchCommits, source, onChain) : undefined;
    const rebased = await rebasePlumbing(root, {
      head: source,
      onto: tip,
      ...(tipTree ? { ontoTree: tipTree } : {}),
      ...(landed ? { landed: landed.head } : {}),
      ...(commits ? { commits } : {}),
    }).catch((error: unknown) => failed(entry, error));
    if ("verdict" in rebased) {
      await finish(ctx, entry, rebased.verdict);
      continue;
    }
    if (!rebased.ok) {
      if (tip !== base) continue;
      await finish(
        ctx,
        entry,
        conflictVerdict(entry, record.branch, isRemote(record) ? null : record.worktree, rebased.conflicts),
      );
      continue;
    }
    candidates.push({
      entry,
      record,
      source,
      head: rebased.head,
      tree: rebased.tree,
      before: tipTree ?? `${tip}^{tree}`,
      commits: rebased.commits,
    });
    // Kept as they were (a fast-forward): later branches that contain them do not replay them.
    if (rebased.head === source && rebased.commits.length > 0) {
      if (commits) for (const c of commits) onChain.add(c.sha);
      else walkable = false;
    }
    tip = rebased.head;
    tipTree = rebased.tree;
  }
  return refuseJigPaths(ctx, base, candidates);
}

/**
 * A branch that adds or changes jig's own files is refused (jig-paths.ts). One diff answers for the
 * whole batch in the usual case; when it shows such a file, each branch is looked at: the first that
 * is not allowed is blocked, and the branches built on it wait for the next round.
 */
async function refuseJigPaths(ctx: JigContext, base: string, candidates: Candidate[]): Promise<Candidate[]> {
  if (candidates.length === 0) return candidates;
  if ((await jigPathsTouched(ctx, null, `${base}^{tree}`, candidates.at(-1)!.tree)).length === 0)
    return candidates;
  for (let i = 0; i < candidates.length; i++) {
    const { entry, record, before, tree } = candidates[i]!;
    const touched = await jigPathsTouched(ctx, record, before, tree);
    if (touched.length === 0) continue;
    await finish(
      ctx,
      entry,
      blocked(
        entry,
        `your branch adds or changes jig's own files (${touched.slice(0, 10).join(", ")}); jig writes these itself (issues through plan_epic/set_status, .jig, .mcp.json, its skills). Remove those changes from ${record.branch} (in ${record.worktree}: \`git rm -r --cached -- ${touched.slice(0, 3).join(" ")}\` or revert them, then commit), or have a human add '${record.issue ?? entry.worker}' to allowJigPaths in jig.json, then land again`,
        { files: touched },
      ),
    );
    return candidates.slice(0, i);
  }
  return candidates;
}

function conflictVerdict(
  entry: QueueEntry,
  branch: string,
  worktree: string | null,
  conflicts: MergeConflict[],
): LandVerdict {
  const files = conflicts.map((c) => c.file);
  // A content conflict is what anyone expects; other kinds (binary, rename/delete…) are said.
  const named = conflicts
    .map((c) => (c.kinds.every((k) => k === "content") ? c.file : `${c.file} (${c.kinds.join(", ")})`))
    .join(", ");
  const fix = [
    ...(worktree ? [`cd ${worktree}`] : []), // a remote worker's worktree is on its machine
    `git switch ${branch}`,
    `git rebase ${entry.target}`,
    `# resolve ${files.slice(0, 5).join(", ")}, then: git add -- <files> && git rebase --continue`,
    "# then call land again",
  ];
  return blocked(entry, `your branch conflicts with ${entry.target} in ${named}`, {
    conflicts: files,
    conflictKinds: conflicts,
    fix,
  });
}

type Refusal = { entry: QueueEntry; verdict: LandVerdict };

export function failed(entry: QueueEntry, error: unknown): Refusal {
  return { entry, verdict: blocked(entry, `landing failed: ${toJigError(error).message}`) };
}

/** The worker's committed work: its branch ref, read from the repository (its worktree is never used). */
async function readBranch(
  ctx: JigContext,
  entry: QueueEntry,
  tips: ReadonlyMap<string, string>,
): Promise<
  Refusal | { entry: QueueEntry; record: WorkerRecord; source: string; landed: LandedRecord | null }
> {
  const record = await ctx.workers.get(entry.worker);
  if (!record) return { entry, verdict: blocked(entry, `worker '${entry.worker}' is no longer registered`) };
  const source = tips.get(record.branch);
  if (!source) return { entry, verdict: blocked(entry, `branch '${record.branch}' does not exist`) };
  const previous = await readLanded(ctx.paths, entry.worker);
  let landed: LandedRecord | null = null;
  if (
    previous &&
    (previous.head === source || (await isAncestor(ctx.paths.root, previous.head, source).catch(() => false)))
  )
    landed = previous;
  return { entry, record, source, landed };
}
