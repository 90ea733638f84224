import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { CLI_ENTRY } from "../../src/version.js";
import { testEnv } from "../helpers/repo.js";

// The reliability suite's shared parts: real servers (the built bin over stdio, `jig serve` over HTTP),
// real clients, and a tally of cases tried and faults injected that docs/reliability.md reports.

export interface Served {
  url: string;
  origin: string;
  token: string;
  stop: () => void;
}

export async function serveHttp(root: string): Promise<Served> {
  const child = spawn(process.execPath, [CLI_ENTRY, "serve", "--port", "0"], {
    cwd: root,
    env: { ...process.env, ...testEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`jig serve printed no URL: ${out}`)), 30_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /MCP at (http:\/\/\S+)/.exec(out);
      if (match && /token (\S+)/.test(out)) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  return {
    url,
    origin: new URL(url).origin,
    token: /token (\S+)/.exec(out)![1]!,
    stop: () => child.kill("SIGTERM"),
  };
}

export async function httpClient(url: string, token: string, name = "reliability"): Promise<Client> {
  const client = new Client({ name, version: "0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

export async function stdioClient(root: string, token?: string, name = "reliability"): Promise<Client> {
  const client = new Client({ name, version: "0" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI_ENTRY, "serve", "--stdio"],
      env: {
        ...(process.env as Record<string, string>),
        ...testEnv,
        JIG_ROOT: root,
        ...(token ? { JIG_TOKEN: token } : {}),
      },
      stderr: "ignore",
    }),
  );
  return client;
}

export async function callTool(client: Client, name: string, args: unknown) {
  const result = (await client.callTool({
    name,
    arguments: args as Record<string, unknown>,
  })) as CallToolResult;
  const text = result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
  return { isError: result.isError === true, text, data: result.structuredContent };
}

const TALLY_DIR = join(import.meta.dirname, "..", "..", "test-output", "reliability");

/** Records one section's counts (test-output/reliability/<section>.json) for docs/reliability.md. */
export function tally(section: string, counts: Record<string, number>): void {
  mkdirSync(TALLY_DIR, { recursive: true });
  writeFileSync(join(TALLY_DIR, `${section}.json`), `${JSON.stringify(counts, null, 2)}\n`);
}
