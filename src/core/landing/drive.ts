import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname, isAbsolute, join, relative } from "node:path";
import pLimit from "p-limit";
import { toJigError } from "../../errors.js";
import { killTree, runShell } from "../../lib/exec.js";
import { readJsonFile, writeFileAtomic } from "../../lib/fs.js";
import { gitRun } from "../../lib/git.js";
import type { JigContext } from "../context.js";
import { recordEvent, verdictEvent } from "../events.js";
import {
  branchCommit,
  commitsBetween,
  dirtyFiles,
  isAncestor,
  resolveCommit,
  updateBranchCAS,
} from "../git-ops.js";
import { warnOfNewConflicts } from "../warnings.js";
import { writeWorkerStatus } from "../workers.js";
import { worktreesWithBranch } from "../worktrees.js";
import { batchFile, dequeue, type LandVerdict, listQueue, type QueueEntry, writeVerdict } from "./queue.js";

// The queue driver: whoever holds a target's lock lands everything waiting for that target, as a batch.
// Each branch is rebased in its own worktree onto the previous one's result; the gate (if any) runs on
// the batch's last commit, and on red, bisection finds the first bad branch in ~log2(N) runs; the target
// then moves by compare-and-swap, or the whole batch is redone when someone else moved it meanwhile.
//
// A driver can die at any point (kill -9). What it was doing is journaled in batch.json beside the
// queue — each branch's commit before its rebase, the gate's process group, the tip it was moving the
// target to — and the next driver replays the journal before anything else: branches of a batch that
// did not land go back to what their workers left, an orphaned gate is killed, and a batch whose
// target did move is reported as landed with its commits.

type Progress = ((message: string) => void) | undefined;

interface Candidate {
  entry: QueueEntry;
  worktree: string;
  issue: string | null;
  /** The branch's commit before this batch rebased it (restored when the batch does not land it). */
  before: string;
  head: string;
  commits: string[];
}

// A candidate rebased onto others that did not land would carry their commits into the next round.
async function restore(candidates: Candidate[]): Promise<void> {
  for (const candidate of candidates)
    await gitRun(candidate.worktree, ["reset", "--hard", "-q", candidate.before]);
}

/** `JIG_TRACE_LANDING=1`: the driver's phases with timings on stderr (for measuring, not for users). */
const trace = process.env.JIG_TRACE_LANDING
  ? (start: number, message: string) =>
      process.stderr.write(`[landing ${process.pid}] +${Date.now() - start} ms ${message}\n`)
  : () => {};

/** Test hook: SIGKILL this process at a named step, to prove a crash anywhere leaves a valid state. */
function crashPoint(step: string): void {
  if (process.env.JIG_TEST_CRASH_AT === step) process.kill(process.pid, "SIGKILL");
}

interface BatchJournal {
  target: string;
  /** The target's tip the batch was built on. */
  base: string;
  candidates: { worker: string; worktree: string; before: string; head?: string; commits?: string[] }[];
  gatePid?: number;
  /** Set just before the target moves: the tip it moves to and the workers that land with it. */
  moving?: { tip: string; workers: string[] };
}

class Journal {
  private data: BatchJournal;
  constructor(
    private readonly file: string,
    target: string,
    base: string,
  ) {
    this.data = { target, base, candidates: [] };
  }
  async rebasing(worker: string, worktree: string, before: string): Promise<void> {
    this.data.candidates.push({ worker, worktree, before });
    await this.save();
  }
  async gate(pid: number | undefined): Promise<void> {
    this.data.gatePid = pid;
    await this.save();
  }
  async moving(tip: string, landing: { worker: string; head: string; commits: string[] }[]): Promise<void> {
    this.data.moving = { tip, workers: landing.map((c) => c.worker) };
    for (const { worker, head, commits } of landing) {
      const candidate = this.data.candidates.find((c) => c.worker === worker);
      if (candidate) Object.assign(candidate, { head, commits });
    }
    await this.save();
  }
  async done(): Promise<void> {
    await rm(this.file, { force: true });
  }
  private async save(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(this.data));
  }
}

