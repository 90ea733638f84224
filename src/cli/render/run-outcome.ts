import type { EpicProgress } from "../../core/epic-progress.js";
import { JigError } from "../../errors.js";
import type { RunOutcome } from "../../orchestrator/scheduler.js";
import type { CommandOutput } from "../output.js";
import { colors } from "../output.js";
import { messageLines } from "./message.js";
import { renderStatus } from "./status.js";

// How a foreground run of an epic ended (`jig run`, `jig plan --auto`), as a person reads it: the epic's
// status, then what comes next — review and merge, how to resume, or what would move each stuck task.

/** The `jig run` line to print, keeping the options the user chose (an agent other than the default). */
export function runCommand(epic: string, options: { agent?: string; maxWorkers?: number }): string {
  return [
    `jig run ${epic}`,
    ...(options.agent ? [`--agent ${options.agent}`] : []),
    ...(options.maxWorkers ? [`--max-workers ${options.maxWorkers}`] : []),
  ].join(" ");
}

/** The command's output when the run completed or was interrupted; a stuck run writes its status and throws why. */
export function renderRunOutcome(
  epic: string,
  { outcome, progress }: { outcome: RunOutcome; progress: EpicProgress },
  options: { agent?: string; maxWorkers?: number },
  write: (text: string) => void,
): CommandOutput {
  const status = renderStatus(progress);
  if (outcome.outcome === "complete") {
    return {
      text: `${status}\n\n${colors.green(`epic ${epic} is complete`)}: review it with jig review ${epic}, then jig merge ${epic}`,
      json: { outcome, progress },
    };
  }
  if (outcome.outcome === "interrupted") {
    // 130: the shell's code for "ended by Ctrl-C", so a script does not take it for success.
    return {
      text: `${status}\n\ninterrupted: running workers go on; resume with ${runCommand(epic, options)}`,
      json: { outcome, progress },
      exitCode: 130,
    };
  }
  write(`${status}\n`);
  const why = [
    ...(progress.budget?.reached
      ? [`its budget is spent (${progress.budget.text}); raise it with jig budget ${epic} <amount>`]
      : []),
    ...outcome.blocked.map((b) => `${b.id} is blocked: ${headline(b.reason)}`),
    ...outcome.waiting.map((w) => `${w.id} waits on ${w.on.join(", ")}`),
  ];
  const howItMoves = {
    retry: "respawn it now (worktree and commits kept)",
    unblock: `after you fixed what blocked it; then ${runCommand(epic, options)} respawns it`,
    abandon: "give it up (its work kept at a backup ref)",
  } as Record<string, string>;
  const moves = [
    ...outcome.blocked.map((b) =>
      [
        `  ${b.id}:`,
        // The whole reason (a gate's output, a long error) when the headline could not show it.
        ...(headline(b.reason) === b.reason.trim()
          ? []
          : ["    why it is blocked:", ...messageLines(b.reason, { indent: 6 })]),
        ...b.commands.map(
          (c) => `    ${c.padEnd(14 + b.id.length)}  # ${howItMoves[c.split(" ")[1]!] ?? ""}`,
        ),
      ].join("\n"),
    ),
    ...outcome.waiting
      .filter((w) => w.commands.length > 0)
      .map((w) => `  ${w.id}: ${w.commands.join(" or ")}`),
  ];
  throw new JigError(
    "PRECONDITION_FAILED",
    `epic ${epic} is stuck: ${why.join("; ") || "nothing is ready"}`,
    {
      hint: moves.length
        ? `what would move each stuck task:\n${moves.join("\n")}`
        : `see jig status ${epic}, then run ${runCommand(epic, options)} again`,
    },
  );
}

/** A blocked reason's first line, clipped: the whole reason follows in the hint when this is not all of it. */
function headline(reason: string): string {
  const first = reason.trim().split("\n")[0]!.trim();
  return first.length > 200 ? `${first.slice(0, 199)}…` : first;
}
