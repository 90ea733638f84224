import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CLI_ENTRY } from "../src/version.js";
import { benchRepo, benchWorker } from "./fixtures.js";
import { fmt, printTable, ratio, sample } from "./util.js";

// Tool latency over stdio and HTTP, beside a no-op tool on the same server and connection (the SDK's
// and transport's own overhead): jig's own cost is the difference.

export async function startHttpServer(
  root: string,
  nodeFlags: readonly string[] = [],
): Promise<{ url: string; token: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [...nodeFlags, CLI_ENTRY, "serve", "--port", "0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const url = await new Promise<string>((resolve) => {
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /MCP at (http:\/\/\S+)/.exec(out);
      if (match && /token (\S+)/.test(out)) resolve(match[1]!);
    });
  });
  return { url, token: /token (\S+)/.exec(out)![1]!, pid: child.pid!, stop: () => child.kill("SIGTERM") };
}

export async function httpClient(url: string, token: string): Promise<Client> {
  const client = new Client({ name: "bench", version: "0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

async function stdioClient(root: string): Promise<{ client: Client; pid: number }> {
  const client = new Client({ name: "bench", version: "0" });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_ENTRY, "serve", "--stdio"],
    env: { ...(process.env as Record<string, string>), JIG_ROOT: root },
  });
  await client.connect(transport);
  return { client, pid: transport.pid! };
}

/** The CPU time (user + system) a process has used, in ms: on a loaded machine, steadier than wall time. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

export async function run(): Promise<void> {
  process.env.JIG_BENCH_NOOP = "1";
  const rows: (string | number)[][] = [];
  const both = (s: { p50: number; p99: number }) => `${fmt(s.p50)} / ${fmt(s.p99)}`;
  // JIG_BENCH_ISSUES=10000 measures only that many issues (a short run).
  const counts = process.env.JIG_BENCH_ISSUES?.split(",").map(Number) ?? [10, 1_000, 10_000];
  for (const count of counts) {
    const root = benchRepo(count);
    const worker = await benchWorker(root);
    const http = await startHttpServer(root);
    for (const [transport, connect] of [
      ["stdio", () => stdioClient(root)],
      ["http", async () => ({ client: await httpClient(http.url, http.token), pid: http.pid })],
    ] as const) {
      const { client, pid } = await connect();
      const n = count >= 10_000 ? 40 : 200;
      // Server CPU per call beside the wall time: the machine's load inflates the one, barely the other.
      const measure = async (fn: () => Promise<unknown>, options: { n: number; warmup?: number }) => {
        const warmup = options.warmup ?? Math.min(10, options.n);
        for (let i = 0; i < warmup; i++) await fn();
        const before = cpuMs(pid);
        const result = await sample(fn, { n: options.n, warmup: 0 });
        return { ...result, cpu: (cpuMs(pid) - before) / Math.max(1, options.n) };
      };
      const noop = await measure(() => client.callTool({ name: "noop", arguments: {} }), { n });
      const list = await measure(() => client.callTool({ name: "list_tasks", arguments: { limit: 50 } }), {
        n,
      });
      const status = await measure(
        () =>
          client.callTool({ name: "set_status", arguments: { worker, status: "working", message: "bench" } }),
        { n },
      );
      // Each claim takes a fresh task (the admin claims the next ready one), so at most `count` of them.
      const claim = await measure(() => client.callTool({ name: "claim_task", arguments: {} }), {
        n: Math.min(n, Math.floor((count - 1) / 2)),
        warmup: 0,
      });
      const cpu = (s: { cpu: number }) => fmt(s.cpu);
      rows.push([
        count,
        transport,
        both(noop),
        both(list),
        both(status),
        both(claim),
        fmt(list.p50 - noop.p50),
        ratio(claim.p50, noop.p50),
        `${cpu(noop)} / ${cpu(list)} / ${cpu(claim)}`,
      ]);
      await client.close();
    }
    http.stop();
    rmSync(root, { recursive: true, force: true });
  }
  printTable(
    "Tool latency (p50 / p99) beside a no-op tool on the same server and connection",
    [
      "issues",
      "transport",
      "noop",
      "list_tasks",
      "set_status",
      "claim_task",
      "list − noop",
      "claim ÷ noop",
      "server CPU/call noop / list / claim",
    ],
    rows,
  );
}