/** Replays what a dead driver journaled (see the header); a no-op when the last batch finished. */
async function recoverBatch(ctx: JigContext, target: string, onProgress: Progress): Promise<void> {
  const file = batchFile(ctx.paths, target);
  const journal = await readJsonFile<BatchJournal>(file);
  if (!journal) return;
  onProgress?.("recovering from a landing driver that stopped mid-batch");
  if (journal.gatePid) killTree(journal.gatePid);
  const root = ctx.paths.root;
  const { base: tip } = await targetTip(ctx, target);
  const moved = journal.moving && tip !== null && (await isAncestor(root, journal.moving.tip, tip));
  const landedWorkers = new Set(moved ? journal.moving!.workers : []);
  if (moved) {
    // The target moved but the driver died before saying so (and before updating a checked-out target).
    for (const path of await worktreesWithBranch(ctx, target)) {
      const index = (await gitRun(path, ["write-tree"])).stdout.trim();
      const baseTree = (await gitRun(path, ["rev-parse", `${journal.base}^{tree}`])).stdout.trim();
      if (index && index === baseTree)
        await gitRun(path, ["read-tree", "-m", "-u", journal.base, journal.moving!.tip]);
    }
    const queued = await listQueue(ctx.paths, target);
    for (const candidate of journal.candidates) {
      if (!landedWorkers.has(candidate.worker)) continue;
      const entry = queued.find((e) => e.worker === candidate.worker);
      if (!entry) continue;
      const record = await ctx.workers.get(candidate.worker);
      await finish(
        ctx,
        entry,
        {
          state: "landed",
          worker: candidate.worker,
          target,
          commits: candidate.commits ?? [],
          tip: journal.moving!.tip,
        },
        candidate.worktree,
        record?.issue ?? null,
      );
    }
  }
  for (const candidate of journal.candidates) {
    if (landedWorkers.has(candidate.worker) || !existsSync(candidate.worktree)) continue;
    await abortStaleRebase(candidate.worktree);
    const head = (await gitRun(candidate.worktree, ["rev-parse", "HEAD"])).stdout.trim();
    if (head === candidate.before) continue;
    // Only undo what the batch did: the journaled rebased head, or an unrecorded finished rebase.
    if (candidate.head === undefined || head === candidate.head)
      await gitRun(candidate.worktree, ["reset", "--keep", "-q", candidate.before]);
  }
  await rm(file, { force: true });
}

export async function drainQueue(ctx: JigContext, target: string, onProgress: Progress): Promise<void> {
  const gathering = Date.now();
  await gather(ctx, target);
  trace(gathering, "queue gathered");
  for (let round = 0; round < 1_000; round++) {
    await recoverBatch(ctx, target, onProgress);
    const entries = await listQueue(ctx.paths, target);
    if (entries.length === 0) return;
    await landBatch(ctx, target, entries.slice(0, 64), onProgress);
  }
}

// Group landing: workers that finish together reach the queue a few milliseconds apart. Before the
// first batch, wait while the queue is still growing (≥ 40 ms, ≤ 300 ms) so they land as one batch —
// one rebase chain, one gate run, one push — instead of a batch of one followed by all the rest.
async function gather(ctx: JigContext, target: string): Promise<void> {
  let count = (await listQueue(ctx.paths, target)).length;
  let quiet = 0;
  for (let waited = 0; waited < 300 && quiet < 40; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = (await listQueue(ctx.paths, target)).length;
    quiet = now === count ? quiet + 20 : 0;
    count = now;
  }
}

/** The target's tip to build on: the remote's (fetched now) when jig.json names one, else the local branch. */
async function targetTip(
  ctx: JigContext,
  target: string,
): Promise<{ base: string | null; remoteHas: boolean }> {
  const root = ctx.paths.root;
  const remote = ctx.config.remote;
  if (!remote) return { base: await branchCommit(root, target), remoteHas: false };
  await gitRun(root, ["fetch", "--quiet", remote, `+refs/heads/${target}:refs/remotes/${remote}/${target}`]);
  const remoteTip = await resolveCommit(root, `refs/remotes/${remote}/${target}`);
  return { base: remoteTip ?? (await branchCommit(root, target)), remoteHas: remoteTip !== null };
}

