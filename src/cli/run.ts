import { parseBudget, setBudget } from "../core/budgets.js";
import { openContext } from "../core/context.js";
import { epicIdFromArg } from "../core/epics.js";
import { assertReady } from "../orchestrator/preflight.js";
import { runEpicInForeground } from "../orchestrator/scheduler.js";
import type { CommandIO, CommandOutput } from "./output.js";
import { renderRunOutcome } from "./render/run-outcome.js";

export async function run(
  args: { epic: string; agent?: string; maxWorkers?: number; budget?: string },
  io: CommandIO,
): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  await assertReady(ctx, { agent: args.agent });
  const epic = epicIdFromArg(args.epic);
  if (args.budget !== undefined) await setBudget(ctx, "epic", epic, parseBudget(args.budget));
  const options = { agent: args.agent, maxWorkers: args.maxWorkers };
  const ran = await runEpicInForeground(ctx, epic, { ...options, onEvent: (line) => io.warn(line) });
  return renderRunOutcome(epic, ran, options, io.write);
}
