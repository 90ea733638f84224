import { spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { CLI_ENTRY } from "../../src/version.js";
import { gitRepo, testEnv } from "../helpers/repo.js";
import { epicFiles } from "../helpers/workers.js";

// Many claimers at once — separate stdio server processes and HTTP sessions — from fewer tasks.
describe("claim race", () => {
  it("24 claimers (12 stdio processes + 12 HTTP sessions) and 10 tasks: each task claimed exactly once", async () => {
    const tasks = 10;
    const root = gitRepo({ "README.md": "x\n", ...epicFiles("e", tasks) });
    const server = spawn(process.execPath, [CLI_ENTRY, "serve", "--port", "0"], {
      cwd: root,
      env: { ...process.env, ...testEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const url = await new Promise<string>((resolve) => {
      server.stdout.on("data", (chunk) => {
        out += chunk;
        const match = /MCP at (http:\/\/\S+)/.exec(out);
        if (match && /token (\S+)/.test(out)) resolve(match[1]!);
      });
    });
    const token = /token (\S+)/.exec(out)![1]!;
    try {
      const clients: Client[] = [];
      for (let i = 0; i < 12; i++) {
        const client = new Client({ name: `stdio-${i}`, version: "0" });
        await client.connect(
          new StdioClientTransport({
            command: process.execPath,
            args: [CLI_ENTRY, "serve", "--stdio"],
            env: { ...(process.env as Record<string, string>), ...testEnv, JIG_ROOT: root },
          }),
        );
        clients.push(client);
        const http = new Client({ name: `http-${i}`, version: "0" });
        await http.connect(
          new StreamableHTTPClientTransport(new URL(url), {
            requestInit: { headers: { Authorization: `Bearer ${token}` } },
          }),
        );
        clients.push(http);
      }
      const results = await Promise.all(
        clients.map(async (client, i) => {
          const result = (await client.callTool({
            name: "claim_task",
            arguments: { epic: "e", ...{} },
          })) as CallToolResult;
          return { i, result };
        }),
      );
      const claimed = results
        .filter((r) => !r.result.isError)
        .map((r) => (r.result.structuredContent as { id: string }).id);
      const refused = results
        .filter((r) => r.result.isError)
        .map((r) => (r.result.content[0] as { text: string }).text);
      expect(claimed).toHaveLength(tasks);
      expect(new Set(claimed).size).toBe(tasks);
      expect(refused).toHaveLength(clients.length - tasks);
      for (const message of refused) expect(message).toMatch(/^\[NOT_FOUND\] no task is ready in epic 'e'/);
      const ctx = await openContext({ root });
      const issues = (await ctx.issues.list()).filter((i) => i.kind === "subtask");
      expect(issues.every((i) => i.status === "in-progress")).toBe(true);
      await Promise.all(clients.map((c) => c.close()));
    } finally {
      server.kill("SIGTERM");
    }
  });
});
