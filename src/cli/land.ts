import { openContext } from "../core/context.js";
import { requestLand, settleDrivers } from "../core/landing/index.js";
import { JigError } from "../errors.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";

// The human's trigger for a land: the same path as the worker's land tool, waiting for the verdict.
export async function run(args: { worker?: string }, io: CommandIO): Promise<CommandOutput> {
  const name = args.worker;
  if (!name)
    throw new JigError("INVALID_INPUT", "which worker?", { hint: "jig land <worker> (see `jig ps`)" });
  const ctx = await openContext({ cwd: io.cwd });
  const verdict = await requestLand(ctx, name, {
    waitMs: 24 * 3600_000,
    onProgress: (message) => io.warn(colors.dim(message)),
  });
  await settleDrivers();
  if (verdict.state === "blocked") {
    throw new JigError("CONFLICT", `${name} could not land: ${verdict.reason ?? "blocked"}`, {
      hint: verdict.conflicts?.length
        ? `resolve ${verdict.conflicts.join(", ")} in the worker's worktree, commit, and land again`
        : "fix it in the worker's worktree and land again",
    });
  }
  return {
    text: `${colors.green("landed")} ${name}: ${verdict.commits?.length ?? 0} commit(s) on ${verdict.target} (tip ${verdict.tip?.slice(0, 10)})`,
    json: verdict,
  };
}
