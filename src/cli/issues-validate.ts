import { openContext } from "../core/context.js";
import { JigError } from "../errors.js";
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
  if (io.json)
    io.write(
      `${JSON.stringify({ valid: false, checked: issues.length + problems.length, problems }, null, 2)}\n`,
    );
  else {
    for (const problem of problems) {
      io.write(
        `${colors.red("✗")} ${problem.file}${problem.field ? ` (${problem.field})` : ""}: ${problem.message}\n`,
      );
    }
  }
  throw new JigError(
    "INVALID_INPUT",
    `${problems.length} problem(s) in ${new Set(problems.map((p) => p.file)).size} issue file(s)`,
    {
      hint: "fix the files named above and run `jig issues validate` again",
    },
  );
}
