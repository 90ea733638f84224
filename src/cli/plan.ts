import { createInterface } from "node:readline/promises";
import { openContext } from "../core/context.js";
import { planEpicWithAgent } from "../orchestrator/plan-run.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";
import { executeEpic } from "./run.js";

export async function run(
  args: { epic: string; auto?: boolean; yes?: boolean; agent?: string; maxWorkers?: number },
  io: CommandIO,
): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const plan = await planEpicWithAgent(ctx, args.epic, {
    agent: args.agent,
    onEvent: (line) => io.warn(colors.dim(line)),
  });
  const short = (id: string) => id.slice(plan.epic.length + 1);
  const lines = [
    `Plan for ${plan.epic} → ${plan.target}:`,
    ...plan.subtasks.map(
      (t) =>
        `  ${short(t.id).padEnd(28)} ${t.title}${t.depends.length ? colors.dim(`  (after ${t.depends.map(short).join(", ")})`) : ""}`,
    ),
  ];
  const commands = [
    "Run it all (spawns workers as tasks become ready, lands their work):",
    `  jig run ${plan.epic}`,
    "or one task at a time:",
    ...plan.subtasks.filter((t) => t.depends.length === 0).map((t) => `  jig spawn --issue ${t.id}`),
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
  const outcome = await executeEpic(ctx, plan.epic, { agent: args.agent, maxWorkers: args.maxWorkers }, io);
  return { text: outcome.text, json: { plan, run: outcome.json } };
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
