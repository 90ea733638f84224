import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { CLI_ENTRY } from "../../src/version.js";
import { runCli } from "../helpers/cli.js";
import { epicRepo, waitFor, writeAndLand } from "../helpers/epic.js";
import { INITIALIZE, postMcp } from "../helpers/mcp.js";
import { gitIn, gitRepo, issueFile, tempDir, testEnv } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";
import { callTool, httpClient, serveHttp, stdioClient, tally } from "./harness.js";

// Authority: worker A can never change or land worker B's task, over either transport.
// kill -9 of the server in the middle of plan_epic and of issue updates: no torn or lost file, no
// lock left held, and the next operation succeeds.

describe("authority", () => {
  it("worker A cannot claim, set the status of, land or check worker B's task, over stdio or HTTP", async () => {
    const root = gitRepo({ "README.md": "# r\n", ...epicFiles("e", 2) });
    gitIn(root, "branch", "feature/e");
    const ctx = await openContext({ root });
    const a = await makeWorker(ctx, "e-01-t1");
    const b = await makeWorker(ctx, "e-02-t2");
    commitIn(b.worktree, { "b.txt": "b\n" }, "work of b");
    const served = await serveHttp(root);
    const attempts: [string, Record<string, unknown>, RegExp][] = [
      ["claim_task", { issue: "e-02-t2" }, /^\[FORBIDDEN\] worker 'e-01-t1' may claim only its own task/],
      ["claim_task", { issue: "02" }, /^\[FORBIDDEN\]/],
      [
        "set_status",
        { worker: "e-02-t2", status: "done" },
        /^\[FORBIDDEN\] worker 'e-01-t1' may set only its own status/,
      ],
      ["set_status", { worker: "e-02-t2", status: "blocked", message: "x" }, /^\[FORBIDDEN\]/],
      ["land", { worker: "e-02-t2" }, /^\[FORBIDDEN\]/],
      [
        "check_conflicts",
        { worker: "e-02-t2" },
        /^\[FORBIDDEN\] worker 'e-01-t1' may check only its own branch/,
      ],
      ["plan_epic", { epic: "e", subtasks: [subtask(1)] }, /^\[FORBIDDEN\]/],
    ];
    let tried = 0;
    const clients: [string, Client][] = [
      ["stdio", await stdioClient(root, a.token)],
      ["http", await httpClient(served.url, a.token)],
    ];
    try {
      for (const [transport, client] of clients) {
        for (const [tool, args, expected] of attempts) {
          const result = await callTool(client, tool, args);
          tried++;
          expect(result.isError, `${transport} ${tool}`).toBe(true);
          expect(result.text, `${transport} ${tool}`).toMatch(expected);
        }
      }
      // B's task and branch are untouched, and B itself still can.
      const fresh = await openContext({ root });
      expect(await fresh.issues.get("e-02-t2")).toMatchObject({ status: "planned", assigned: "e-02-t2" });
      expect(gitIn(root, "rev-parse", "feature/e")).toBe(gitIn(root, "rev-parse", "main"));
      const own = await httpClient(served.url, b.token);
      expect((await callTool(own, "claim_task", {})).isError).toBe(false);
      await own.close();
      // An HTTP session opened by A cannot be used with B's token (session hijack).
      const init = await postMcp(served.url, { token: a.token, body: INITIALIZE });
      const session = init.headers.get("mcp-session-id")!;
      await init.text();
      const hijack = await postMcp(served.url, {
        token: b.token,
        session,
        body: { jsonrpc: "2.0", id: 2, method: "tools/list" },
      });
      expect(hijack.status).toBe(403);
      tried++;
      tally("authority", { attempts: tried, transports: 2, allowed: 0 });
    } finally {
      await Promise.all(clients.map(([, c]) => c.close().catch(() => {})));
      served.stop();
    }
  });
});

const subtask = (n: number) => ({
  title: `Task ${n}`,
  slug: `task-${n}`,
  objective: `Do ${n}.`,
  acceptanceCriteria: ["done"],
  depends: n > 1 ? [`task-${n - 1}`] : [],
});

/** Starts a stdio server, sends one tools/call, and SIGKILLs it after `delayMs`. */
function callThenKill(root: string, tool: string, args: unknown, delayMs: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_ENTRY, "serve", "--stdio"], {
      env: { ...process.env, ...testEnv, JIG_ROOT: root },
      stdio: ["pipe", "pipe", "ignore"],
    });
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes('"id":1') && !out.includes("sent")) {
        out += "sent";
        send({ jsonrpc: "2.0", method: "notifications/initialized" });
        send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: tool, arguments: args } });
        setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    });
    child.on("exit", () => resolve());
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "k", version: "0" } },
    });
  });
}

