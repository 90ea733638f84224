import { listAlarms } from "../core/alarms.js";
import { budgetBook, budgetSummary } from "../core/budgets.js";
import { openContext } from "../core/context.js";
import { sessionTokens } from "../core/epic-progress.js";
import { conflictWarnings, landingInFlight, listWorkerViews, type WorkerView } from "../core/worker-view.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";
import { spend } from "./status.js";
import { renderTable } from "./table.js";

const STATUS_COLOR: Record<WorkerView["status"], (s: string) => string> = {
  working: colors.cyan,
  starting: colors.cyan,
  blocked: colors.red,
  done: colors.green,
  dead: colors.red,
  exited: colors.yellow,
};

export function formatChanges(changes: WorkerView["changes"]): string {
  if (!changes) return "—";
  return `+${changes.added} -${changes.removed}`;
}

/** ` (queued #2)` / ` (landing)` while a land is in flight. */
function inFlight(w: WorkerView): string {
  const landing = landingInFlight(w.landing);
  if (!landing) return "";
  return colors.dim(landing.state === "queued" ? ` (queued #${landing.position ?? "?"})` : " (landing)");
}

const cost = (w: WorkerView) => spend(w.usage?.costUsd ?? null, sessionTokens([w.usage]));

export async function renderPs(cwd: string, epic?: string): Promise<CommandOutput> {
  const ctx = await openContext({ cwd });
  const workers = (await listWorkerViews(ctx, { epic })).filter((w) => w.kind !== "planner" || w.alive);
  // Each pair of workers is named once (from the first by name); a target conflict under its worker.
  const conflicts = [...(await conflictWarnings(ctx, workers))].flatMap(([name, warnings]) =>
    warnings
      .filter((warning) => warning.kind === "target" || warning.with > name)
      .map((warning) => ({ name, with: warning.with, files: warning.files })),
  );
  const alarms = await listAlarms(ctx, workers);
  const budgets = await budgetBook(ctx);
  // Spend against the worker's budget where it has one: "$1.20 of $5.00".
  const costOf = (w: WorkerView) => {
    const budget = budgetSummary(budgets.task(w.name));
    return budget ? `${budget.text}${budget.reached ? " (reached)" : ""}` : cost(w);
  };
  const rows = workers.map((w) => [
    w.name,
    STATUS_COLOR[w.status](w.status) + inFlight(w),
    w.issue ?? (w.kind === "adhoc" ? "(ad-hoc)" : "—"),
    formatChanges(w.changes),
    costOf(w),
  ]);
  const lines: string[] = alarms.map((a) => `${colors.red(`⚠ ${a.kind}`)} ${a.message}`);
  lines.push(
    workers.length === 0 ? "no workers" : renderTable(["Worker", "Status", "Issue", "Changes", "Cost"], rows),
  );
  for (const w of workers) {
    if (w.status === "blocked")
      lines.push(`${colors.red(`${w.name} blocked:`)} ${JSON.stringify(w.message ?? "")}`);
    if (w.status === "dead")
      lines.push(
        `${colors.red(`${w.name} dead:`)} its session ended without finishing (${w.exit ?? "process gone"}; jig run retries it; or jig spawn --issue ${w.issue ?? w.name})`,
      );
  }
  for (const c of conflicts)
    lines.push(`${colors.yellow(`${c.name} would conflict with ${c.with}:`)} ${c.files.join(", ")}`);
  const budgetJson = Object.fromEntries(workers.map((w) => [w.name, budgetSummary(budgets.task(w.name))]));
  return { text: lines.join("\n"), json: { workers, conflicts, alarms, budgets: budgetJson } };
}

export async function run(
  args: { epic?: string; watch?: boolean },
  io: CommandIO,
): Promise<CommandOutput | undefined> {
  if (!args.watch) return renderPs(io.cwd, args.epic);
  let stop = false;
  process.once("SIGINT", () => {
    stop = true;
  });
  while (!stop) {
    const out = await renderPs(io.cwd, args.epic);
    io.write(`\x1b[2J\x1b[H${io.json ? JSON.stringify(out.json) : out.text}\n`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return undefined;
}
