import { listAlarms } from "../core/alarms.js";
import { budgetBook, budgetSummary } from "../core/budgets.js";
import { openContext } from "../core/context.js";
import { sessionTokens } from "../core/epic-progress.js";
import { conflictWarnings, landingInFlight, listWorkerViews, type WorkerView } from "../core/worker-view.js";
import { type CommandIO, type CommandOutput, colors, escapeControls } from "./output.js";
import { messageLines, SCREEN_WIDTH } from "./render/message.js";
import { spend } from "./render/status.js";
import { renderCompactTable } from "./render/table.js";

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

/** `working (queued #2)`, `landed 2 commits`: the status with what its land did or is doing. */
function statusCell(w: WorkerView): string {
  if (w.status === "done" && w.landed)
    return colors.green(`landed ${w.landed.commits} commit${w.landed.commits === 1 ? "" : "s"}`);
  const landing = landingInFlight(w.landing);
  const note = landing
    ? colors.dim(landing.state === "queued" ? ` (queued #${landing.position ?? "?"})` : " (landing)")
    : "";
  return STATUS_COLOR[w.status](w.status) + note;
}

/** A landed worker's changes are what it put on the target (its branch then has none of its own). */
const changesCell = (w: WorkerView) =>
  formatChanges(w.status === "done" && w.landed?.changes ? w.landed.changes : w.changes);

const cost = (w: WorkerView) => spend(w.usage?.costUsd ?? null, sessionTokens([w.usage]));

const isFinished = (w: WorkerView) => !w.alive && (w.status === "done" || w.status === "exited");

export async function renderPs(
  cwd: string,
  options: { epic?: string; all?: boolean } = {},
): Promise<CommandOutput> {
  const ctx = await openContext({ cwd });
  const every = (await listWorkerViews(ctx, { epic: options.epic })).filter(
    (w) => w.kind !== "planner" || w.alive,
  );
  // Finished workers of epics with nothing left to do are history: hidden unless asked for.
  const settled = options.all || options.epic ? new Set<string>() : await settledEpics(ctx);
  const workers = every.filter((w) => !(w.epic && settled.has(w.epic) && isFinished(w)));
  const hidden = every.length - workers.length;
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
  // The issue column only when it says something the worker's name does not (an ad-hoc or renamed worker).
  const issueColumn = workers.some((w) => w.issue !== w.name);
  const issueOf = (w: WorkerView) => w.issue ?? (w.kind === "adhoc" ? "(ad-hoc)" : "—");
  const rows = workers.map((w) => [
    w.name,
    statusCell(w),
    ...(issueColumn ? [issueOf(w)] : []),
    changesCell(w),
    costOf(w),
  ]);
  const lines: string[] = alarms.map((a) => `${colors.red(`⚠ ${a.kind}`)} ${a.message}`);
  lines.push(
    workers.length === 0
      ? "no workers"
      : renderCompactTable(["Worker", "Status", ...(issueColumn ? ["Issue"] : []), "Changes", "Cost"], rows, {
          maxWidth: SCREEN_WIDTH,
          shrink: 0,
        }),
  );
  for (const w of workers) {
    if (w.status === "blocked") {
      lines.push(
        colors.red(`${w.name} blocked:`),
        ...messageLines(escapeControls(w.message ?? "(no message)")),
      );
    }
    if (w.status === "dead")
      lines.push(
        colors.red(`${w.name} dead:`),
        ...messageLines(
          `its session ended without finishing (${escapeControls(w.exit ?? "process gone")}); jig run retries it, or jig spawn --issue ${w.issue ?? w.name}`,
        ),
      );
  }
  for (const c of conflicts)
    lines.push(`${colors.yellow(`${c.name} would conflict with ${c.with}:`)} ${c.files.join(", ")}`);
  const budgetJson = Object.fromEntries(workers.map((w) => [w.name, budgetSummary(budgets.task(w.name))]));
  if (hidden > 0)
    lines.push(
      colors.dim(`${hidden} finished worker(s) of completed epics not shown (jig ps --all shows them)`),
    );
  return { text: lines.join("\n"), json: { workers, conflicts, alarms, budgets: budgetJson, hidden } };
}

/** Epics whose every subtask is complete or cancelled. */
async function settledEpics(ctx: Awaited<ReturnType<typeof openContext>>): Promise<Set<string>> {
  const open = new Set<string>();
  const seen = new Set<string>();
  for (const issue of await ctx.issues.list()) {
    if (issue.kind !== "subtask") continue;
    seen.add(issue.epic);
    if (issue.status !== "complete" && issue.status !== "cancelled") open.add(issue.epic);
  }
  return new Set([...seen].filter((epic) => !open.has(epic)));
}

export async function run(
  args: { epic?: string; watch?: boolean; all?: boolean },
  io: CommandIO,
): Promise<CommandOutput | undefined> {
  if (!args.watch) return renderPs(io.cwd, args);
  let stop = false;
  process.once("SIGINT", () => {
    stop = true;
  });
  // On a terminal each refresh redraws the screen; into a pipe or a file, a frame is written only when
  // it changed, separated by a blank line, with no control codes.
  const terminal = process.stdout.isTTY === true;
  let previous = "";
  while (!stop) {
    const out = await renderPs(io.cwd, args);
    const frame = io.json ? JSON.stringify(out.json) : out.text;
    if (terminal) io.write(`\x1b[2J\x1b[H${frame}\n`);
    else if (frame !== previous) io.write(`${previous ? "\n" : ""}${frame}\n`);
    previous = frame;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return undefined;
}
