import { spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { adminToken } from "../../src/core/identity.js";
import { CLI_ENTRY } from "../../src/version.js";
import { postMcp } from "../helpers/mcp.js";
import { gitIn, gitRepo, testEnv } from "../helpers/repo.js";
import { epicFiles, makeWorker } from "../helpers/workers.js";

function stdioClient(root: string, token?: string) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_ENTRY, "serve", "--stdio"],
    env: {
      ...(process.env as Record<string, string>),
      ...testEnv,
      JIG_ROOT: root,
      ...(token ? { JIG_TOKEN: token } : {}),
    },
    stderr: "pipe",
  });
  return { client: new Client({ name: "t", version: "0" }), transport };
}

async function startHttp(
  root: string,
  extra: string[] = [],
): Promise<{ url: string; token: string; stop: () => void }> {
  const child = spawn(process.execPath, [CLI_ENTRY, "serve", "--port", "0", ...extra], {
    cwd: root,
    env: { ...process.env, ...testEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`jig serve printed no URL: ${out}`)), 20_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /MCP at (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  const token = /token (\S+)/.exec(out)![1]!;
  return { url, token, stop: () => child.kill("SIGTERM") };
}

const text = (r: unknown) => ((r as CallToolResult).content[0] as { text: string }).text;

describe("stdio transport (built bin)", () => {
  it("speaks only JSON-RPC on stdout and exits when stdin closes", async () => {
    const root = gitRepo({ "README.md": "x\n", ...epicFiles("e", 2) });
    const child = spawn(process.execPath, [CLI_ENTRY, "serve", "--stdio"], {
      env: { ...process.env, ...testEnv, JIG_ROOT: root },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    const send = (msg: unknown) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
    });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    send({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "list_tasks", arguments: {} } });
    child.stdin.write("this is not json\n");
    send({
      jsonrpc: "2.0",
      id: 4,
      method: "tools/call",
      params: { name: "get_task", arguments: { id: "../../etc/passwd" } },
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (out.includes('"id":4')) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    child.stdin.end();
    expect(await exited).toBe(0);
    const lines = out.trim().split("\n");
    for (const line of lines) expect(JSON.parse(line).jsonrpc).toBe("2.0");
    const byId = new Map(
      lines
        .map((l) => JSON.parse(l))
        .filter((m) => m.id !== undefined)
        .map((m) => [m.id, m]),
    );
    expect(byId.get(2).result.tools.map((t: { name: string }) => t.name)).toContain("claim_task");
    expect(byId.get(3).result.content[0].text).toContain("2 task(s)");
    expect(byId.get(4).result.isError).toBe(true);
    expect(byId.get(4).result.content[0].text).toMatch(
      /^\[INVALID_INPUT\] issue reference "\.\.\/\.\.\/etc\/passwd" is not valid/,
    );
  });

  it("a worker identity from JIG_TOKEN may touch only its own task; a wrong token refuses to start", async () => {
    const root = gitRepo({ "README.md": "x\n", ...epicFiles("e", 2) });
    gitIn(root, "branch", "feature/e");
    const ctx = await openContext({ root });
    const w = await makeWorker(ctx, "e-01-t1");
    await makeWorker(ctx, "e-02-t2");
    const { client, transport } = stdioClient(root, w.token);
    await client.connect(transport);
    expect(text(await client.callTool({ name: "claim_task", arguments: {} }))).toContain(
      "Claimed task e-01-t1",
    );
    expect(text(await client.callTool({ name: "land", arguments: { worker: "e-02-t2" } }))).toMatch(
      /^\[FORBIDDEN\] worker 'e-01-t1' may land only its own branch/,
    );
    expect(
      text(await client.callTool({ name: "set_status", arguments: { status: "done", worker: "e-02-t2" } })),
    ).toMatch(/^\[FORBIDDEN\]/);
    await client.close();
    const bad = stdioClient(root, "worker.e-01-t1.forged-token-value-xxxxxxxx");
    await expect(bad.client.connect(bad.transport)).rejects.toThrow();
  });
});

describe("HTTP sessions expire when idle (jig serve --idle-timeout)", () => {
  it("an idle session is closed (its id then unknown, 404); a new session works", async () => {
    const root = gitRepo({ "README.md": "x\n", ...epicFiles("e", 1) });
    const server = await startHttp(root, ["--idle-timeout", "1"]);
    try {
      const connect = async () => {
        const transport = new StreamableHTTPClientTransport(new URL(server.url), {
          requestInit: { headers: { Authorization: `Bearer ${server.token}` } },
        });
        const client = new Client({ name: "t", version: "0" });
        await client.connect(transport);
        return { client, transport };
      };
      const idle = await connect();
      expect((await idle.client.listTools()).tools.length).toBe(7);
      const id = idle.transport.sessionId!;
      // The event: the server closes the expired session's event stream, and the client's reconnect is
      // answered 404 (its session is gone). No fixed sleep.
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`the idle session did not expire within 20 s; client saw: ${seen.join(" | ")}`)),
          20_000,
        );
        idle.client.onerror = (error) => {
          seen.push(String(error));
          if (/Failed to open SSE stream: Not Found/.test(String(error))) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      const stale = await postMcp(server.url, {
        token: server.token,
        session: id,
        body: { jsonrpc: "2.0", id: 9, method: "tools/list" },
      });
      expect(stale.status).toBe(404);
      expect(await stale.text()).toContain("unknown or expired session");
      const fresh = await connect();
      expect((await fresh.client.listTools()).tools.length).toBe(7);
      await fresh.client.close();
      await idle.client.close();
    } finally {
      server.stop();
    }
  });
});

describe("HTTP transport (jig serve)", () => {
  let root: string;
  let server: Awaited<ReturnType<typeof startHttp>>;
  beforeAll(async () => {
    root = gitRepo({ "README.md": "x\n", ...epicFiles("e", 3) });
    server = await startHttp(root);
  });
  afterAll(() => server?.stop());

  it("serves MCP sessions to a bearer-token holder", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { Authorization: `Bearer ${server.token}` } },
    });
    const client = new Client({ name: "t", version: "0" });
    await client.connect(transport);
    expect((await client.listTools()).tools.length).toBe(7);
    expect(text(await client.callTool({ name: "list_tasks", arguments: {} }))).toContain("3 task(s)");
    await client.close();
  });

  it("keeps an idle connection 30 s (Node's 5 s default cut clients reusing it: ECONNRESET under load)", async () => {
    const { request } = await import("node:http");
    const header = await new Promise<string | undefined>((resolve, reject) => {
      const req = request(server.url, { method: "GET", headers: { connection: "keep-alive" } }, (res) => {
        res.resume();
        resolve(res.headers["keep-alive"] as string | undefined);
      });
      req.on("error", reject);
      req.end();
    });
    expect(header).toBe("timeout=30");
  });

  it("refuses missing or wrong tokens (401), foreign Host/Origin (403), big bodies (413), unknown sessions (404)", async () => {
    const init = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "0" } },
    });
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const post = (extra: Record<string, string>, body = init) =>
      fetch(server.url, { method: "POST", headers: { ...headers, ...extra }, body });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: "Bearer nope" })).status).toBe(401);
    expect((await post({ authorization: `Bearer ${server.token}x` })).status).toBe(401);
    expect(
      (await post({ authorization: `Bearer ${server.token}`, origin: "http://evil.example" })).status,
    ).toBe(403);
    const big = await post(
      { authorization: `Bearer ${server.token}` },
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "x", params: { pad: "x".repeat(2 * 1024 * 1024) } }),
    );
    expect(big.status).toBe(413);
    expect(
      (await post({ authorization: `Bearer ${server.token}`, "mcp-session-id": "not-a-session" })).status,
    ).toBe(404);
    const malformed = await post({ authorization: `Bearer ${server.token}` }, "{ this is not json");
    expect(malformed.status).toBeGreaterThanOrEqual(400);
    expect(malformed.status).toBeLessThan(500);
    const ok = await post({ authorization: `Bearer ${server.token}` });
    expect(ok.status).toBe(200);
  });

  it("checks the Host header (DNS rebinding) with app.request, no port", async () => {
    const { createHttpApp } = await import("../../src/server/http.js");
    const ctx = await openContext({ root });
    const { app, close } = createHttpApp({ ctx });
    const token = await adminToken(ctx.paths);
    const res = await app.request("http://attacker.example/mcp", {
      method: "POST",
      headers: { host: "attacker.example", authorization: `Bearer ${token}` },
      body: "{}",
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      "Host 'attacker.example' is not allowed",
    );
    expect((await app.request("http://127.0.0.1/nope", { headers: { host: "127.0.0.1" } })).status).toBe(404);
    await close();
  });
});
