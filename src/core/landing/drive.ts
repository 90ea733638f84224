import { rm } from "node:fs/promises";
import { killTree } from "../../lib/exec.js";
import { redactSecrets } from "../../lib/redact.js";
import type { JigContext } from "../context.js";
import { recordEvent } from "../events.js";
import { branchCommit, isAncestor } from "../git-ops.js";
import { warnOfNewConflicts } from "../warnings.js";
import { type Candidate, failed, type Progress, rebaseChain } from "./chain.js";
import { checkoutBlocker, checkoutName, indexAt, targetCheckouts, updateCheckout } from "./checkout.js";
import { bisect, runGate } from "./gate.js";
import { Journal, readJournal } from "./journal.js";
import { blocked, crashPoint, finish, landedVerdict } from "./outcome.js";
import { publish, targetTip, unpublishLocal } from "./publish.js";
import { batchFile, countArrivals, type LandVerdict, listQueue, type QueueEntry } from "./queue.js";

// The queue driver: whoever holds a target's lock lands everything waiting for that target, as a batch:
// read each branch's ref → rebase the chain in the object store (rebase.ts) → gate the batch's last
// commit, bisect on red (gate.ts) → check the human checkouts of the target (checkout.ts) → journal →
// move the target by CAS or lease (publish.ts) → carry the checkouts along → verdicts (outcome.ts).
// No worker worktree is read or written; a driver killed at any step is replayed from the journal.

/** `JIG_TRACE_LANDING=1`: the driver's phases with timings on stderr (for measuring, not for users). */
const trace = process.env.JIG_TRACE_LANDING
  ? (start: number, message: string) =>
      process.stderr.write(`[landing ${process.pid}] +${Date.now() - start} ms ${message}\n`)
  : () => {};

export async function drainQueue(ctx: JigContext, target: string, onProgress: Progress): Promise<void> {
  const gathering = Date.now();
  await gather(ctx, target);
  trace(gathering, "queue gathered");
  for (let round = 0; round < 1_000; round++) {
    await recoverBatch(ctx, target, onProgress);
    const entries = await listQueue(ctx.paths, target);
    if (entries.length === 0) return;
    const batch = entries.slice(0, 64);
    try {
      await landBatch(ctx, target, batch, onProgress);
    } catch (error) {
      // A git call that failed or timed out (a stalled fetch, a locked repository): unless the target
      // may have moved (then the journal's replay decides), the batch's workers are told why, so
      // nobody waits on a queue that would fail the same way again. The lock is released by the caller.
      const journal = await readJournal(batchFile(ctx.paths, target));
      if (journal?.moving) throw error;
      await rm(batchFile(ctx.paths, target), { force: true });
      const still = new Set((await listQueue(ctx.paths, target)).map((e) => e.request));
      for (const entry of batch)
        if (still.has(entry.request)) await finish(ctx, entry, failed(entry, error).verdict);
    }
  }
}

// Group landing: workers that finish together reach the queue a few milliseconds apart (each checks
// its branch first). Before the first batch, wait while the queue is still growing (40 ms without a new
// entry) or a land request is still on its way to it (announced, checks under way), ≤ 1.5 s in all, so
// they land as one batch — one rebase chain, one gate run, one push — not a batch of one and the rest.
async function gather(ctx: JigContext, target: string): Promise<void> {
  const started = Date.now();
  let count = (await listQueue(ctx.paths, target)).length;
  let changed = started;
  while (Date.now() - started < 1_500) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = (await listQueue(ctx.paths, target)).length;
    if (now !== count) changed = Date.now();
    count = now;
    if (Date.now() - changed >= 40 && (await countArrivals(ctx.paths, target)) === 0) return;
  }
}

/**
 * Replays what a dead driver journaled: its gate is killed; if it was moving the target and the target
 * did move, the checkouts it meant to carry along are brought up to date (or, when one cannot follow,
 * the local target is put back and the batch stays queued) and the workers are told they landed.
 */
async function recoverBatch(ctx: JigContext, target: string, onProgress: Progress): Promise<void> {
  const file = batchFile(ctx.paths, target);
  const journal = await readJournal(file);
  if (!journal) return;
  onProgress?.("recovering from a landing driver that stopped mid-batch");
  if (journal.gatePid) killTree(journal.gatePid);
  const moving = journal.moving;
  const root = ctx.paths.root;
  const tip = moving ? await branchCommit(root, target) : null;
  if (moving && tip !== null && (await isAncestor(root, moving.tip, tip))) {
    const from = moving.from ?? journal.base;
    let followed = true;
    for (const path of moving.checkouts) {
      if (tip !== moving.tip || !(await indexAt(path, from).catch(() => false))) continue;
      const blocker = await checkoutBlocker(ctx, { path, state: "on" }, target, from, tip);
      if (blocker || (await updateCheckout(path, from, tip)) !== null) followed = false;
    }
    // A checkout that cannot follow: the local target goes back to where its checkout is. Without a
    // remote nothing landed then (the entries stay queued and the next round says why); with one, the
    // remote has it and the local branch simply stays behind.
    if (!followed && (await unpublishLocal(ctx, target, tip, from)) && !ctx.config.remote) {
      await rm(file, { force: true });
      return;
    }
    const queued = await listQueue(ctx.paths, target);
    for (const landing of moving.landing) {
      const entry = queued.find((e) => e.worker === landing.worker);
      if (!entry) continue;
      await finish(ctx, entry, landedVerdict(entry, landing.commits, moving.tip, landing.source));
    }
  }
  await rm(file, { force: true });
}

