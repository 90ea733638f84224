import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type JigContext, openContext } from "../core/context.js";
import { epicProgress } from "../core/epic-progress.js";
import { stateDir } from "../core/paths.js";
import { JigError } from "../errors.js";
import { isProcessAlive } from "../lib/pid.js";
import { DEMO_FILES } from "../orchestrator/demo-project.js";
import { planEpicWithAgent } from "../orchestrator/plan-run.js";
import { runEpic } from "../orchestrator/scheduler.js";
import { initRepo } from "../orchestrator/setup.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";
import { renderStatus } from "./render/status.js";

// `jig demo`: the whole pipeline — plan, parallel workers, a conflict resolved, continuous landing with a
// gate — on a sample project in a temporary repository, with the built-in scripted agent.

function gitIn(cwd: string, args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

// A landed worker's supervisor still records how its session ended (log, usage, events) a moment
// after the epic completes: removing the repository under it fails (ENOTEMPTY) or leaves debris.
async function sessionsSettled(ctx: JigContext, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await ctx.workers.list().catch(() => []);
    if (!records.some((record) => record.pid !== null && isProcessAlive(record.pid))) return;
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function run(args: { keep?: boolean }, io: CommandIO): Promise<CommandOutput> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "jig-demo-"));
  const step = (text: string) => io.warn(colors.bold(`\n▸ ${text}`));
  let ctx: JigContext | undefined;
  try {
    step(`a sample project in ${dir}`);
    gitIn(dir, ["init", "-q", "-b", "main"]);
    gitIn(dir, ["config", "user.name", "jig demo"]);
    gitIn(dir, ["config", "user.email", "demo@jig.local"]);
    gitIn(dir, ["config", "commit.gpgsign", "false"]);
    for (const [path, content] of Object.entries(DEMO_FILES)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    gitIn(dir, ["add", "-A"]);
    gitIn(dir, ["commit", "-q", "-m", "mathlib: initial commit with the epic"]);
    await initRepo(dir);

    step("jig plan issues/mathlib.md --auto   (the scripted planner calls plan_epic)");
    ctx = await openContext({ root: dir });
    const plan = await planEpicWithAgent(ctx, "issues/mathlib.md", {
      onEvent: (line) => io.warn(colors.dim(`  ${line}`)),
    });
    for (const t of plan.subtasks)
      io.warn(
        `  ${t.id}: ${t.title}${t.depends.length ? colors.dim(`  (after ${t.depends.join(", ")})`) : ""}`,
      );

    step("workers claim, work and land continuously (gate: node --test)");
    const outcome = await runEpic(ctx, plan.epic, { onEvent: (line) => io.warn(`  ${line}`) });
    const progress = await epicProgress(ctx, plan.epic);

    step(`jig status ${plan.epic}`);
    io.warn(renderStatus(progress));
    step(`git log ${plan.target}`);
    io.warn(gitIn(dir, ["log", "--oneline", "--graph", plan.target]).trimEnd());
    if (outcome.outcome !== "complete") {
      throw new JigError("PROCESS_FAILED", `the demo epic did not complete (${outcome.outcome})`, {
        hint: `inspect ${dir} (kept)`,
      });
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const text = `\n${colors.green("✓")} demo complete in ${seconds}s: ${progress.complete}/${progress.total} subtasks landed on ${plan.target}${args.keep ? `\n  repo kept at ${dir} — try: cd ${dir} && jig status mathlib && jig review mathlib` : ""}`;
    return { text, json: { dir: args.keep ? dir : null, seconds: Number(seconds), progress } };
  } catch (error) {
    args.keep = true;
    throw error;
  } finally {
    if (!args.keep) {
      if (ctx) await sessionsSettled(ctx, 15_000);
      // The repository and jig's state for it outside the repository (tokens, session configs),
      // that state's path taken first: it is keyed by the repository's real path.
      for (const path of [stateDir(dir), dir])
        rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    }
  }
}
