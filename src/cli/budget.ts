import {
  type BudgetState,
  budgetStates,
  describeBudget,
  isReached,
  parseBudget,
  setBudget,
} from "../core/budgets.js";
import { openContext } from "../core/context.js";
import { epicIdFromArg } from "../core/epics.js";
import { readWorkerStatus } from "../core/workers.js";
import { spawnTaskWorker } from "../orchestrator/spawn.js";
import type { CommandIO, CommandOutput } from "./output.js";

// `jig budget <task-or-epic> [amount]`: show spend against the limit, or set the limit. Raising it resumes
// every task that was stopped at it (its conversation continues where the CLI can resume).

export async function run(args: { id: string; amount?: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const issue = await ctx.issues.get(epicIdFromArg(args.id)).catch(() => null);
  // An ad-hoc worker has no issue: its name is its task's id.
  const scope = issue?.kind === "epic" ? "epic" : "task";
  const id = issue?.id ?? args.id;
  const who = scope === "epic" ? { task: null, epic: id } : { task: id, epic: issue?.epic ?? null };
  const lines: string[] = [];
  const resumed: string[] = [];
  if (args.amount !== undefined) {
    await setBudget(ctx, scope, id, parseBudget(args.amount));
    const tasks =
      scope === "epic"
        ? (await ctx.issues.list()).filter((t) => t.kind === "subtask" && t.epic === id)
        : issue
          ? [issue]
          : [];
    for (const task of tasks) {
      if (task.status !== "blocked") continue;
      const record = await ctx.workers.get(task.id);
      const status = record ? await readWorkerStatus(record.worktree) : null;
      if (!status?.message?.startsWith("budget reached")) continue;
      const states = await budgetStates(ctx, { task: task.id, epic: task.epic });
      if (states.some(isReached)) continue;
      await spawnTaskWorker(ctx, task.id, {
        note: `you were stopped at your budget (${status.message.replace(/^budget reached: /, "").replace(/; raise it.*$/, "")}); the human raised it (${states.map((s) => `${s.scope}: ${describeBudget(s) || "no limit"}`).join("; ")})`,
      });
      resumed.push(task.id);
    }
  }
  const states = await budgetStates(ctx, who);
  for (const state of states) lines.push(line(state));
  if (resumed.length) lines.push(`resumed ${resumed.join(", ")}`);
  return { text: lines.join("\n"), json: { budgets: states, resumed } };
}

const line = (state: BudgetState): string =>
  `${state.scope} ${state.id}: ${state.limit ? describeBudget(state) : `no budget (spent $${state.spent.usd.toFixed(2)}, ${state.spent.tokens} tokens)`}${isReached(state) ? " — reached" : ""}`;
