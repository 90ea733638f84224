// An epic's timeline as bars: per task, the wait to be claimed, the work, and the wait to land, each a
// span of [0, 1] between the epic's plan and its last land (or now). Pure, so it is unit-tested.
import type { Timeline, TimelineTask } from "./snapshot.js";

export type BarKind = "claim-wait" | "work" | "land-wait";

export interface Bar {
  kind: BarKind;
  /** Fractions of the timeline's width. */
  from: number;
  to: number;
}

export interface TimelineRow {
  task: string;
  state: TimelineTask["state"];
  bars: Bar[];
  /** "waited 12s · worked 3m 4s · landed after 9s", from the measured figures. */
  figures: string;
}

/** 860 → "0.9s", 12_000 → "12s", 184_000 → "3m 4s", 3_720_000 → "1h 2m". */
export function duration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ""}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${m % 60 ? ` ${m % 60}m` : ""}`;
}

function figures(t: TimelineTask): string {
  const parts: string[] = [];
  if (t.toClaimMs !== null) parts.push(`${t.claimedAt ? "waited" : "waiting"} ${duration(t.toClaimMs)}`);
  else if (!t.claimedAt) parts.push("waiting on its dependencies");
  if (t.workingMs !== null)
    parts.push(`${t.queuedAt || t.landedAt ? "worked" : "working"} ${duration(t.workingMs)}`);
  if (t.landWaitMs !== null) {
    const wait = duration(t.landWaitMs);
    parts.push(
      t.state === "landed"
        ? `landed after ${wait}`
        : t.state === "blocked"
          ? `land refused after ${wait}`
          : `waiting to land ${wait}`,
    );
  }
  if (t.retries > 0) parts.push(t.retries === 1 ? "1 retry" : `${t.retries} retries`);
  if (t.costUsd !== null) parts.push(`$${t.costUsd.toFixed(2)}`);
  return parts.join(" · ");
}

export function layoutTimeline(timeline: Timeline): TimelineRow[] {
  const start = Date.parse(timeline.start);
  const span = Math.max(1, Date.parse(timeline.end) - start);
  const at = (iso: string | null, fallback: number): number => {
    const t = iso ? Date.parse(iso) : Number.NaN;
    const fraction = ((Number.isFinite(t) ? t : fallback) - start) / span;
    return Math.min(1, Math.max(0, fraction));
  };
  const end = start + span;
  return timeline.tasks.map((t) => {
    const bars: Bar[] = [];
    const push = (kind: BarKind, from: string | null, to: string | null) => {
      if (!from) return;
      const bar = { kind, from: at(from, end), to: at(to, end) };
      if (bar.to >= bar.from) bars.push(bar);
    };
    push("claim-wait", t.readyAt, t.claimedAt);
    push("work", t.claimedAt, t.queuedAt ?? t.landedAt);
    push("land-wait", t.queuedAt, t.landedAt);
    return { task: t.task, state: t.state, bars, figures: figures(t) };
  });
}
