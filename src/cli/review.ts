import { openContext } from "../core/context.js";
import { review } from "../orchestrator/review-merge.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";

export async function run(args: { name: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const r = await review(ctx, args.name);
  const lines = [
    `${r.kind === "epic" ? "Epic" : "Worker"} ${r.name}: ${r.branch} → ${r.into}`,
    `${r.commits.length} commit(s), +${r.diff.added} -${r.diff.removed} in ${r.diff.files} file(s)`,
    "",
  ];
  if (r.kind === "epic") {
    const bySha = new Map(r.commits.map((c) => [c.sha, c]));
    for (const task of r.tasks) {
      const mark = task.status === "complete" ? colors.green("✓") : colors.yellow("…");
      lines.push(`${mark} ${task.id} (${task.status})`);
      for (const sha of task.commits) lines.push(`    ${sha.slice(0, 10)} ${bySha.get(sha)?.subject ?? ""}`);
    }
    if (r.incomplete.length) lines.push("", colors.yellow(`not complete: ${r.incomplete.join(", ")}`));
  } else {
    for (const c of r.commits) lines.push(`  ${c.sha.slice(0, 10)} ${c.subject}`);
  }
  lines.push("", `full diff: git diff ${r.into}...${r.branch}`, `merge: jig merge ${r.name}`);
  return { text: lines.join("\n"), json: r };
}
