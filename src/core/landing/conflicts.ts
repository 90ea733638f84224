import pLimit from "p-limit";
import { JigError } from "../../errors.js";
import type { JigContext } from "../context.js";
import { branchTips } from "../git-ops.js";
import { sessionRunning, type WorkerRecord } from "../workers.js";

// Early conflicts: would a worker's committed work conflict with its target, or with other active
// workers' branches? Answered in the object store (`git merge-tree`, through the git memo).

export interface ConflictReport {
  target: string[];
  workers: { name: string; files: string[] }[];
}

/**
 * Would this worker's committed work conflict with its target, or with other active workers' branches?
 * Computed with `git merge-tree` in the object store: no worktree is touched.
 */
export async function checkConflicts(ctx: JigContext, worker: string): Promise<ConflictReport> {
  const record = await ctx.workers.require(worker);
  const report = (await conflictReports(ctx, [worker])).get(worker);
  if (!report)
    throw new JigError("NOT_FOUND", `branch '${record.branch}' does not exist`, {
      hint: "spawn the worker again",
    });
  return report;
}

/**
 * `checkConflicts` for many workers at once (jig ps, the dashboard, set_status). Each branch's own
 * changes (`target...branch`) are listed once; `git merge-tree` runs against the target for each branch
 * with work, and between two branches only when their changed files overlap — branches that touch
 * disjoint files cannot conflict. Every answer is about fixed commits, so it is kept in the git memo:
 * git runs again only for branches or targets that moved. A worker whose branch is gone gets no report.
 */
export async function conflictReports(
  ctx: JigContext,
  names: string[],
): Promise<Map<string, ConflictReport>> {
  const limit = pLimit(4);
  const all = await ctx.workers.list();
  const wanted = all.filter((w) => names.includes(w.name));
  const targets = new Set(wanted.map((w) => w.target));
  const peers = all.filter(
    (o) => names.includes(o.name) || (o.kind === "task" && targets.has(o.target) && sessionRunning(o)),
  );
  const tips = await branchTips(ctx.paths.root);
  const own = new Map<string, Set<string>>();
  const changedFiles = (group: WorkerRecord[]) =>
    Promise.all(
      group.map((peer) =>
        limit(async () => {
          const from = tips.get(peer.target);
          const to = tips.get(peer.branch);
          if (!from || !to) return;
          const changes = await ctx.git.changes(from, to).catch(() => null);
          if (changes) own.set(peer.name, new Set(changes.names));
        }),
      ),
    );
  // The asked-for workers first: without changes of their own (a worker that has not committed yet, the
  // common case at set_status) nothing can conflict, and the other branches need not be looked at.
  await changedFiles(wanted);
  if (wanted.some((w) => (own.get(w.name)?.size ?? 0) > 0))
    await changedFiles(peers.filter((peer) => !names.includes(peer.name)));
  const conflicts = (a: string, b: string) => limit(() => ctx.git.conflicts(tips.get(a)!, tips.get(b)!));
  const reports = new Map<string, ConflictReport>();
  await Promise.all(
    wanted.map(async (w) => {
      if (!tips.has(w.branch)) return; // no branch, no report
      const mine = own.get(w.name);
      if (!mine || mine.size === 0) {
        reports.set(w.name, { target: [], workers: [] });
        return;
      }
      const others = peers.filter((o) => {
        if (o.name === w.name || o.target !== w.target) return false;
        const theirs = own.get(o.name);
        return theirs !== undefined && [...theirs].some((file) => mine.has(file));
      });
      const [target, ...perOther] = await Promise.all([
        conflicts(w.target, w.branch),
        ...others.map((o) => conflicts(w.branch, o.branch)),
      ]);
      reports.set(w.name, {
        target: target ?? [],
        workers: others
          .map((o, i) => ({ name: o.name, files: perOther[i] ?? [] }))
          .filter((o) => o.files.length > 0),
      });
    }),
  );
  await ctx.git.flush();
  return reports;
}
