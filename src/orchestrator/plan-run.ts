import type { JigContext } from "../core/context.js";
import { epicBranches, epicIdFromArg, recordBase } from "../core/epics.js";
import { ADMIN } from "../core/identity.js";
import { cancelNotStarted } from "../core/lifecycle.js";
import { ensureBranch } from "../core/plan.js";
import { describeExit, sessionRunning, type WorkerRecord } from "../core/workers.js";
import { JigError } from "../errors.js";
import { spawnPlanner } from "./spawn.js";

// `jig plan`: the target branch, then the planner session, waited for until it exits.

export interface PlanOutcome {
  epic: string;
  target: string;
  planner: WorkerRecord | null;
  alreadyPlanned: boolean;
  subtasks: { id: string; title: string; depends: string[] }[];
  /** Subtasks a re-plan cancelled (not yet started) so the planner could plan them anew. */
  replaced: string[];
}

export async function planEpicWithAgent(
  ctx: JigContext,
  epicArg: string,
  options: {
    agent?: string;
    timeoutMs?: number;
    onEvent?: (line: string) => void;
    replan?: boolean;
    reuseTarget?: boolean;
  } = {},
): Promise<PlanOutcome> {
  const say = options.onEvent ?? (() => {});
  const { epic, target, base } = await epicBranches(ctx, epicIdFromArg(epicArg));
  const subtasksOf = async () =>
    (await ctx.issues.list())
      .filter((i) => i.kind === "subtask" && i.epic === epic.id && i.status !== "cancelled")
      .sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
  let existing = await subtasksOf();
  const created = await ensureBranch(ctx.paths.root, target, base, {
    reuse: options.reuseTarget,
    trusted: existing.length > 0,
  });
  if (created) say(`created target branch ${target} from ${base}`);
  // The base is fixed now: merge goes back where the epic came from, whatever is checked out later.
  await recordBase(ctx, epic.id, base);
  let replaced: string[] = [];
  if (existing.length > 0 && options.replan) {
    replaced = await cancelNotStarted(ctx, ADMIN, epic.id);
    if (replaced.length > 0) say(`re-planning: replaced ${replaced.join(", ")} (not started)`);
    existing = await subtasksOf();
  } else if (existing.length > 0) {
    say(`epic ${epic.id} is already planned (${existing.length} subtasks); not planning again`);
    return {
      epic: epic.id,
      target,
      planner: null,
      alreadyPlanned: true,
      subtasks: existing.map((t) => ({ id: t.id, title: t.title, depends: t.depends })),
      replaced,
    };
  }
  const kept = new Set(existing.map((t) => t.id));
  let planner = await spawnPlanner(ctx, epic.id, {
    agent: options.agent,
    keep: existing.map((t) => `${t.id} (${t.status})`),
  });
  say(`planner started (${planner.agent}, pid ${planner.pid}); log: jig logs ${planner.name}`);
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  while (sessionRunning(planner)) {
    if (Date.now() > deadline)
      throw new JigError("TIMEOUT", `the planner of ${epic.id} did not finish in time`, {
        hint: `see jig logs ${planner.name}; stop it with jig kill ${planner.name}`,
      });
    await new Promise((resolve) => setTimeout(resolve, 200));
    planner = await ctx.workers.require(planner.name);
  }
  const subtasks = await subtasksOf();
  if (subtasks.filter((t) => !kept.has(t.id)).length === 0) {
    throw new JigError(
      "PROCESS_FAILED",
      `the planner of ${epic.id} ended without writing a plan (${describeExit(planner)})`,
      {
        hint: `read what it did: jig logs ${planner.name}`,
      },
    );
  }
  return {
    epic: epic.id,
    target,
    planner,
    alreadyPlanned: false,
    subtasks: subtasks.map((t) => ({ id: t.id, title: t.title, depends: t.depends })),
    replaced,
  };
}
