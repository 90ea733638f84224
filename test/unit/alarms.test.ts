import { describe, expect, it } from "vitest";
import { type AlarmInputs, computeAlarms } from "../../src/core/alarms.js";
import type { WorkerView } from "../../src/core/worker-view.js";

const NOW = Date.parse("2026-01-01T12:00:00.000Z");
const ago = (min: number) => NOW - min * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

const view = (name: string, over: Partial<WorkerView> = {}): WorkerView => ({
  name,
  kind: "task",
  issue: name,
  epic: "e",
  branch: `_jig/${name}`,
  target: "feature/e",
  agent: "claude",
  pid: 1,
  alive: true,
  status: "working",
  message: null,
  changes: null,
  usage: null,
  started: iso(ago(120)),
  updated: iso(ago(120)),
  attempt: 1,
  exit: null,
  landing: null,
  landed: null,
  ...over,
});

const inputs = (over: Partial<AlarmInputs> = {}): AlarmInputs => ({
  now: NOW,
  limits: { silentMinutes: 20, landWaitMinutes: 30, budgetFraction: 0.8 },
  lastCall: new Map(),
  lastCommit: new Map(),
  queuedSince: new Map(),
  blockedSince: new Map(),
  ...over,
});

describe("computeAlarms", () => {
  it("a worker silent past silentMinutes: no status change, commit or tool call", () => {
    const alarms = computeAlarms(
      [view("quiet"), view("busy")],
      inputs({ lastCall: new Map([["busy", ago(5)]]) }),
    );
    expect(alarms).toEqual([
      {
        kind: "silent",
        worker: "quiet",
        since: iso(ago(120)),
        message: "quiet: silent for 120 min (no status change, commit or tool call)",
      },
    ]);
    // A recent commit or status change counts as activity too.
    expect(computeAlarms([view("q")], inputs({ lastCommit: new Map([["q", ago(3)]]) }))).toEqual([]);
    expect(computeAlarms([view("q", { updated: iso(ago(1)) })], inputs())).toEqual([]);
    // Only running sessions can be silent.
    expect(computeAlarms([view("q", { status: "done" })], inputs())).toEqual([]);
  });

  it("a land queued, or refused and not retried, longer than landWaitMinutes", () => {
    const alarms = computeAlarms(
      [view("waiting"), view("refused", { status: "blocked" }), view("fresh")],
      inputs({
        queuedSince: new Map([
          ["waiting", ago(45)],
          ["fresh", ago(2)],
        ]),
        blockedSince: new Map([["refused", ago(31)]]),
      }),
    );
    expect(alarms.map((a) => `${a.kind}:${a.worker}`)).toEqual([
      "land-blocked:refused",
      "land-queued:waiting",
    ]);
    expect(alarms[1]!.message).toBe("waiting: its land has waited in the queue for 45 min");
  });

  it("a session that died, first; and a budget close to its cap", () => {
    const alarms = computeAlarms(
      [
        view("spender", {
          usage: { costUsd: 4.2, inputTokens: 1, outputTokens: 1, turns: 1 },
          updated: iso(NOW),
        }),
        view("gone", { alive: false, status: "dead", exit: "killed by SIGKILL" }),
      ],
      inputs({ budgets: new Map([["spender", 5]]) }),
    );
    expect(alarms.map((a) => `${a.kind}:${a.worker}`)).toEqual(["session-died:gone", "budget:spender"]);
    expect(alarms[0]!.message).toContain("killed by SIGKILL");
    expect(alarms[1]!.message).toBe("spender: spent $4.20 of its $5.00 budget");
  });
});
