import { describeKept } from "../core/backup.js";
import { openContext } from "../core/context.js";
import { merge } from "../orchestrator/review-merge.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";

export async function run(args: { name: string; force?: boolean }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const result = await merge(ctx, args.name, { force: args.force });
  const lines = [
    `${colors.green("merged")} ${result.merged} into ${result.into}: ${result.commits} commit(s), merge commit ${result.commit.slice(0, 10)}; cleaned up ${result.cleaned.length} worker(s)`,
    ...(result.abandoned.length ? [`abandoned (not complete): ${result.abandoned.join(", ")}`] : []),
    ...(result.kept.length ? ["work that did not land is kept — nothing was dropped:"] : []),
    ...result.kept.map((kept) => `  ${describeKept(kept)}`),
    ...result.notes.map((note) => `  ${note}`),
    // Landing pushed the target; the base is the human's branch, and jig never pushes it.
    ...(ctx.config.remote
      ? [
          `${result.into} is merged here only: push it when ready (git push ${ctx.config.remote} ${result.into})`,
        ]
      : []),
  ];
  return { text: lines.join("\n"), json: result };
}
