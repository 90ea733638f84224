import { describeKept } from "../core/backup.js";
import { openContext } from "../core/context.js";
import { ADMIN } from "../core/identity.js";
import { abandonEpic, abandonTask } from "../core/lifecycle.js";
import type { CommandIO, CommandOutput } from "./output.js";

// `jig abandon <task|epic>`: stop its sessions, keep every commit at a backup ref, mark it cancelled.
export async function run(args: { name: string }, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const issue = await ctx.issues.get(args.name);
  const result =
    issue.kind === "epic" ? await abandonEpic(ctx, ADMIN, issue.id) : await abandonTask(ctx, ADMIN, issue.id);
  const lines = [
    `abandoned ${issue.kind === "epic" ? `epic ${issue.id} (${result.tasks.length} open task(s))` : issue.id}` +
      (result.stopped.length ? `; stopped ${result.stopped.join(", ")}` : ""),
    ...result.kept.map((kept) => `  ${describeKept(kept)}`),
    ...result.notes.map((note) => `  ${note}`),
    result.tasks.length ? `bring a task back with jig retry <task>` : "",
  ].filter(Boolean);
  return { text: lines.join("\n"), json: result };
}
