import { describe, expect, it } from "vitest";
import { computeEpicStats } from "../../src/core/epic-stats.js";
import { type EventBody, type JigEvent, parseEvents } from "../../src/core/events.js";
import { epicSpend, epicTimeline } from "../../src/server/dashboard/timeline.js";

// A scripted epic's record, minute by minute: 01 and 02 start at once, 03 depends on both.
// 01 is quick; 02 is slow, meets a conflict caused by 01's land, fails the gate once, and lands on
// its second session; 03 waits on 02, then waits in the queue.
const T0 = Date.parse("2026-01-01T10:00:00.000Z");
const at = (minute: number) => new Date(T0 + minute * 60_000).toISOString();
const ev = (minute: number, body: EventBody): JigEvent => ({
  v: 1,
  at: at(minute),
  epic: "e",
  pid: 1,
  ...body,
});
const w = (n: number) => ({ worker: `e-0${n}-t${n}`, task: `e-0${n}-t${n}` });
const usage = (costUsd: number, tokens: number) => ({
  costUsd,
  inputTokens: tokens / 2,
  outputTokens: tokens / 2,
  turns: 3,
});

const RECORD: JigEvent[] = [
  ev(0, {
    type: "planned",
    target: "feature/e",
    tasks: [
      { id: "e-01-t1", depends: [] },
      { id: "e-02-t2", depends: [] },
      { id: "e-03-t3", depends: ["e-01-t1", "e-02-t2"] },
    ],
  }),
  ev(1, { type: "spawned", ...w(1), attempt: 1, agent: "scripted" }),
  ev(1, { type: "spawned", ...w(2), attempt: 1, agent: "scripted" }),
  ev(2, { type: "claimed", ...w(1) }),
  ev(3, { type: "claimed", ...w(2) }),
  ev(10, { type: "land-queued", ...w(1), request: "r1" }),
  ev(11, { type: "gate", workers: ["e-01-t1"], ok: true, ms: 30_000, timedOut: false }),
  ev(12, { type: "landed", ...w(1), request: "r1", commits: 1, tip: "aaa" }),
  ev(12, {
    type: "warning",
    ...w(2),
    id: "x",
    files: ["src/shared.ts"],
    cause: { worker: "e-01-t1", branch: "_jig/e-01-t1", tip: "aaa" },
  }),
  ev(13, { type: "session-ended", ...w(1), code: 0, signal: null, usage: usage(0.5, 1000) }),
  ev(20, { type: "session-ended", ...w(2), code: 1, signal: null, usage: usage(1, 4000) }),
  ev(21, { type: "retry", ...w(2), attempt: 2, reason: "exit code 1" }),
  ev(21, { type: "spawned", ...w(2), attempt: 2, agent: "scripted" }),
  ev(22, { type: "claimed", ...w(2) }),
  ev(30, { type: "land-queued", ...w(2), request: "r2" }),
  ev(31, { type: "gate", workers: ["e-02-t2"], ok: false, ms: 60_000, timedOut: false }),
  ev(32, {
    type: "land-blocked",
    ...w(2),
    request: "r2",
    kind: "gate",
    reason: "the gate `npm test` failed",
    files: [],
  }),
  ev(40, { type: "land-queued", ...w(2), request: "r3" }),
  ev(41, { type: "gate", workers: ["e-02-t2"], ok: true, ms: 60_000, timedOut: false }),
  ev(42, { type: "landed", ...w(2), request: "r3", commits: 2, tip: "bbb" }),
  ev(43, { type: "session-ended", ...w(2), code: 0, signal: null, usage: usage(1.5, 6000) }),
  ev(43, { type: "spawned", ...w(3), attempt: 1, agent: "scripted" }),
  ev(45, { type: "claimed", ...w(3) }),
  ev(50, { type: "land-queued", ...w(3), request: "r4" }),
  ev(60, { type: "landed", ...w(3), request: "r4", commits: 1, tip: "ccc" }),
  ev(61, { type: "session-ended", ...w(3), code: 0, signal: null, usage: usage(1, 2000) }),
];

