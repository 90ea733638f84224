import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CLI_ENTRY } from "../src/version.js";
import { benchRepo } from "./fixtures.js";
import { fmt, printTable, ratio, sample } from "./util.js";

// Tool latency over stdio and HTTP, beside the protocol's own `ping` on the same connection (the SDK's
// and transport's overhead): jig's own cost is the difference.

export async function startHttpServer(
  root: string,
): Promise<{ url: string; token: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [CLI_ENTRY, "serve", "--port", "0"], {
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

async function stdioClient(root: string): Promise<Client> {
  const client = new Client({ name: "bench", version: "0" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI_ENTRY, "serve", "--stdio"],
      env: { ...(process.env as Record<string, string>), JIG_ROOT: root },
    }),
  );
  return client;
}

export async function run(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const count of [10, 1_000, 10_000]) {
    const root = benchRepo(count);
    const http = await startHttpServer(root);
    for (const [transport, connect] of [
      ["stdio", () => stdioClient(root)],
      ["http", () => httpClient(http.url, http.token)],
    ] as const) {
      const client = await connect();
      const n = count >= 10_000 ? 30 : 200;
      const ping = await sample(() => client.ping(), { n });
      const list = await sample(() => client.callTool({ name: "list_tasks", arguments: { limit: 50 } }), {
        n,
      });
      const get = await sample(() => client.callTool({ name: "get_task", arguments: { id: "e0-01-task" } }), {
        n,
      });
      // claim + set_status change files: each claim takes a fresh task (admin claims the next ready one).
      const claims = Math.min(n, count);
      const claim = await sample(() => client.callTool({ name: "claim_task", arguments: {} }), {
        n: Math.floor(claims / 2),
        warmup: 0,
      });
      rows.push([
        count,
        transport,
        fmt(ping.p50),
        `${fmt(list.p50)} / ${fmt(list.p99)}`,
        `${fmt(get.p50)} / ${fmt(get.p99)}`,
        `${fmt(claim.p50)} / ${fmt(claim.p99)}`,
        ratio(list.p50, ping.p50),
      ]);
      await client.close();
    }
    http.stop();
    rmSync(root, { recursive: true, force: true });
  }
  printTable(
    "Tool latency (p50 / p99) beside the protocol ping on the same connection",
    ["issues", "transport", "ping p50", "list_tasks", "get_task", "claim_task", "list ÷ ping"],
    rows,
  );
}