describe("kill -9 of the server mid-write", () => {
  it("during plan_epic, at many points: the plan is all there or not at all, and planning again works", async () => {
    const delays = [0, 1, 2, 3, 5, 8, 12, 20, 30, 50, 80, 120];
    let whole = 0;
    let none = 0;
    for (const delay of delays) {
      const root = gitRepo({
        "README.md": "# r\n",
        "issues/big.md": issueFile({ target: "feature/big" }, "# Big\n"),
      });
      const subtasks = Array.from({ length: 30 }, (_, i) => subtask(i + 1));
      await callThenKill(root, "plan_epic", { epic: "big", subtasks }, delay);
      const ctx = await openContext({ root });
      // Loading rolls a half-done journal forward and sweeps a dead writer's temp files.
      const { issues, problems } = await ctx.issues.load();
      expect(problems, `delay ${delay}`).toEqual([]);
      const planned = issues.filter((i) => i.kind === "subtask");
      expect([0, 30], `delay ${delay}: ${planned.length} subtasks`).toContain(planned.length);
      if (planned.length === 30) whole++;
      else none++;
      const leftovers = readdirSync(join(root, "issues")).filter((name) => name.startsWith(".jig-tmp-"));
      expect(leftovers, `delay ${delay}`).toEqual([]);
      // The lock is not wedged: the next write goes through at once (or plan again if nothing landed).
      if (planned.length === 30) await ctx.issues.update("big-01-task-1", () => ({ status: "blocked" }));
      else {
        const client = await stdioClient(root);
        const again = await callTool(client, "plan_epic", { epic: "big", subtasks });
        await client.close();
        expect(again.isError, again.text).toBe(false);
      }
    }
    tally("kill-plan-epic", {
      kills: delays.length,
      subtasksPerPlan: 30,
      wholePlans: whole,
      noPlan: none,
      torn: 0,
    });
  });

  it("during issue updates from many processes: every file whole, none lost, the next update succeeds", async () => {
    const root = gitRepo({ "README.md": "# r\n", ...epicFiles("e", 10) });
    const kills = 12;
    for (let i = 0; i < kills; i++) {
      const id = `e-${String((i % 10) + 1).padStart(2, "0")}-t${(i % 10) + 1}`;
      await callThenKill(root, "claim_task", { issue: id }, i * 3);
    }
    const ctx = await openContext({ root });
    const { issues, problems } = await ctx.issues.load();
    expect(problems).toEqual([]);
    expect(issues.filter((i) => i.kind === "subtask")).toHaveLength(10);
    for (const issue of issues.filter((i) => i.kind === "subtask"))
      expect(["planned", "in-progress"]).toContain(issue.status);
    await ctx.issues.update("e-01-t1", () => ({ status: "blocked" }));
    expect((await ctx.issues.get("e-01-t1")).status).toBe("blocked");
    tally("kill-issue-update", { kills, issues: 10, torn: 0, lost: 0 });
  });
});

describe("worker crash", () => {
  it("an agent killed with SIGKILL mid-task shows dead in jig ps, and jig run finishes its task", async () => {
    const go = join(tempDir(), "go");
    const root = epicRepo([
      {
        slug: "w",
        steps: [
          { status: "working", message: "halfway" },
          { waitForFile: go },
          ...writeAndLand("w.txt", "w\n"),
        ],
      },
    ]);
    expect(runCli(root, ["plan", "ep"]).code).toBe(0);
    expect(runCli(root, ["spawn", "--issue", "ep-01-w"]).code).toBe(0);
    const log = join(root, ".jig", "logs", "ep-01-w.log");
    await waitFor(
      () => existsSync(log) && readFileSync(log, "utf8").includes("waiting for"),
      "the agent to start",
    );
    const record = JSON.parse(readFileSync(join(root, ".jig", "workers", "ep-01-w.json"), "utf8"));
    process.kill(record.pid, "SIGKILL");
    await waitFor(() => {
      const ps = JSON.parse(runCli(root, ["ps", "--json"]).stdout);
      return ps.workers[0]?.alive === false && ps.workers[0]?.status === "dead";
    }, "jig ps to show the worker dead");
    // Plain text: CI=true turns colours on.
    expect(stripVTControlCharacters(runCli(root, ["ps"]).stdout)).toMatch(
      /ep-01-w dead:\n {2}its session ended without finishing \((killed by SIGKILL|process gone)\); jig run retries it/,
    );
    writeFileSync(go, "");
    const run = runCli(root, ["run", "ep"], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(runCli(root, ["issues", "show", "ep-01-w", "--json"]).stdout).status).toBe("complete");
    expect(gitIn(root, "show", "feature/ep:w.txt")).toBe("w");
    tally("worker-crash", { kills: 1, stuckTasks: 0 });
  });
});