async function landBatch(
  ctx: JigContext,
  target: string,
  entries: QueueEntry[],
  onProgress: Progress,
): Promise<void> {
  const started = Date.now();
  const { base, remoteHas, local, branches } = await targetTip(ctx, target);
  trace(started, `batch of ${entries.length}: target read`);
  if (!base) {
    for (const entry of entries)
      await finish(ctx, entry, blocked(entry, `target branch '${target}' does not exist`));
    return;
  }
  const journal = new Journal(batchFile(ctx.paths, target), target, base);
  const candidates = await rebaseChain(ctx, target, base, entries, onProgress, branches);
  crashPoint("after-rebase");
  trace(started, "rebased");
  if (candidates.length === 0) return journal.done();

  const { good, failure } = await gateBatch(ctx, target, candidates, journal, onProgress);
  crashPoint("after-gate");
  if (failure) await finish(ctx, failure.candidate.entry, failure.verdict);
  // Branches after a failing one were built on it: they stay queued for the next round.
  const landing = candidates.slice(0, good);
  if (landing.length === 0) return journal.done();
  const newTip = landing.at(-1)!.head;
  if (newTip === base) {
    for (const c of landing) await finish(ctx, c.entry, landedVerdict(c.entry, c.commits, base, c.source));
    return journal.done();
  }

  // The human checkouts of the target: each must be able to follow the move, or nothing moves. (The
  // local target is read again after a gate run: a human may have committed on it meanwhile.)
  const root = ctx.paths.root;
  const localNow = ctx.config.remote && ctx.config.gate ? await branchCommit(root, target) : local;
  const from = ctx.config.remote ? (localNow ?? base) : base;
  const checkouts = await targetCheckouts(ctx, target);
  for (const checkout of checkouts) {
    const why = await checkoutBlocker(ctx, checkout, target, from, newTip);
    if (!why) continue;
    for (const c of landing) await finish(ctx, c.entry, blocked(c.entry, why, { checkout: checkout.path }));
    return journal.done();
  }

  onProgress?.(`moving ${target} to ${newTip.slice(0, 10)}`);
  const paths = checkouts.map((c) => c.path);
  await journal.moving(
    newTip,
    landing.map((c) => ({ worker: c.entry.worker, source: c.source, commits: c.commits })),
    paths,
    from,
  );
  const names = landing.map((c) => c.entry.worker).join(", ");
  const published = await publish(
    ctx,
    target,
    base,
    newTip,
    { has: remoteHas, local: localNow },
    `jig land: ${names}`,
  );
  if (!published.moved) return journal.done(); // moved meanwhile: redo
  crashPoint("after-cas");
  trace(started, "target moved");
  // With a remote, the local branch followed only if it was behind (never over a human's commits).
  const localMoved = published.localMoved;
  let note: string | undefined;
  for (const path of localMoved ? paths : []) {
    const refused = await updateCheckout(path, from, newTip);
    if (refused === null) continue;
    const why = `the target branch ${target} is checked out in ${checkoutName(ctx, path)}, and git refused to update it there: ${refused}; fix that checkout (${path}), then land again`;
    if (!(await unpublishLocal(ctx, target, newTip, from))) continue;
    if (ctx.config.remote) {
      note = `landed on ${ctx.config.remote}; the local ${target} stays at ${from.slice(0, 10)} because ${why.replace(/, then land again$/, "")} — then \`git pull\` there`;
      break;
    }
    for (const c of landing) await finish(ctx, c.entry, blocked(c.entry, why, { checkout: path }));
    return journal.done();
  }
  await warnOfNewConflicts(ctx, {
    target,
    base,
    tip: newTip,
    landed: landing.map((c) => ({ worker: c.entry.worker, commits: c.commits })),
  });
  for (const c of landing)
    await finish(ctx, c.entry, {
      ...landedVerdict(c.entry, c.commits, newTip, c.source),
      ...(note ? { reason: note } : {}),
    });
  await journal.done();
  trace(started, "verdicts written");
}

/** The gate on the batch's last commit; on red, the longest passing prefix by bisection. */
async function gateBatch(
  ctx: JigContext,
  target: string,
  candidates: Candidate[],
  journal: Journal,
  onProgress: Progress,
): Promise<{ good: number; failure: { candidate: Candidate; verdict: LandVerdict } | null }> {
  if (!ctx.config.gate) return { good: candidates.length, failure: null };
  const outputs = new Map<number, string>();
  const { good, firstBad } = await bisect(candidates.length, async (prefix) => {
    onProgress?.(`running the gate on ${prefix} branch(es)`);
    const gateStarted = Date.now();
    const run = await runGate(ctx, target, candidates[prefix - 1]!.head, async (pid) => {
      await journal.gate(pid);
      crashPoint("gate-started");
    });
    await journal.gate(undefined);
    await recordEvent(ctx, {
      type: "gate",
      workers: candidates.slice(0, prefix).map((c) => c.entry.worker),
      ok: run.ok,
      ms: Date.now() - gateStarted,
      timedOut: run.timedOut,
    });
    outputs.set(prefix, run.output);
    return run.ok;
  });
  if (firstBad === null) return { good, failure: null };
  const candidate = candidates[firstBad]!;
  return {
    good,
    failure: {
      candidate,
      verdict: blocked(
        candidate.entry,
        redactSecrets(
          `the gate \`${ctx.config.gate.command}\` failed on your branch rebased onto ${target}:\n${outputs.get(firstBad + 1) ?? ""}`,
        ),
      ),
    },
  };
}
