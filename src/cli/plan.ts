import { existsSync } from "node:fs";
import { basename, isAbsolute, relative, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { parseBudget, setBudget } from "../core/budgets.js";
import { type JigContext, openContext } from "../core/context.js";
import { epicIdFromArg } from "../core/epics.js";
import { isJigError, JigError } from "../errors.js";
import { planEpicWithAgent } from "../orchestrator/plan-run.js";
import { assertReady } from "../orchestrator/preflight.js";
import { runEpicInForeground } from "../orchestrator/scheduler.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";
import { renderRunOutcome, runCommand } from "./render/run-outcome.js";

export async function run(
  args: {
    epic: string;
    auto?: boolean;
    yes?: boolean;
    agent?: string;
    maxWorkers?: number;
    budget?: string;
    replan?: boolean;
    reuseTarget?: boolean;
  },
  io: CommandIO,
): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  await assertReady(ctx, { agent: args.agent });
  // The epic's budget counts the planner's session too, so it is set before the planner starts.
  if (args.budget !== undefined)
    await setBudget(ctx, "epic", epicIdFromArg(args.epic), parseBudget(args.budget));
  const plan = await planEpicWithAgent(ctx, args.epic, {
    agent: args.agent,
    onEvent: (line) => io.warn(colors.dim(line)),
    replan: args.replan,
    reuseTarget: args.reuseTarget,
  }).catch((error) => {
    throw epicElsewhere(ctx, io.cwd, args.epic, error);
  });
  const short = (id: string) => id.slice(plan.epic.length + 1);
  const lines = [
    `Plan for ${plan.epic} → ${plan.target}:`,
    ...(plan.replaced.length
      ? [colors.dim(`  (replaced, not started: ${plan.replaced.map(short).join(", ")})`)]
      : []),
    ...plan.subtasks.map(
      (t) =>
        `  ${short(t.id).padEnd(28)} ${t.title}${t.depends.length ? colors.dim(`  (after ${t.depends.map(short).join(", ")})`) : ""}`,
    ),
  ];
  const commands = [
    "Run it all (spawns workers as tasks become ready, lands their work):",
    `  ${runCommand(plan.epic, args)}`,
    "or one task at a time:",
    ...plan.subtasks
      .filter((t) => t.depends.length === 0)
      .map((t) => `  jig spawn --issue ${t.id}${args.agent ? ` --agent ${args.agent}` : ""}`),
  ];
  if (!args.auto && !args.yes) {
    // On a terminal, show the plan and ask; otherwise (scripts, CI, --json) print what to run.
    if (io.json || !interactive()) return { text: [...lines, "", ...commands].join("\n"), json: { plan } };
    io.warn(lines.join("\n"));
    const yes = await confirm("\nRun it now (spawn workers as tasks become ready, land their work)? [y/N] ");
    if (!yes) return { text: commands.join("\n"), json: { plan } };
  } else {
    io.warn(lines.join("\n"));
  }
  const options = { agent: args.agent, maxWorkers: args.maxWorkers };
  const ran = await runEpicInForeground(ctx, plan.epic, { ...options, onEvent: (line) => io.warn(line) });
  const outcome = renderRunOutcome(plan.epic, ran, options, io.write);
  return { ...outcome, json: { plan, run: outcome.json } };
}

/** `jig plan docs/x.md`: the file exists but jig reads epics only from its issues directory — say so. */
function epicElsewhere(ctx: JigContext, cwd: string, arg: string, error: unknown): unknown {
  if (!isJigError(error) || error.code !== "NOT_FOUND") return error;
  const file = resolve(cwd, arg);
  const inIssues = relative(ctx.paths.issuesDir, file);
  if (!existsSync(file) || (!inIssues.startsWith("..") && !isAbsolute(inIssues))) return error;
  const shown = relative(ctx.paths.root, ctx.paths.issuesDir) || ".";
  return new JigError(
    "NOT_FOUND",
    `${arg} is not in the issues directory (${shown}/), so jig cannot plan it`,
    {
      hint: `move it there and plan it by name: mv ${arg} ${shown}/${basename(file)} && jig plan ${basename(file, ".md")}`,
    },
  );
}

const interactive = () => Boolean(process.stdin.isTTY && process.stderr.isTTY);

/** A yes/no question on the terminal. */
async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}
