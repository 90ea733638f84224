import { describeKept } from "../core/backup.js";
import { openContext } from "../core/context.js";
import { ADMIN } from "../core/identity.js";
import { cleanWorkers } from "../core/lifecycle.js";
import type { CommandIO, CommandOutput } from "./output.js";

// `jig clean`: remove finished workers (records, worktrees, `_jig/` branches); never unlanded work unsaid.
export async function run(args: { epic?: string; force?: boolean }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const result = await cleanWorkers(ctx, ADMIN, { epic: args.epic, force: args.force });
  const lines = [
    `removed ${result.removed.length} finished worker(s)${result.removed.length ? `: ${result.removed.map((r) => r.worker).join(", ")}` : ""}`,
    ...result.removed.flatMap((r) => (r.kept ? [`  ${describeKept(r.kept)}`] : [])),
    ...result.unlanded.map(
      (u) =>
        `  kept ${u.worker}: ${[u.commits ? `${u.commits} commit(s) not on its target` : "", u.uncommitted.length ? `uncommitted ${u.uncommitted.join(", ")}` : ""].filter(Boolean).join(" and ")} — jig clean --force keeps them at a backup ref and removes it`,
    ),
    result.active.length ? `  left running or open: ${result.active.join(", ")}` : "",
    ...result.removed.flatMap((r) => r.notes.map((note) => `  ${note}`)),
    ...result.notes.map((note) => `  ${note}`),
  ].filter(Boolean);
  return { text: lines.join("\n"), json: result };
}