async function landBatch(
  ctx: JigContext,
  target: string,
  entries: QueueEntry[],
  onProgress: Progress,
): Promise<void> {
  const root = ctx.paths.root;
  const remote = ctx.config.remote;
  const started = Date.now();
  const { base, remoteHas } = await targetTip(ctx, target);
  trace(started, `batch of ${entries.length}: target read`);
  if (!base) {
    for (const entry of entries)
      await finish(
        ctx,
        entry,
        {
          state: "blocked",
          worker: entry.worker,
          target,
          reason: `target branch '${target}' does not exist`,
        },
        null,
      );
    return;
  }

  let tip = base;
  const journal = new Journal(batchFile(ctx.paths, target), target, base);
  const candidates: Candidate[] = [];
  // Inspecting each worktree (registered, on its branch, clean) does not depend on the others: done
  // for the whole batch at once. Only the rebases form a chain, each onto the previous one's result.
  const limit = pLimit(4);
  const inspected = await Promise.all(
    entries.map((entry) =>
      limit(async () => {
        await writeVerdict(ctx.paths, {
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
        return inspect(ctx, entry).catch((error: unknown) => failed(entry, target, error));
      }),
    ),
  );
  trace(started, "worktrees inspected");
  for (const found of inspected) {
    const prepared =
      "verdict" in found
        ? found
        : await rebaseOnto(found, tip, journal, onProgress).catch((error: unknown) =>
            failed(found.entry, target, error),
          );
    // A conflict with branches of this batch, which have not landed (and may yet fail the gate), is
    // no conflict with the target yet: the branch stays queued and the next round rebases it onto
    // the target they moved — a real conflict there is reported, or none if they did not land.
    if ("verdict" in prepared && tip !== base && prepared.verdict.conflicts?.length) continue;
    if ("verdict" in prepared) {
      await finish(ctx, prepared.entry, prepared.verdict, prepared.worktree);
      continue;
    }
    candidates.push(prepared);
    tip = prepared.head;
  }
  crashPoint("after-rebase");
  trace(started, "rebased");
  if (candidates.length === 0) return journal.done();

  // The gate: find the longest prefix of the batch whose last commit passes.
  let good = candidates.length;
  let failure: { index: number; output: string } | null = null;
  if (ctx.config.gate) {
    const results = new Map<number, { ok: boolean; output: string }>();
    const test = async (count: number) => {
      const cached = results.get(count);
      if (cached) return cached;
      const candidate = candidates[count - 1]!;
      onProgress?.(`running the gate on ${count} branch(es)`);
      const gateStarted = Date.now();
      const run = await runShell(ctx.config.gate!.command, {
        cwd: candidate.worktree,
        timeoutMs: ctx.config.gate!.timeoutSeconds * 1000,
        env: { JIG_GATE: "1", JIG_TARGET: target },
        onSpawn: async (pid) => {
          await journal.gate(pid);
          crashPoint("gate-started");
        },
      });
      await journal.gate(undefined);
      const ok = run.exitCode === 0 && !run.timedOut;
      await recordEvent(ctx, {
        type: "gate",
        workers: candidates.slice(0, count).map((c) => c.entry.worker),
        ok,
        ms: Date.now() - gateStarted,
        timedOut: run.timedOut,
      });
      const tail = run.output.split("\n").slice(-40).join("\n").trim();
      const result = {
        ok,
        output: run.timedOut
          ? `gate timed out after ${ctx.config.gate!.timeoutSeconds}s\n${tail}`
          : `gate exited ${run.exitCode}\n${tail}`,
      };
      results.set(count, result);
      return result;
    };
    if (!(await test(candidates.length)).ok) {
      let lo = 0;
      let hi = candidates.length;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if ((await test(mid)).ok) lo = mid;
        else hi = mid;
      }
      good = lo;
      failure = { index: hi - 1, output: results.get(hi)!.output };
    }
  }
  crashPoint("after-gate");

  if (failure) {
    const bad = candidates[failure.index]!;
    await finish(
      ctx,
      bad.entry,
      {
        state: "blocked",
        worker: bad.entry.worker,
        target,
        reason: `the gate \`${ctx.config.gate!.command}\` failed on your branch rebased onto ${target}:\n${failure.output}`,
      },
      bad.worktree,
    );
  }
  const landing = candidates.slice(0, good);
  await restore(candidates.slice(good + (failure ? 1 : 0)));
  if (landing.length === 0) return journal.done();
  const newTip = landing[landing.length - 1]!.head;

  // A target checked out in a human's worktree: refuse while it has local changes, else keep its files in step.
  const checkedOut = await worktreesWithBranch(ctx, target);
  for (const path of checkedOut) {
    // Issue files are jig's own and change all the time; untracked files cannot be overwritten by read-tree -m.
    const issuesPrefix = `${relative(path, ctx.paths.issuesDir)}/`;
    const dirty = (await trackedChanges(path)).filter((file) => !file.startsWith(issuesPrefix));
    if (dirty.length > 0) {
      for (const candidate of landing) {
        await finish(
          ctx,
          candidate.entry,
          {
            state: "blocked",
            worker: candidate.entry.worker,
            target,
            reason: `the target branch ${target} is checked out in ${relative(root, path) || "the main worktree"} with uncommitted changes (${dirty.slice(0, 5).join(", ")}); commit or stash them there, or switch that worktree to another branch, then land again`,
          },
          candidate.worktree,
        );
      }
      await restore(landing);
      return journal.done();
    }
  }

  onProgress?.(`moving ${target} to ${newTip.slice(0, 10)}`);
  await journal.moving(
    newTip,
    landing.map((c) => ({ worker: c.entry.worker, head: c.head, commits: c.commits })),
  );
  const moved = remote
    ? await pushWithLease(ctx, remote, target, remoteHas ? base : "", newTip)
    : await updateBranchCAS(
        root,
        target,
        newTip,
        base,
        `jig land: ${landing.map((c) => c.entry.worker).join(", ")}`,
      );
  if (!moved) {
    // Someone else moved the target: the entries are still queued and the next round redoes them.
    await restore(landing);
    return journal.done();
  }
  crashPoint("after-cas");
  trace(started, "target moved");
  for (const path of checkedOut) await gitRun(path, ["read-tree", "-m", "-u", base, newTip]);
  await warnOfNewConflicts(ctx, {
    target,
    base,
    tip: newTip,
    landed: landing.map((c) => ({ worker: c.entry.worker, commits: c.commits })),
  });
  for (const candidate of landing) {
    await finish(
      ctx,
      candidate.entry,
      { state: "landed", worker: candidate.entry.worker, target, commits: candidate.commits, tip: newTip },
      candidate.worktree,
      candidate.issue,
    );
  }
  await journal.done();
  trace(started, "verdicts written");
}

async function trackedChanges(worktree: string): Promise<string[]> {
  const out = await gitRun(worktree, ["status", "--porcelain=v1", "--untracked-files=no"]);
  return out.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => line.slice(3));
}

