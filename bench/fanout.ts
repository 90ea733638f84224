import { readFileSync, rmSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { benchRepo } from "./fixtures.js";
import { httpClient, startHttpServer } from "./tools.js";
import { fmt, printTable, stats } from "./util.js";

// 50 concurrent HTTP sessions calling list_tasks in a loop: throughput, p99, server memory.
function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export async function run(): Promise<void> {
  const root = benchRepo(1_000);
  const server = await startHttpServer(root);
  const idle = rssMiB(server.pid);
  const sessions = 50;
  const seconds = 10;
  const clients = await Promise.all(
    Array.from({ length: sessions }, () => httpClient(server.url, server.token)),
  );
  const withSessions = rssMiB(server.pid);
  const times: number[] = [];
  let peak = withSessions;
  const deadline = performance.now() + seconds * 1000;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(server.pid));
  }, 200);
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < deadline) {
        const start = performance.now();
        await client.callTool({ name: "list_tasks", arguments: { limit: 20 } });
        times.push(performance.now() - start);
      }
    }),
  );
  clearInterval(sampler);
  const s = stats(times);
  printTable(
    `Fan-out: ${sessions} concurrent HTTP sessions, list_tasks over 1,000 issues, ${seconds} s`,
    ["calls", "calls/s", "p50", "p99", "RSS idle", "RSS 50 sessions", "RSS peak"],
    [
      [
        s.n,
        (s.n / seconds).toFixed(0),
        fmt(s.p50),
        fmt(s.p99),
        `${idle.toFixed(0)} MiB`,
        `${withSessions.toFixed(0)} MiB`,
        `${peak.toFixed(0)} MiB`,
      ],
    ],
  );
  await Promise.all(clients.map((c) => c.close()));
  server.stop();
  rmSync(root, { recursive: true, force: true });
}
