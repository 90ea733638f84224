import type { EpicProgress } from "../../core/epic-progress.js";
import type { LandVerdict } from "../../core/landing/index.js";
import { landingInFlight } from "../../core/worker-view.js";
import { colors, escapeControls } from "../output.js";
import { messageLines } from "./message.js";

// `jig status`: an epic's subtasks, their states and what blocks them; and the spend line `jig ps`,
// `jig stats` and `jig run` show.

/** `$0.42, 15.2k tokens` — what the sessions reported, or "". */
export function spend(costUsd: number | null, tokens: number | null): string {
  return [
    ...(costUsd != null ? [`$${costUsd.toFixed(2)}`] : []),
    ...(tokens ? [`${tokens >= 1000 ? `${(tokens / 1000).toFixed(1)}k` : tokens} tokens`] : []),
  ].join(", ");
}

/** `, queued #2` / `, landing` while the task's land is in flight. */
function landingNote(view: LandVerdict | null): string {
  const landing = landingInFlight(view);
  if (!landing) return "";
  return landing.state === "queued" ? `, queued to land #${landing.position ?? "?"}` : ", landing";
}

const SHORT = (epic: string, id: string) => (id.startsWith(`${epic}-`) ? id.slice(epic.length + 1) : id);

export function renderStatus(progress: EpicProgress): string {
  const { epic } = progress;
  const diff = progress.diff
    ? ` (+${progress.diff.added} -${progress.diff.removed}, ${progress.diff.files} files)`
    : progress.targetExists
      ? ""
      : " (not created yet)";
  const spent = spend(progress.costUsd, progress.tokens);
  const lines = [
    `Epic: ${epic} (${progress.complete}/${progress.total} complete)${spent ? ` · ${spent}` : ""}${
      progress.budget ? ` · budget ${progress.budget.text}${progress.budget.reached ? " — reached" : ""}` : ""
    }`,
    `Target: ${progress.target}${diff} from ${progress.base}`,
    "",
  ];
  const width = Math.max(8, ...progress.subtasks.map((s) => SHORT(epic, s.id).length));
  for (const s of progress.subtasks) {
    const name = SHORT(epic, s.id).padEnd(width);
    switch (s.state) {
      case "complete":
        lines.push(`${colors.green("✓")} ${name}  Complete`);
        break;
      case "running":
        lines.push(
          `${colors.cyan("●")} ${name}  Running${s.worker ? ` (${s.worker.name}${s.worker.alive ? "" : ", session ended"}${landingNote(s.worker.landing)})` : ""}`,
        );
        break;
      case "blocked": {
        // The whole reason (a gate's output tail included), on real lines under the task.
        const message = escapeControls(s.worker?.message?.trim() ?? "");
        if (!message.includes("\n")) {
          lines.push(`${colors.red("✗")} ${name}  Blocked${message ? `: ${message}` : ""}`);
        } else {
          lines.push(`${colors.red("✗")} ${name}  Blocked:`, ...messageLines(message, { indent: 4 }));
        }
        break;
      }
      case "waiting":
        lines.push(
          `${colors.dim("○")} ${name}  Waiting (depends: ${s.waitingOn.map((d) => SHORT(epic, d).split("-")[0]).join(", ")})`,
        );
        break;
      case "ready":
        lines.push(`${colors.dim("○")} ${name}  Ready${s.assigned ? ` (assigned to ${s.assigned})` : ""}`);
        break;
      case "cancelled":
        lines.push(`${colors.dim("-")} ${name}  Cancelled`);
        break;
    }
  }
  for (const problem of progress.problems)
    lines.push(`${colors.yellow("!")} ${problem.file}: ${problem.message}`);
  if (progress.problems.length > 0)
    lines.push(colors.yellow("these files are left out above: fix them (jig issues validate)"));
  else if (progress.total === 0) lines.push(colors.dim(`no subtasks yet: run jig plan ${epic}`));
  return lines.join("\n");
}