const MIN = 60_000;

describe("computeEpicStats", () => {
  const stats = computeEpicStats("e", RECORD, { now: at(100) });
  const task = (n: number) => stats.tasks.find((t) => t.task === `e-0${n}-t${n}`)!;

  it("measures wall time from the plan to the last land", () => {
    expect(stats.plannedAt).toBe(at(0));
    expect(stats.lastLandAt).toBe(at(60));
    expect(stats.wallMs).toBe(60 * MIN);
  });

  it("measures each task: time to claim, working time, land wait, retries, gate runs, cost", () => {
    expect(task(1)).toMatchObject({
      state: "landed",
      toClaimMs: 2 * MIN,
      workingMs: 8 * MIN,
      landWaitMs: 2 * MIN,
      sessions: 1,
      retries: 0,
      landAttempts: 1,
      gateRuns: 1,
      tokens: 1000,
      costUsd: 0.5,
    });
    // Claimed at 3, queued at 30 (10 min in the queue, blocked) and at 40: working 3→40 less 2 min queued.
    expect(task(2)).toMatchObject({
      state: "landed",
      toClaimMs: 3 * MIN,
      workingMs: 35 * MIN,
      landWaitMs: 2 * MIN,
      landWaitTotalMs: 4 * MIN,
      sessions: 2,
      retries: 1,
      landAttempts: 2,
      gateRuns: 2,
      conflicts: 1,
      tokens: 10_000,
      costUsd: 2.5,
    });
    // Ready when its last dependency landed (42), claimed at 45.
    expect(task(3)).toMatchObject({ readyAt: at(42), toClaimMs: 3 * MIN, landWaitMs: 10 * MIN });
  });

  it("totals: cost per landed change with retries included, gate runs per land", () => {
    expect(stats.totals).toMatchObject({
      tasks: 3,
      landed: 3,
      sessions: 4,
      retries: 1,
      blockedLands: 1,
      gateRuns: 3,
      gateRunsPerLand: 1,
      gateMs: 150_000,
      costUsd: 4,
      tokens: 13_000,
      maxLandWaitMs: 10 * MIN,
    });
    expect(stats.totals.costPerLandedUsd).toBeCloseTo(4 / 3);
  });

  it("lists the conflicts met and how they ended", () => {
    expect(stats.conflicts).toEqual([
      {
        task: "e-02-t2",
        at: at(12),
        files: ["src/shared.ts"],
        source: "warning",
        cause: "e-01-t1",
        outcome: "landed",
      },
    ]);
  });

  it("finds the critical path through the dependencies and where it waited", () => {
    expect(stats.criticalPath.map((s) => s.task)).toEqual(["e-02-t2", "e-03-t3"]);
    expect(stats.waited).toEqual({
      claimMs: 6 * MIN,
      workMs: 35 * MIN + 5 * MIN,
      landMs: 12 * MIN,
      most: "work",
    });
  });

  it("measures a running epic up to now: a task waiting in the queue", () => {
    const running = computeEpicStats("e", RECORD.slice(0, 6), { now: at(15) });
    expect(running.wallMs).toBe(15 * MIN);
    expect(running.tasks.find((t) => t.task === "e-01-t1")).toMatchObject({
      state: "queued",
      landWaitMs: 5 * MIN,
    });
    expect(running.tasks.find((t) => t.task === "e-03-t3")).toMatchObject({
      state: "planned",
      readyAt: null,
      toClaimMs: null,
    });
    expect(running.totals.costPerLandedUsd).toBeNull();
  });
});