async function pushWithLease(
  ctx: JigContext,
  remote: string,
  target: string,
  expected: string,
  next: string,
): Promise<boolean> {
  const root = ctx.paths.root;
  const pushed = await gitRun(root, [
    "push",
    "--quiet",
    "--porcelain",
    `--force-with-lease=refs/heads/${target}:${expected}`,
    remote,
    `${next}:refs/heads/${target}`,
  ]);
  if (pushed.exitCode !== 0) return false;
  await gitRun(root, ["update-ref", `refs/remotes/${remote}/${target}`, next]);
  await gitRun(root, ["update-ref", `refs/heads/${target}`, next]);
  return true;
}

type Refusal = { entry: QueueEntry; verdict: LandVerdict; worktree: string | null };

interface Inspected {
  entry: QueueEntry;
  worktree: string;
  branch: string;
  issue: string | null;
  before: string;
}

function failed(entry: QueueEntry, target: string, error: unknown): Refusal {
  return {
    entry,
    verdict: {
      state: "blocked",
      worker: entry.worker,
      target,
      reason: `landing failed: ${toJigError(error).message}`,
    },
    worktree: null,
  };
}

const refuse = (
  entry: QueueEntry,
  reason: string,
  extra: Partial<LandVerdict> = {},
  worktree: string | null = null,
): Refusal => ({
  entry,
  verdict: { state: "blocked", worker: entry.worker, target: entry.target, reason, ...extra },
  worktree,
});

/** Whether a queued branch can be taken: its worker registered, its worktree on its branch and clean. */
async function inspect(ctx: JigContext, entry: QueueEntry): Promise<Inspected | Refusal> {
  const record = await ctx.workers.get(entry.worker);
  if (!record) return refuse(entry, `worker '${entry.worker}' is no longer registered`);
  const wt = record.worktree;
  if (!existsSync(wt)) return refuse(entry, `the worktree of '${entry.worker}' is gone`);
  // One git call for what four would tell: a stale rebase's state dirs, the commit, and the branch.
  let state = await worktreeState(wt);
  if (state.rebasing) {
    await gitRun(wt, ["rebase", "--abort"]);
    state = await worktreeState(wt);
  }
  const head = state.ref === "HEAD" ? "" : state.ref;
  if (head !== `refs/heads/${record.branch}`) {
    return refuse(
      entry,
      `HEAD in the worktree is ${head ? `on ${head.replace("refs/heads/", "")}` : "detached"}, not on ${record.branch}; run \`git switch ${record.branch}\` there`,
      {},
      wt,
    );
  }
  const dirty = await dirtyFiles(wt);
  if (dirty.length > 0)
    return refuse(
      entry,
      `uncommitted changes in ${dirty.slice(0, 10).join(", ")}; commit them (or discard them) first`,
      { conflicts: [] },
      wt,
    );
  return { entry, worktree: wt, branch: record.branch, issue: record.issue, before: state.commit };
}

