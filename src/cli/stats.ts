import { openContext } from "../core/context.js";
import { type EpicStats, loadEpicStats } from "../core/epic-stats.js";
import { epicBranches, epicIdFromArg } from "../core/epics.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";
import { spend } from "./render/status.js";
import { renderTable } from "./render/table.js";

/** `1h 02m`, `3m 20s`, `12s`, or `-` when unknown. */
export function duration(ms: number | null): string {
  if (ms === null) return "-";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

const usd = (value: number | null) => (value === null ? "-" : `$${value.toFixed(2)}`);
const SHORT = (epic: string, id: string) => (id.startsWith(`${epic}-`) ? id.slice(epic.length + 1) : id);

export function renderStats(stats: EpicStats): string {
  const { epic, totals } = stats;
  if (stats.record.events === 0)
    return `No record for epic ${epic} yet: events are recorded from \`jig plan\` on (.jig/events/${epic}/).`;
  const spent = spend(totals.costUsd, totals.tokens);
  const lines = [
    `Epic: ${epic} · ${totals.landed}/${totals.tasks} landed · wall ${duration(stats.wallMs)}${stats.lastLandAt && totals.landed === totals.tasks ? "" : " (running)"}${spent ? ` · ${spent}` : ""}`,
    `Cost per landed change: ${usd(totals.costPerLandedUsd)} (every session, retries included) · gate runs per land: ${totals.gateRunsPerLand === null ? "-" : totals.gateRunsPerLand.toFixed(1)} · land wait mean ${duration(totals.meanLandWaitMs)}, max ${duration(totals.maxLandWaitMs)}`,
    "",
  ];
  lines.push(
    renderTable(
      ["task", "state", "to claim", "working", "land wait", "retries", "lands", "gates", "conflicts", "cost"],
      stats.tasks.map((t) => [
        SHORT(epic, t.task),
        t.state,
        duration(t.toClaimMs),
        duration(t.workingMs),
        duration(t.landWaitMs),
        String(t.retries),
        String(t.landAttempts),
        String(t.gateRuns),
        String(t.conflicts),
        spend(t.costUsd, t.tokens) || "-",
      ]),
    ),
  );
  if (stats.criticalPath.length > 0) {
    const { waited } = stats;
    lines.push(
      "",
      `Critical path: ${stats.criticalPath.map((s) => SHORT(epic, s.task)).join(" → ")}`,
      `  waited to be claimed ${duration(waited.claimMs)} · working ${duration(waited.workMs)} · waiting to land ${duration(waited.landMs)}${waited.most ? ` — most time went to ${{ claim: "waiting for a worker", work: "work", land: "the landing queue" }[waited.most]}` : ""}`,
    );
  }
  if (stats.conflicts.length > 0) {
    lines.push("", "Conflicts:");
    for (const c of stats.conflicts)
      lines.push(
        `  ${SHORT(epic, c.task)}: ${c.files.slice(0, 5).join(", ")}${c.cause ? ` (after ${SHORT(epic, c.cause)} landed)` : " (at land)"} — ${c.outcome === "landed" ? colors.green("resolved, landed") : colors.yellow("open")}`,
      );
  }
  if (stats.record.skipped > 0 || stats.record.truncated)
    lines.push(
      "",
      colors.yellow(
        `record: ${stats.record.skipped} unreadable line(s)${stats.record.truncated ? "; the oldest events were dropped by the size cap (jig.json events)" : ""}`,
      ),
    );
  return lines.join("\n");
}

export async function run(args: { epic: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const { epic } = await epicBranches(ctx, epicIdFromArg(args.epic));
  const stats = await loadEpicStats(ctx, epic.id);
  return { text: renderStats(stats), json: stats };
}
