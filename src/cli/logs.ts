import { existsSync, watch } from "node:fs";
import { open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { openContext } from "../core/context.js";
import { sessionRunning } from "../core/workers.js";
import { JigError } from "../errors.js";
import type { CommandIO, CommandOutput } from "./output.js";

// `jig logs <worker> [-f]`: the session log; with -f, what is appended too, until the session ends
// (the rest is printed, then the command exits 0) or the user interrupts it.

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
  const decoder = new StringDecoder("utf8"); // a character split across two reads is printed whole
  // Reads are chained: a change event and the poll must never print the same bytes twice.
  let reading = Promise.resolve();
  const pump = () => {
    reading = reading.then(async () => {
      const file = await open(record.logPath, "r").catch(() => null);
      if (!file) return;
      try {
        const chunk = Buffer.alloc(64 * 1024);
        for (;;) {
          const { bytesRead } = await file.read(chunk, 0, chunk.length, offset);
          if (bytesRead === 0) break;
          io.write(decoder.write(chunk.subarray(0, bytesRead)));
          offset += bytesRead;
        }
      } finally {
        await file.close();
      }
    });
    return reading;
  };
  await pump();
  if (!args.follow) return undefined;
  await new Promise<void>((resolve) => {
    const watcher = watch(record.logPath, () => void pump());
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      watcher.close();
      clearInterval(timer);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void pump().then(resolve);
    };
    // The poll also notices the end of the session (its record says exited, or its process is gone).
    const timer = setInterval(async () => {
      await pump();
      const current = await ctx.workers.get(record.name);
      if (!current || !sessionRunning(current)) stop();
    }, 250);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return undefined;
}
