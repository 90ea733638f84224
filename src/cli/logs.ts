import { existsSync, watch } from "node:fs";
import { open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { openContext } from "../core/context.js";
import { sessionRunning } from "../core/workers.js";
import { JigError } from "../errors.js";
import { redactSecrets } from "../lib/redact.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";
import { TranscriptRenderer } from "./render/transcript.js";

// `jig logs <worker> [-f] [--raw]`: the session log; with -f, what is appended too, until the session
// ends (the rest is printed, then the command exits 0) or the user interrupts it. Claude Code's
// stream-json is shown as a transcript (transcript.ts); --raw prints the log byte for byte.

export async function run(
  args: { worker: string; follow?: boolean; raw?: boolean },
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
  const transcript = new TranscriptRenderer();
  let partial = ""; // a line is rendered once whole: the rest of it may not be written yet
  const emit = (text: string, final = false) => {
    if (args.raw) return io.write(redactSecrets(text));
    const lines = (partial + text).split("\n");
    partial = final ? "" : lines.pop()!;
    const last = final ? lines.pop() : undefined;
    let out = lines.map((line) => transcript.render(line)).join("");
    // The end of a live log may be an event still being written: say so rather than print half of it.
    if (last)
      out += last.startsWith("{")
        ? `${colors.dim("… (an event still being written)")}\n`
        : transcript.render(last);
    // Whole lines go through the scrubber, so a token split across two reads is still caught.
    if (out.length > 0) io.write(redactSecrets(out));
  };
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
          emit(decoder.write(chunk.subarray(0, bytesRead)));
          offset += bytesRead;
        }
      } finally {
        await file.close();
      }
    });
    return reading;
  };
  const finish = () => emit(decoder.end(), true);
  await pump();
  if (!args.follow) {
    finish();
    return undefined;
  }
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
      void pump().then(() => {
        finish();
        resolve();
      });
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