async function rebaseOnto(
  found: Inspected,
  tip: string,
  journal: Journal,
  onProgress: Progress,
): Promise<Candidate | Refusal> {
  const { entry, worktree: wt, before } = found;
  // No ancestry check first: a branch already on the target rebases to nothing (no commits, head =
  // tip), which is also what a repeated land after success reports.
  onProgress?.(`rebasing ${found.branch} onto ${entry.target}`);
  await journal.rebasing(entry.worker, wt, before);
  const rebased = await gitRun(wt, ["-c", "core.hooksPath=/dev/null", "rebase", "--no-autostash", tip]);
  if (rebased.exitCode !== 0) {
    const conflicts = (await gitRun(wt, ["diff", "--name-only", "--diff-filter=U"])).stdout
      .split("\n")
      .filter(Boolean);
    await gitRun(wt, ["rebase", "--abort"]);
    return refuse(
      entry,
      conflicts.length > 0
        ? `your branch conflicts with ${entry.target} in ${conflicts.join(", ")}`
        : `rebasing onto ${entry.target} failed: ${(rebased.stderr || rebased.stdout).trim().split("\n").slice(0, 3).join(" / ")}`,
      { conflicts },
      wt,
    );
  }
  const commits = await commitsBetween(wt, tip, "HEAD");
  const after = commits.at(-1) ?? tip;
  return { entry, worktree: wt, issue: found.issue, before, head: after, commits };
}

async function worktreeState(worktree: string): Promise<{ rebasing: boolean; commit: string; ref: string }> {
  const out = await gitRun(worktree, [
    "rev-parse",
    "--git-path",
    "rebase-merge",
    "--git-path",
    "rebase-apply",
    "HEAD",
    "--symbolic-full-name",
    "HEAD",
  ]);
  const [merge = "", apply = "", commit = "", ref = ""] = out.stdout.split("\n").map((line) => line.trim());
  const exists = (path: string) => path !== "" && existsSync(isAbsolute(path) ? path : join(worktree, path));
  return { rebasing: exists(merge) || exists(apply), commit, ref };
}

async function abortStaleRebase(worktree: string): Promise<void> {
  if ((await worktreeState(worktree)).rebasing) await gitRun(worktree, ["rebase", "--abort"]);
}

/** Records a final verdict: verdict file, issue status, worker status; then removes the queue entry. */
async function finish(
  ctx: JigContext,
  entry: QueueEntry,
  verdict: LandVerdict,
  worktree: string | null,
  issue?: string | null,
): Promise<void> {
  const record = await ctx.workers.get(entry.worker);
  // The worker's status (with the why) first, so whoever sees the issue change can read the reason;
  // the verdict last, so whoever is woken by it sees the issue and the worker already updated.
  const wt = worktree ?? record?.worktree;
  if (wt && existsSync(wt)) {
    const message = verdict.state === "landed" ? null : (verdict.reason ?? "landing failed");
    await writeWorkerStatus(wt, {
      status: verdict.state === "landed" ? "done" : "blocked",
      message,
      landing: { ...verdict, at: new Date().toISOString() },
    });
  }
  const issueId = issue ?? record?.issue ?? null;
  if (issueId) {
    const status = verdict.state === "landed" ? "complete" : "blocked";
    await ctx.issues
      .update(issueId, (current) =>
        current.status === status || current.status === "cancelled" ? null : { status },
      )
      .catch(() => {});
  }
  await recordEvent(ctx, verdictEvent(entry.request, verdict, record));
  await writeVerdict(ctx.paths, { ...verdict, request: entry.request, at: new Date().toISOString() });
  crashPoint("after-verdict");
  await dequeue(entry);
}
