import { openContext } from "../core/context.js";
import { isReady, waitingOn } from "../core/graph.js";
import type { Issue } from "../core/issue.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";
import { renderTable } from "./table.js";

export interface IssuesListArgs {
  epic?: string;
  status?: string;
  ready?: boolean;
}

export function summarizeIssue(issue: Issue, byId: ReadonlyMap<string, Issue>) {
  return {
    id: issue.id,
    kind: issue.kind,
    epic: issue.epic,
    status: issue.status,
    assigned: issue.assigned,
    title: issue.title,
    depends: issue.depends,
    waitingOn: waitingOn(issue, byId),
    ready: issue.kind === "subtask" && isReady(issue, byId),
  };
}

export async function run(args: IssuesListArgs, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const { issues, problems } = await ctx.issues.load();
  const byId = new Map(issues.map((issue) => [issue.id, issue]));
  const rows = issues
    .filter((issue) => !args.epic || issue.epic === args.epic)
    .filter((issue) => !args.status || issue.status === args.status)
    .map((issue) => summarizeIssue(issue, byId))
    .filter((row) => !args.ready || row.ready);
  // The table is only for people: --json skips drawing it (a third of the command's time at 1,000 rows).
  const table = io.json
    ? ""
    : renderTable(
        ["Id", "Status", "Assigned", "Title", "Depends"],
        rows.map((row) => [row.id, row.status, row.assigned ?? "", row.title, row.depends.join(", ")]),
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
