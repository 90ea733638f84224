import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { JigContext } from "../core/context.js";
import { readEvents } from "../core/events.js";
import { sessionRunning } from "../core/workers.js";

// Prometheus metrics for `GET /metrics` (the only importer of prom-client). Everything is derived at
// scrape time from jig's files — issues, the worker registry and each epic's event record — so any
// process can serve it and a restart loses nothing; counters are monotonic as long as the record is
// (rotation past its cap drops the oldest events, see docs/decisions.md).

interface MetricDefinition {
  name: string;
  help: string;
  labelNames: string[];
  buckets?: number[];
}

// Every metric jig exports, one row each: its name, what it counts, its labels (and a histogram's buckets).
const GAUGES = {
  tasks: { name: "jig_tasks", help: "Subtasks by epic and status", labelNames: ["epic", "status"] },
  sessions: {
    name: "jig_sessions",
    help: "Agent sessions by kind and state (running, ended)",
    labelNames: ["kind", "state"],
  },
} satisfies Record<string, MetricDefinition>;
const COUNTERS = {
  lands: {
    name: "jig_lands_total",
    help: "Land verdicts by epic and outcome (landed, or blocked: conflict, gate, other)",
    labelNames: ["epic", "outcome"],
  },
  sessionsEnded: {
    name: "jig_sessions_ended_total",
    help: "Agent sessions of task workers that ended, by epic and how (ok, failed, killed)",
    labelNames: ["epic", "how"],
  },
  spend: {
    name: "jig_spend_usd_total",
    help: "Cost reported by ended sessions, by epic (retries included)",
    labelNames: ["epic"],
  },
  tokens: {
    name: "jig_tokens_total",
    help: "Tokens reported by ended sessions, by epic and direction",
    labelNames: ["epic", "direction"],
  },
} satisfies Record<string, MetricDefinition>;
const HISTOGRAMS = {
  landWait: {
    name: "jig_land_wait_seconds",
    help: "Time from a land request being queued to its verdict",
    labelNames: ["epic", "outcome"],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600],
  },
  gate: {
    name: "jig_gate_duration_seconds",
    help: "Gate runs by epic and result",
    labelNames: ["epic", "result"],
    buckets: [0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800],
  },
} satisfies Record<string, MetricDefinition>;

/** One metric object per row of a table, registered in `registry`. */
function build<K extends string, T>(
  table: Record<K, MetricDefinition>,
  create: (definition: MetricDefinition) => T,
): Record<K, T> {
  return Object.fromEntries(
    Object.entries(table).map(([key, def]) => [key, create(def as MetricDefinition)]),
  ) as Record<K, T>;
}

/** The metrics text and its content type. */
export async function renderMetrics(ctx: JigContext): Promise<{ contentType: string; body: string }> {
  const registry = new Registry();
  const registers = [registry];
  const { tasks, sessions } = build(GAUGES, (def) => new Gauge({ ...def, registers }));
  const { lands, sessionsEnded, spend, tokens } = build(
    COUNTERS,
    (def) => new Counter({ ...def, registers }),
  );
  const { landWait, gate } = build(HISTOGRAMS, (def) => new Histogram({ ...def, registers }));

  const { issues } = await ctx.issues.load();
  const epics = issues.filter((i) => i.kind === "epic").map((i) => i.id);
  for (const issue of issues)
    if (issue.kind === "subtask") tasks.inc({ epic: issue.epic, status: issue.status });
  for (const record of await ctx.workers.list())
    sessions.inc({ kind: record.kind, state: sessionRunning(record) ? "running" : "ended" });

  for (const epic of epics) {
    const queued = new Map<string, number>();
    for (const e of (await readEvents(ctx, epic)).events) {
      const at = Date.parse(e.at);
      if (e.type === "land-queued") queued.set(e.request, at);
      else if (e.type === "landed" || e.type === "land-blocked") {
        const outcome = e.type === "landed" ? "landed" : `blocked-${e.kind}`;
        lands.inc({ epic, outcome });
        const start = queued.get(e.request);
        if (start !== undefined) landWait.observe({ epic, outcome }, Math.max(0, at - start) / 1000);
      } else if (e.type === "gate") {
        gate.observe({ epic, result: e.ok ? "pass" : e.timedOut ? "timeout" : "fail" }, e.ms / 1000);
      } else if (e.type === "session-ended") {
        sessionsEnded.inc({ epic, how: e.signal ? "killed" : e.code === 0 ? "ok" : "failed" });
        if (e.usage?.costUsd) spend.inc({ epic }, e.usage.costUsd);
        if (e.usage?.inputTokens) tokens.inc({ epic, direction: "input" }, e.usage.inputTokens);
        if (e.usage?.outputTokens) tokens.inc({ epic, direction: "output" }, e.usage.outputTokens);
      }
    }
  }
  return { contentType: registry.contentType, body: await registry.metrics() };
}
