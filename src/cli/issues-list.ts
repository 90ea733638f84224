import { type JigContext, openContext } from "../core/context.js";
import { epicBranches } from "../core/epics.js";
import { branchCommit, isAncestor } from "../core/git-ops.js";
import type { Issue } from "../core/issue.js";
import { taskRow } from "../core/tasks.js";
import { type CommandIO, type CommandOutput, colors, escapeControls } from "./output.js";
import { renderTable } from "./render/table.js";

export interface IssuesListArgs {
  epic?: string;
  status?: string;
  ready?: boolean;
}

export async function run(args: IssuesListArgs, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const { issues, problems } = await ctx.issues.load();
  const byId = new Map(issues.map((issue) => [issue.id, issue]));
  const epicStatuses = await deriveEpicStatuses(ctx, issues);
  const rows = issues
    .map((issue) => ({ ...taskRow(issue, byId), status: epicStatuses.get(issue.id) ?? issue.status }))
    .filter((row) => !args.epic || row.epic === args.epic)
    .filter((row) => !args.status || row.status === args.status)
    .filter((row) => !args.ready || row.ready);
  // The table is only for people: --json skips drawing it (a third of the command's time at 1,000 rows).
  const table = io.json
    ? ""
    : renderTable(
        ["Id", "Status", "Assigned", "Title", "Depends"],
        // Titles and assignees are agent-written: shown with every control character visible.
        rows.map((row) =>
          [row.id, row.status, row.assigned ?? "", row.title, row.depends.join(", ")].map(escapeControls),
        ),
      );
  const warn =
    problems.length > 0
      ? `\n${colors.yellow(`${problems.length} file(s) have problems: run \`jig issues validate\``)}`
      : "";
  return {
    text:
      rows.length === 0 ? `no issues${args.epic ? ` in epic ${args.epic}` : ""}${warn}` : `${table}${warn}`,
    json: { issues: rows, problems: problems.length },
  };
}

/**
 * An epic's status as its subtasks say (the epic file is not rewritten as they move): complete once every
 * subtask is complete or cancelled, and merged once its target is also contained in its base.
 */
async function deriveEpicStatuses(ctx: JigContext, issues: readonly Issue[]): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  for (const epic of issues.filter((issue) => issue.kind === "epic")) {
    const subtasks = issues.filter((issue) => issue.kind === "subtask" && issue.epic === epic.id);
    if (subtasks.length === 0 || epic.status === "cancelled") continue;
    const done = (status: string) => status === "complete" || status === "cancelled";
    if (subtasks.every((t) => done(t.status)))
      statuses.set(epic.id, (await isMerged(ctx, epic.id)) ? "merged" : "complete");
    else if (subtasks.some((t) => t.status === "blocked")) statuses.set(epic.id, "blocked");
    else if (subtasks.some((t) => t.status !== "planned")) statuses.set(epic.id, "in-progress");
    else statuses.set(epic.id, "planned");
  }
  return statuses;
}

async function isMerged(ctx: JigContext, epic: string): Promise<boolean> {
  try {
    const { target, base } = await epicBranches(ctx, epic);
    const tip = await branchCommit(ctx.paths.root, target);
    const into = await branchCommit(ctx.paths.root, base);
    return tip !== null && into !== null && tip !== into && (await isAncestor(ctx.paths.root, tip, into));
  } catch {
    return false;
  }
}
