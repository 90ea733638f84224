import { parseBudget, setBudget } from "../core/budgets.js";
import type { JigContext } from "../core/context.js";
import { openContext } from "../core/context.js";
import { epicProgress } from "../core/epic-progress.js";
import { JigError } from "../errors.js";
import { epicIdFromArg } from "../orchestrator/plan-run.js";
import { assertReady } from "../orchestrator/preflight.js";
import { runEpic } from "../orchestrator/scheduler.js";
import { messageLines } from "./message.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";
import { renderStatus } from "./status.js";

export async function executeEpic(
  ctx: JigContext,
  epic: string,
  options: { agent?: string; maxWorkers?: number },
  io: CommandIO,
): Promise<CommandOutput> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  try {
    const outcome = await runEpic(ctx, epic, {
      ...options,
      signal: controller.signal,
      onEvent: (line) => io.warn(line),
    });
    const progress = await epicProgress(ctx, epic);
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
    io.write(`${status}\n`);
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
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** A blocked reason's first line, clipped: the whole reason follows in the hint when this is not all of it. */
function headline(reason: string): string {
  const first = reason.trim().split("\n")[0]!.trim();
  return first.length > 200 ? `${first.slice(0, 199)}…` : first;
}

/** The `jig run` line to print, keeping the options the user chose (an agent other than the default). */
export function runCommand(epic: string, options: { agent?: string; maxWorkers?: number }): string {
  return [
    `jig run ${epic}`,
    ...(options.agent ? [`--agent ${options.agent}`] : []),
    ...(options.maxWorkers ? [`--max-workers ${options.maxWorkers}`] : []),
  ].join(" ");
}

export async function run(
  args: { epic: string; agent?: string; maxWorkers?: number; budget?: string },
  io: CommandIO,
): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  await assertReady(ctx, { agent: args.agent });
  const epic = epicIdFromArg(args.epic);
  if (args.budget !== undefined) await setBudget(ctx, "epic", epic, parseBudget(args.budget));
  return executeEpic(ctx, epic, args, io);
}
