import { mkdirSync, readdirSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { gitIn, tempDir, writeFiles } from "../helpers/repo.js";
import { epicFiles, makeWorker } from "../helpers/workers.js";
import { callTool, httpClient, type Served, serveHttp, stdioClient, tally } from "./harness.js";

// Hostile input against the real server: every tool fuzzed with arbitrary arguments and path tricks
// by an admin and by a worker over both transports; malformed, oversized and unauthorised HTTP. Each
// must give a clear error (or a correct answer), never crash the server, never write outside the repo.

const TOOLS = ["plan_epic", "claim_task", "set_status", "land", "list_tasks", "get_task", "check_conflicts"];
const TRICKS = [
  "../../etc/passwd",
  "..",
  "/etc/passwd",
  "e-01-t1/../../x",
  "-rf",
  "--upload-pack=touch pwned",
  "e-01-t1\u0000",
  "e\nstatus: complete",
  " ",
  "",
  "C:\\windows",
  "%2e%2e%2f",
  "x".repeat(5_000),
  "jig://issues/../secrets",
  "<script>alert(1)</script>",
];
const ID_KEYS = ["id", "issue", "epic", "worker", "slug", "cursor", "assignee", "title", "status", "message"];

// Arguments: anything JSON, objects with the tools' own keys set to tricks or junk, and junk subtasks.
const junk = fc.oneof(
  fc.constantFrom(...TRICKS),
  fc.string({ maxLength: 60 }),
  fc.jsonValue({ maxDepth: 2 }),
);
const argsArb = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
  fc.dictionary(fc.constantFrom(...ID_KEYS), junk, { maxKeys: 4 }),
  fc.record(
    {
      epic: junk,
      subtasks: fc.array(
        fc.record(
          {
            title: junk,
            slug: junk,
            objective: junk,
            acceptanceCriteria: fc.array(junk, { maxLength: 2 }),
            depends: fc.array(junk, { maxLength: 2 }),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: [] },
  ),
);

let sandbox: string;
let root: string;
let served: Served;
let clients: { name: string; client: Client }[] = [];

beforeAll(async () => {
  sandbox = tempDir("jig-hostile-");
  root = join(sandbox, "repo");
  mkdirSync(root);
  gitIn(root, "init", "-q", "-b", "main");
  writeFiles(root, { "README.md": "# r\n", ...epicFiles("e", 3) });
  gitIn(root, "add", "-A");
  gitIn(root, "commit", "-q", "-m", "initial");
  gitIn(root, "branch", "feature/e");
  const ctx = await openContext({ root });
  const worker = await makeWorker(ctx, "e-01-t1");
  served = await serveHttp(root);
  clients = [
    { name: "admin/http", client: await httpClient(served.url, served.token) },
    { name: "worker/http", client: await httpClient(served.url, worker.token) },
    { name: "admin/stdio", client: await stdioClient(root) },
    { name: "worker/stdio", client: await stdioClient(root, worker.token) },
  ];
});

afterAll(async () => {
  await Promise.all(clients.map(({ client }) => client.close().catch(() => {})));
  served?.stop();
});

describe("hostile input", () => {
  it("fuzzes every tool's arguments as admin and worker over HTTP and stdio", async () => {
    let cases = 0;
    let errors = 0;
    for (const { client } of clients) {
      for (const tool of TOOLS) {
        await fc.assert(
          fc.asyncProperty(argsArb, async (args) => {
            cases++;
            const result = await callTool(client, tool, args);
            if (result.isError) {
              errors++;
              // Every refusal is one of jig's codes with a message and what to do, never a stack or a path.
              expect(result.text).toMatch(/^\[[A-Z_]+\] .+ — .+/s);
              expect(result.text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
              expect(result.text).not.toContain(sandbox);
            }
          }),
          { numRuns: 40, seed: 424242 },
        );
      }
    }
    // The server is still up for everyone, nothing was written outside the repository, and every
    // issue file there is still valid.
    for (const { client } of clients) await client.ping();
    expect(readdirSync(sandbox)).toEqual(["repo"]);
    const changed = [
      ...gitIn(root, "diff", "--name-only", "HEAD").split("\n"),
      ...gitIn(root, "ls-files", "--others", "--exclude-standard").split("\n"),
    ].filter((path) => path && !path.startsWith(".jig/"));
    for (const path of changed) expect(path).toMatch(/^issues\/[a-z0-9][a-z0-9-]*\.md$/);
    const { problems } = await (await openContext({ root })).issues.load();
    expect(problems).toEqual([]);
    tally("tool-fuzz", {
      cases,
      refusals: errors,
      transports: 2,
      identities: 2,
      tools: TOOLS.length,
      crashes: 0,
    });
  });

  it("refuses malformed, oversized and unauthorised HTTP with a clear status and JSON error", async () => {
    const mcp = `${served.origin}/mcp`;
    const auth = {
      Authorization: `Bearer ${served.token}`,
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
    };
    const init = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "0" } },
    });
    const cases: { name: string; init: RequestInit & { url?: string }; status: number[] }[] = [
      {
        name: "no token",
        init: { method: "POST", body: init, headers: { "Content-Type": "application/json" } },
        status: [401],
      },
      {
        name: "wrong token",
        init: { method: "POST", body: init, headers: { ...auth, Authorization: "Bearer worker.x.nope" } },
        status: [401],
      },
      {
        name: "basic auth",
        init: { method: "POST", body: init, headers: { ...auth, Authorization: "Basic YTpi" } },
        status: [401],
      },
      {
        name: "foreign Origin",
        init: { method: "POST", body: init, headers: { ...auth, Origin: "http://evil.example" } },
        status: [403],
      },
      {
        name: "Origin null",
        init: { method: "POST", body: init, headers: { ...auth, Origin: "null" } },
        status: [403],
      },
      { name: "not JSON", init: { method: "POST", body: "{not json", headers: auth }, status: [400] },
      {
        name: "JSON but not JSON-RPC",
        init: { method: "POST", body: '{"hello":1}', headers: auth },
        status: [400],
      },
      { name: "empty batch", init: { method: "POST", body: "[]", headers: auth }, status: [400] },
      {
        name: "huge body",
        init: { method: "POST", body: `{"x":"${"a".repeat(2 * 1024 * 1024)}"}`, headers: auth },
        status: [413],
      },
      {
        name: "deep nesting",
        init: { method: "POST", body: `${"[".repeat(5000)}${"]".repeat(5000)}`, headers: auth },
        status: [400],
      },
      {
        name: "unknown session",
        init: {
          method: "POST",
          body: init,
          headers: { ...auth, "mcp-session-id": "00000000-0000-0000-0000-000000000000" },
        },
        status: [404],
      },
      { name: "GET without session", init: { method: "GET", headers: auth }, status: [400] },
      { name: "DELETE without session", init: { method: "DELETE", headers: auth }, status: [400] },
      { name: "PUT", init: { method: "PUT", body: init, headers: auth }, status: [400, 405] },
      {
        name: "unknown path",
        init: { method: "GET", headers: auth, url: `${served.origin}/../../etc/passwd` },
        status: [401, 404],
      },
      {
        name: "traversal path",
        init: { method: "GET", headers: auth, url: `${served.origin}/%2e%2e/%2e%2e/etc/passwd` },
        status: [401, 404],
      },
      {
        name: "dashboard issue traversal",
        init: {
          method: "GET",
          headers: auth,
          url: `${served.origin}/dashboard/issues/..%2F..%2Fetc%2Fpasswd`,
        },
        status: [400, 404],
      },
    ];
    for (const c of cases) {
      const { url, ...init } = c.init;
      const response = await fetch(url ?? mcp, init);
      const body = await response.text();
      expect(c.status, `${c.name}: ${response.status} ${body.slice(0, 200)}`).toContain(response.status);
      expect(body, c.name).not.toContain("root:x:");
      expect(body, c.name).not.toMatch(/\n\s+at .+:\d+:\d+/);
    }
    // fetch() will not send a foreign Host header (DNS rebinding looks like this): node:http will.
    const rebinding = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        mcp,
        { method: "POST", headers: { ...auth, Host: "evil.example:80" } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on("error", reject);
      request.end(init);
    });
    expect(rebinding).toBe(403);
    // Still serving.
    const ok = await fetch(mcp, { method: "POST", body: init, headers: auth });
    expect(ok.status).toBe(200);
    tally("http-hostile", { requests: cases.length + 1, refusedCorrectly: cases.length + 1, crashes: 0 });
  });
});
