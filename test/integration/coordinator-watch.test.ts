import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { issueToken, revokeToken } from "../../src/core/identity.js";
import { watchCoordinator } from "../../src/orchestrator/coordinator-watch.js";
import { CLI_ENTRY } from "../../src/version.js";
import { runCli } from "../helpers/cli.js";
import { background, waitFor } from "../helpers/epic.js";
import { freePort } from "../helpers/net.js";
import { gitRepo, tempDir } from "../helpers/repo.js";
import { epicFiles } from "../helpers/workers.js";

// How a remote worker's `jig worker` tells a coordinator that is gone from one that restarted, against
// a real `jig serve`: a restart within the bound is survived (the ping session is opened again after the
// restarted server forgets it); a coordinator killed for good is reported once the bound has passed; a
// revoked token is reported at once.

const stops: (() => void)[] = [];
const serves: ReturnType<typeof background>[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  for (const serve of serves.splice(0)) {
    serve.child.kill("SIGKILL");
    await serve.exited;
  }
});

/** A repository with worker w1's token, and `serve()` to start (or restart) `jig serve` on one port. */
async function coordinator(files?: Record<string, string>) {
  const root = gitRepo(files);
  expect(runCli(root, ["init"]).code).toBe(0);
  const ctx = await openContext({ root });
  const token = await issueToken(ctx.paths, "w1");
  const port = await freePort();
  const serve = async () => {
    const s = background(root, ["serve", "--port", String(port)]);
    serves.push(s);
    await waitFor(() => s.output().includes("MCP at"), "jig serve to listen", { dump: s.output });
    return s;
  };
  return { ctx, token, url: `http://127.0.0.1:${port}/mcp`, serve };
}

describe("watchCoordinator", () => {
  it("survives a restart within the bound, and reports a coordinator gone for good after it", {
    timeout: 120_000,
  }, async () => {
    const c = await coordinator();
    let serve = await c.serve();
    const said: string[] = [];
    const checks: (string | null)[] = [];
    stops.push(
      watchCoordinator({
        url: c.url,
        token: c.token,
        timeoutMs: 8_000, // a check every 2 s
        gone: (why) => said.push(why),
        checked: (outcome) => checks.push(outcome),
      }),
    );
    await waitFor(() => checks.includes(null), "a first answered check", {
      dump: () => JSON.stringify(checks),
    });
    // The coordinator restarts on the same port: it has forgotten the watch's session (404), which is
    // an answer; the next check opens a new session.
    serve.child.kill("SIGKILL");
    await serve.exited;
    serve = await c.serve();
    const before = checks.length;
    await waitFor(
      () => checks.slice(before).filter((outcome) => outcome === null).length >= 2,
      "two answered checks after the restart",
      { dump: () => JSON.stringify(checks), timeoutMs: 30_000 },
    );
    expect(said).toEqual([]);
    // Gone for good: reported once the 8 s have passed without an answer.
    serve.child.kill("SIGKILL");
    await serve.exited;
    await waitFor(() => said.length > 0, "the watch to report the coordinator gone", {
      dump: () => JSON.stringify(checks),
      timeoutMs: 30_000,
    });
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /^the coordinator at http:\/\/127\.0\.0\.1:\d+\/mcp has been unreachable for \d+ s \(/,
    );
    expect(checks.filter((outcome) => outcome !== null).length).toBeGreaterThanOrEqual(2);
  });

  it("reports a revoked token at its next check", { timeout: 90_000 }, async () => {
    const c = await coordinator();
    await c.serve();
    const said: string[] = [];
    const checks: (string | null)[] = [];
    stops.push(
      watchCoordinator({
        url: c.url,
        token: c.token,
        timeoutMs: 40_000, // a check every 10 s; the coordinator answers throughout
        gone: (why) => said.push(why),
        checked: (outcome) => checks.push(outcome),
      }),
    );
    await waitFor(() => checks.includes(null), "a first answered check", { timeoutMs: 30_000 });
    // Revoked while the watch's session is open: the next ping on it is refused.
    await revokeToken(c.ctx.paths, "w1");
    await waitFor(() => said.length > 0, "the watch to report the refused token", {
      dump: () => JSON.stringify(checks),
      timeoutMs: 50_000,
    });
    expect(said).toEqual([
      "the coordinator no longer accepts this session's token (killed, abandoned, cleaned or replaced by a new attempt)",
    ]);
    expect(checks.at(-1)).toBe("refused");
    expect(checks.filter((outcome) => outcome !== null)).toEqual(["refused"]);
  });
});

// The agent's side of the same restart: `jig worker-mcp` (its MCP server on the worker's machine) opens
// a new coordinator session when the restarted coordinator answers 404 for the one it forgot, and sends
// the request again, so the agent's next tool call just works.
describe("jig worker-mcp across a coordinator restart", () => {
  it("the agent's next call after a restart is answered", { timeout: 120_000 }, async () => {
    const { token, url, serve } = await coordinator({ ...epicFiles("e", 1) });
    let served = await serve();
    const place = tempDir("worker-");
    const client = new Client({ name: "agent", version: "0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI_ENTRY, "worker-mcp"],
        env: {
          ...(process.env as Record<string, string>),
          JIG_MCP_URL: url,
          JIG_TOKEN: token,
          JIG_WORKER_DIR: place,
          JIG_WORKER_NAME: "w1",
          JIG_WORKER_LOCK: join(place, "lock"),
        },
      }),
    );
    try {
      const list = async () => client.callTool({ name: "list_tasks", arguments: {} });
      expect((await list()).isError).toBeFalsy();
      served.child.kill("SIGKILL");
      await served.exited;
      served = await serve();
      const after = await list();
      expect(after.isError, JSON.stringify(after.content)).toBeFalsy();
      expect(JSON.stringify(after.structuredContent)).toContain("e-01");
    } finally {
      await client.close();
    }
  });
});