describe("the dashboard's timeline and spend", () => {
  it("a finished epic's timeline ends at its last land; each task keeps its stamps and figures", () => {
    const timeline = epicTimeline(computeEpicStats("e", RECORD, { now: at(100) }), at(100));
    expect(timeline).toMatchObject({ start: at(0), end: at(60) });
    expect(timeline!.tasks.map((t) => t.task)).toEqual(["e-01-t1", "e-02-t2", "e-03-t3"]);
    expect(timeline!.tasks[1]).toEqual({
      task: "e-02-t2",
      state: "landed",
      readyAt: at(0),
      claimedAt: at(3),
      queuedAt: at(40),
      landedAt: at(42),
      toClaimMs: 3 * MIN,
      workingMs: 35 * MIN, // 3 → 40 less the refused request r2 (30 → 32)
      landWaitMs: 2 * MIN,
      retries: 1,
      costUsd: 2.5,
    });
  });

  it("a running epic's timeline ends now; nothing before the plan is recorded", () => {
    expect(epicTimeline(computeEpicStats("e", RECORD.slice(0, 6), { now: at(15) }), at(15))?.end).toBe(
      at(15),
    );
    expect(epicTimeline(computeEpicStats("e", [], { now: at(15) }), at(15))).toBeNull();
  });

  it("spend against a budget: the larger fraction of the limits set, reached at 1", () => {
    expect(epicSpend({ limit: { usd: 5, tokens: 1000 }, spent: { usd: 1, tokens: 900 } })).toEqual({
      usd: 1,
      tokens: 900,
      limitUsd: 5,
      limitTokens: 1000,
      fraction: 0.9,
      reached: false,
    });
    expect(epicSpend({ limit: { usd: 2 }, spent: { usd: 2, tokens: 10 } })).toMatchObject({
      fraction: 1,
      reached: true,
      limitTokens: null,
    });
    expect(epicSpend({ limit: null, spent: { usd: 0.3, tokens: 10 } })).toMatchObject({
      fraction: null,
      reached: false,
    });
  });
});

describe("a record that begins mid-epic", () => {
  it("still counts a task it only saw landing (its plan and claim rotated away), and not the planner", () => {
    const stats = computeEpicStats(
      "e",
      [
        ev(0, {
          type: "session-ended",
          worker: "planner-e",
          task: null,
          code: 0,
          signal: null,
          usage: usage(0.4, 100),
        }),
        ev(10, { type: "land-queued", ...w(1), request: "r1" }),
        ev(12, { type: "landed", ...w(1), request: "r1", commits: 1, tip: "aaa" }),
      ],
      { now: at(20), truncated: true },
    );
    expect(stats.tasks).toMatchObject([
      { task: "e-01-t1", state: "landed", landWaitMs: 2 * MIN, readyAt: null },
    ]);
    expect(stats.totals).toMatchObject({ tasks: 1, landed: 1, costUsd: 0.4, costPerLandedUsd: 0.4 });
    expect(stats.record.truncated).toBe(true);
  });
});

describe("parseEvents", () => {
  const lines = RECORD.slice(0, 3).map((e) => JSON.stringify(e));

  it("skips a torn last line", () => {
    const torn = `${lines.join("\n")}\n${lines[0]!.slice(0, 30)}`;
    const parsed = parseEvents(torn);
    expect(parsed.events.map((e) => e.type)).toEqual(["planned", "spawned", "spawned"]);
    expect(parsed.skipped).toBe(1);
  });

  it("recovers a whole event appended after a torn fragment", () => {
    const glued = `${lines[0]}\n${lines[1]!.slice(0, 25)}${lines[2]}\n`;
    expect(parseEvents(glued).events.map((e) => e.type)).toEqual(["planned", "spawned"]);
  });

  it("skips events of unknown types (a newer jig) and lines that are not events", () => {
    const odd = `${JSON.stringify({ ...RECORD[1], type: "teleported" })}\n[1,2]\nnull\n${lines[1]}\n`;
    expect(parseEvents(odd)).toMatchObject({ events: [{ type: "spawned" }], skipped: 3 });
  });
});
