import { openContext } from "../core/context.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";

export async function run(_args: unknown, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const { issues, problems } = await ctx.issues.load();
  if (problems.length === 0) {
    return {
      text: colors.green(`✓ ${issues.length} issue file(s) valid`),
      json: { valid: true, checked: issues.length, problems: [] },
    };
  }
  // Every problem of every file, one line each, then a summary; exit 1 so scripts and CI notice.
  const files = new Set(problems.map((p) => p.file)).size;
  const lines = problems.map(
    (problem) =>
      `${colors.red("✗")} ${problem.file}${problem.field ? ` (${problem.field})` : ""}: ${problem.message}`,
  );
  const json = { valid: false, checked: issues.length + files, problems };
  if (io.json) return { text: "", json, exitCode: 1 };
  io.write(`${lines.join("\n")}\n`);
  io.warn(
    `${colors.red("error:")} ${problems.length} problem(s) in ${files} issue file(s)\n${colors.dim("hint:")} fix the files named above and run \`jig issues validate\` again`,
  );
  return { text: "", json, exitCode: 1 };
}
