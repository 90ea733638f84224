// One worker's land, as a separate OS process (each real worker has its own stdio server process).
// argv: root worker. Prints "ready", waits for a line on stdin, lands, prints the verdict as JSON.
import { createInterface } from "node:readline";
import { openContext } from "../src/core/context.js";
import { requestLand, settleDrivers } from "../src/core/landing/index.js";

const [root, worker] = process.argv.slice(2);
if (!root || !worker) throw new Error("usage: landing-worker <root> <worker>");
const ctx = await openContext({ root });
// A bench killed mid-run must not leave 50 of these looping on land at full priority: once the
// parent is gone (this process re-parented), stop.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(2);
}, 1000).unref();
const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
await new Promise<void>((resolve) => lines.once("line", () => resolve()));
lines.close();
for (;;) {
  const verdict = await requestLand(ctx, worker, { waitMs: 25_000 });
  if (verdict.state === "landed" || verdict.state === "blocked") {
    await settleDrivers();
    process.stdout.write(`${JSON.stringify(verdict)}\n`);
    break;
  }
}
