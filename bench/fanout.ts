import { readFileSync, rmSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { benchRepo } from "./fixtures.js";
import { httpClient, startHttpServer } from "./tools.js";
import { fmt, printTable, ratio, stats } from "./util.js";

// 50 concurrent HTTP sessions calling in a loop: throughput and p99 of list_tasks beside a no-op tool on
// the same sessions, and the server's memory (RSS) idle, with the sessions open, and at peak.
function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export async function run(): Promise<void> {
  process.env.JIG_BENCH_NOOP = "1";
  const root = benchRepo(1_000);
  const server = await startHttpServer(root);
  const idle = rssMiB(server.pid);
  const sessions = 50;
  const seconds = 8;
  const clients = await Promise.all(
    Array.from({ length: sessions }, () => httpClient(server.url, server.token)),
  );
  const withSessions = rssMiB(server.pid);
  let peak = withSessions;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(server.pid));
  }, 200);
  // Every session calls in a loop for `seconds`: first the no-op tool (the transport's ceiling), then list_tasks.
  const loop = async (name: string, args: Record<string, unknown>) => {
    const times: number[] = [];
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < deadline) {
          const start = performance.now();
          await client.callTool({ name, arguments: args });
          times.push(performance.now() - start);
        }
      }),
    );
    return stats(times);
  };
  const noop = await loop("noop", {});
  const list = await loop("list_tasks", { limit: 20 });
  clearInterval(sampler);
  const row = (label: string, s: { n: number; p50: number; p99: number }) => [
    label,
    s.n,
    (s.n / seconds).toFixed(0),
    fmt(s.p50),
    fmt(s.p99),
    ratio(noop.n, s.n),
  ];
  printTable(
    `Fan-out: ${sessions} concurrent HTTP sessions calling in a loop for ${seconds} s each, 1,000 issues`,
    ["tool", "calls", "calls/s", "p50", "p99", "noop ÷ this (throughput)"],
    [row("noop (baseline)", noop), row("list_tasks", list)],
  );
  process.stdout.write(
    `server RSS: ${idle.toFixed(0)} MiB idle, ${withSessions.toFixed(0)} MiB with ${sessions} sessions open, ${peak.toFixed(0)} MiB peak under load\n`,
  );
  await Promise.all(clients.map((c) => c.close()));
  server.stop();
  rmSync(root, { recursive: true, force: true });
}
