import { relative } from "node:path";
import { parseBudget, setBudget } from "../core/budgets.js";
import { openContext } from "../core/context.js";
import { isRemote, type WorkerRecord } from "../core/workers.js";
import { JigError } from "../errors.js";
import { spawnAdhocWorker, spawnTaskWorker } from "../orchestrator/spawn.js";
import type { CommandIO, CommandOutput } from "./output.js";

export async function run(
  args: { name?: string; issue?: string; context?: string; agent?: string; budget?: string; local?: boolean },
  io: CommandIO,
): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  if (args.issue && (args.name || args.context)) {
    throw new JigError("INVALID_INPUT", 'use either --issue <id> or <name> --context "…", not both', {
      hint: `a task: jig spawn --issue ${args.issue}; an ad-hoc worker: jig spawn ${args.name ?? "<name>"} --context "…"`,
    });
  }
  const budget = args.budget === undefined ? null : parseBudget(args.budget);
  if (budget) {
    const id = args.issue ? (await ctx.issues.get(args.issue)).id : args.name;
    if (id) await setBudget(ctx, "task", id, budget);
  }
  let record: WorkerRecord;
  if (args.issue) record = await spawnTaskWorker(ctx, args.issue, { agent: args.agent, local: args.local });
  else if (args.name && args.context !== undefined)
    record = await spawnAdhocWorker(ctx, args.name, args.context, { agent: args.agent });
  else
    throw new JigError(
      "INVALID_INPUT",
      args.name ? `worker '${args.name}' needs --context` : "nothing to spawn",
      {
        hint: args.name
          ? `say what it should do: jig spawn ${args.name} --context "Fix the typo in README"`
          : 'a planned task: jig spawn --issue <task id> (jig issues list shows them); an ad-hoc worker: jig spawn <name> --context "…"',
      },
    );
  const text = [
    `spawned ${record.name} (${record.agent}, pid ${record.pid})`,
    `  branch   ${record.branch} → ${record.kind === "task" ? `lands on ${record.target}` : `from ${record.target}, merge with jig merge ${record.name}`}`,
    isRemote(record)
      ? `  placed   by the ${record.launcher} launcher${record.host ? ` on ${record.host}` : ""} (jig worker: its own clone of the remote)`
      : `  worktree ${relative(ctx.paths.root, record.worktree)}`,
    `  log      jig logs ${record.name}`,
  ].join("\n");
  return { text, json: record };
}
