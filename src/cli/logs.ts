import { createReadStream, existsSync, statSync, watch } from "node:fs";
import { openContext } from "../core/context.js";
import { JigError } from "../core/errors.js";
import type { CommandIO, CommandOutput } from "./output.js";

export async function run(
  args: { worker: string; follow?: boolean },
  io: CommandIO,
): Promise<CommandOutput | undefined> {
  const ctx = await openContext({ cwd: io.cwd });
  const record = await ctx.workers.require(args.worker);
  if (!existsSync(record.logPath))
    throw new JigError("NOT_FOUND", `no log yet for '${record.name}'`, {
      hint: "the session may not have started; see `jig ps`",
    });
  let offset = 0;
  const pump = async () => {
    const size = statSync(record.logPath).size;
    if (size <= offset) return;
    await new Promise<void>((resolve) => {
      const stream = createReadStream(record.logPath, { start: offset, end: size - 1 });
      stream.on("data", (chunk) => io.write(chunk.toString()));
      stream.on("end", resolve);
      stream.on("error", () => resolve());
    });
    offset = size;
  };
  await pump();
  if (!args.follow) return undefined;
  await new Promise<void>((resolve) => {
    const watcher = watch(record.logPath, () => void pump());
    const timer = setInterval(() => void pump(), 1000);
    process.once("SIGINT", () => {
      watcher.close();
      clearInterval(timer);
      resolve();
    });
  });
  return undefined;
}
