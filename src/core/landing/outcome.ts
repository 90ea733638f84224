import type { JigContext } from "../context.js";
import { recordEvent, verdictEvent } from "../events.js";
import { landTransition, recordVerdict } from "../lifecycle.js";
import { dequeue, type LandVerdict, type QueueEntry } from "./queue.js";

// The one place a land's outcome is decided to be written: the lifecycle's land transition (the worker's
// status, then the issue's), the verdict (recorded by the lifecycle too), and the queue entry removed —
// in that order, so whoever is woken by the verdict sees the rest already.

/** Test hook: SIGKILL this process at a named step, to prove a crash anywhere leaves a valid state. */
export function crashPoint(step: string): void {
  if (process.env.JIG_TEST_CRASH_AT === step) process.kill(process.pid, "SIGKILL");
}

export async function finish(ctx: JigContext, entry: QueueEntry, verdict: LandVerdict): Promise<void> {
  const record = await ctx.workers.get(entry.worker);
  if (record) await landTransition(ctx, record, verdict);
  await recordEvent(ctx, verdictEvent(entry.request, verdict, record));
  await recordVerdict(ctx, { ...verdict, request: entry.request, at: new Date().toISOString() });
  crashPoint("after-verdict");
  await dequeue(entry);
}

/** A `blocked` verdict for `entry`. */
export const blocked = (
  entry: QueueEntry,
  reason: string,
  extra: Partial<LandVerdict> = {},
): LandVerdict => ({
  state: "blocked",
  worker: entry.worker,
  target: entry.target,
  reason,
  ...extra,
});

/** A `landed` verdict: the new commit ids, the tip, and the worker's branch commit that landed. */
export const landedVerdict = (
  entry: QueueEntry,
  commits: string[],
  tip: string,
  source: string,
): LandVerdict => ({
  state: "landed",
  worker: entry.worker,
  target: entry.target,
  commits,
  tip,
  head: source,
});
