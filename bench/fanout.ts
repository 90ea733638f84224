import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { openContext } from "../src/core/context.js";
import { issueToken } from "../src/core/identity.js";
import { readJournal } from "../src/core/landing/journal.js";
import { batchFile } from "../src/core/landing/queue.js";
import { createWorktree } from "../src/core/worktrees.js";
import { killTree } from "../src/lib/exec.js";
import { NODE_FLAGS } from "../src/version.js";
import { benchRepo } from "./fixtures.js";
import { cpuMs, httpClient, startHttpServer } from "./tools.js";
import { fmt, printTable, ratio, type Stats, stats } from "./util.js";

// The coordinator's cost with many HTTP sessions: (1) 50 and 500 concurrent sessions calling in a
// loop — throughput and p50/p99 of list_tasks beside a no-op tool on the same sessions, and the
// server's memory (RSS) idle, with the sessions open, and at peak; (2) a fan-out of 200 remote-style
// workers, each its own identity and session, polling its land's status and list_tasks while their
// lands wait on a gate. Session caps are raised through jig.json's `http` setting, as a user would.

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

const SECONDS = Number(process.env.JIG_BENCH_FANOUT_SECONDS ?? 8);
const LIMITS = { maxSessions: 2_000, maxSessionsPerIdentity: 2_000, unusedSessionSeconds: 3_600 };

const progress = (what: string) => process.stderr.write(`fanout: ${what}\n`);

/** Opens `count` sessions, `batch` at a time (a burst of hundreds of initializes is its own test). */
async function openSessions(url: string, tokens: string[], batch = 25): Promise<Client[]> {
  const clients: Client[] = [];
  for (let i = 0; i < tokens.length; i += batch)
    clients.push(
      ...(await Promise.all(tokens.slice(i, i + batch).map((token) => connectRetrying(url, token)))),
    );
  return clients;
}

/**
 * Calls a tool; a request the server's keep-alive timeout cut (Node closes a connection idle for 5 s,
 * and on a loaded machine the client can reuse it at that moment: "other side closed") is sent again
 * and counted, so the run goes on and says how often it happened.
 */
let resent = 0;
async function callRetrying(client: Client, name: string, args: Record<string, unknown>) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.callTool({ name, arguments: args });
    } catch (error) {
      if (attempt >= 2 || !cutByKeepAlive(error)) throw error;
      resent++;
    }
  }
}

// undici reports the cut as UND_ERR_SOCKET when it reads the close, ECONNRESET when it writes first.
const cutByKeepAlive = (error: unknown): boolean =>
  ["UND_ERR_SOCKET", "ECONNRESET"].includes((error as { cause?: { code?: string } }).cause?.code ?? "");

async function connectRetrying(url: string, token: string): Promise<Client> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await httpClient(url, token);
    } catch (error) {
      if (attempt >= 2 || !cutByKeepAlive(error)) throw error;
      resent++;
    }
  }
}

/** The land states the polls saw (queued, landing…): the fan-out row says what it measured. */
const seen = new Map<string, number>();

/** Every client calls in a loop for SECONDS; `pick` chooses each call (by client and turn). */
async function loop(
  clients: Client[],
  pick: (client: number, turn: number) => { name: string; args: Record<string, unknown>; kind: string },
): Promise<Map<string, Stats>> {
  const times = new Map<string, number[]>();
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    clients.map(async (client, index) => {
      for (let turn = 0; performance.now() < deadline; turn++) {
        const { name, args, kind } = pick(index, turn);
        const start = performance.now();
        const result = await callRetrying(client, name, args);
        if (result.isError)
          throw new Error(`${name} failed: ${JSON.stringify(result.content).slice(0, 300)}`);
        const state = (result.structuredContent as { state?: string } | undefined)?.state;
        if (name === "land" && state) seen.set(state, (seen.get(state) ?? 0) + 1);
        if (!times.has(kind)) times.set(kind, []);
        times.get(kind)!.push(performance.now() - start);
      }
    }),
  );
  return new Map([...times].map(([kind, list]) => [kind, stats(list)]));
}

function sampler(pid: number, start: number) {
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid));
  }, 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssMiB(pid));
  };
}

async function sessionsRows(): Promise<void> {
  const root = benchRepo(1_000);
  writeFileSync(join(root, "jig.json"), JSON.stringify({ http: LIMITS }));
  const rows: (string | number)[][] = [];
  const memory: string[] = [];
  // `jig serve` as a person starts it (it sets NODE_FLAGS on itself at start) beside the command line
  // jig starts its own servers with (NODE_FLAGS given to node, in effect from the first allocation).
  for (const [sessions, flags] of [
    [50, []],
    [50, NODE_FLAGS],
    [500, []],
    [500, NODE_FLAGS],
  ] as const) {
    const server = await startHttpServer(root, flags);
    const label = `${sessions}, ${flags.length > 0 ? `node ${flags.join(" ")}` : "jig serve"}`;
    try {
      const idle = rssMiB(server.pid);
      const clients = await openSessions(
        server.url,
        Array.from({ length: sessions }, () => server.token),
      );
      const open = rssMiB(server.pid);
      const stop = sampler(server.pid, open);
      progress(`${sessions} sessions open; noop loop`);
      const noop = (await loop(clients, () => ({ name: "noop", args: {}, kind: "noop" }))).get("noop")!;
      progress("list_tasks loop");
      const list = (
        await loop(clients, () => ({ name: "list_tasks", args: { limit: 20 }, kind: "list" }))
      ).get("list")!;
      const peak = stop();
      const row = (tool: string, s: Stats) => [
        label,
        tool,
        s.n,
        (s.n / SECONDS).toFixed(0),
        fmt(s.p50),
        fmt(s.p99),
        ratio(noop.n, s.n),
      ];
      rows.push(row("noop (baseline)", noop), row("list_tasks", list));
      memory.push(
        `${label} sessions: server RSS ${idle.toFixed(0)} MiB idle, ${open.toFixed(0)} MiB with them open ` +
          `(${(((open - idle) * 1024) / sessions).toFixed(0)} KiB each), ${peak.toFixed(0)} MiB peak under load`,
      );
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    } finally {
      server.stop();
    }
  }
  rmSync(root, { recursive: true, force: true });
  printTable(
    `Sessions: N concurrent HTTP sessions calling in a loop for ${SECONDS} s each, 1,000 issues`,
    ["sessions", "tool", "calls", "calls/s", "p50", "p99", "noop ÷ this (throughput)"],
    rows,
  );
  for (const line of memory) process.stdout.write(`${line}\n`);
  if (resent > 0) process.stdout.write(`(${resent} calls sent again after a keep-alive connection closed)\n`);
}

// 200 workers with their own identity, branch (one commit on a file of its own) and session; one
// clean worktree shared by their records (the coordinator checks it is clean; a remote worker's
// would be elsewhere). Their lands queue behind a gate that outlasts the run, so every land call is
// the status poll a remote worker makes while it waits.
async function fanoutRows(): Promise<void> {
  const workers = Number(process.env.JIG_BENCH_FANOUT_WORKERS ?? 200);
  const root = benchRepo(1_000);
  writeFileSync(
    join(root, "jig.json"),
    JSON.stringify({ http: LIMITS, gate: { command: "sleep 300", timeoutSeconds: 600 } }),
  );
  const git = (args: string[], input?: string) =>
    execFileSync("git", args, { cwd: root, input, stdio: [input ? "pipe" : "ignore", "pipe", "ignore"] });
  git(["branch", "feature/e0"]);
  // One fast-import makes every worker's branch: one commit each adding its own file.
  const stream = Array.from(
    { length: workers },
    (_, i) =>
      `commit refs/heads/_jig/w${i}\ncommitter bench <bench@jig.local> 1700000000 +0000\ndata 6\nwork ${String(i % 10)}\nfrom refs/heads/feature/e0\nM 644 inline w${i}.txt\ndata 2\n${i % 10}\n\n`,
  ).join("");
  git(["fast-import", "--quiet"], stream);
  const ctx = await openContext({ root });
  const shared = await createWorktree(ctx, { name: "shared", from: "feature/e0" });
  mkdirSync(ctx.paths.logsDir, { recursive: true });
  const tokens: string[] = [];
  for (let i = 0; i < workers; i++) {
    const name = `w${i}`;
    await ctx.workers.save({
      name,
      kind: "task",
      issue: `e0-${String((i % 50) + 1).padStart(2, "0")}-task`,
      epic: "e0",
      branch: `_jig/${name}`,
      target: "feature/e0",
      worktree: shared.path,
      agent: "bench",
      pid: null,
      started: new Date().toISOString(),
      logPath: join(ctx.paths.logsDir, `${name}.log`),
      exited: null,
      attempt: 1,
      usage: null,
    });
    tokens.push(await issueToken(ctx.paths, name));
  }
  const server = await startHttpServer(root);
  try {
    await measureFanout(server, tokens, workers, batchFile(ctx.paths, "feature/e0"));
  } finally {
    // A stopped server waits for its landing driver, here a gate that outlasts the run: the server is
    // killed, and its gate with it (by the pid in the batch journal, as the next driver would).
    process.kill(server.pid, "SIGKILL");
    killTree((await readJournal(batchFile(ctx.paths, "feature/e0")))?.gatePid);
    // The landing driver may still be writing under .jig/ as the server goes.
    try {
      rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch (error) {
      progress(`left ${root}: ${(error as Error).message}`);
    }
  }
}

async function measureFanout(
  server: Awaited<ReturnType<typeof startHttpServer>>,
  tokens: string[],
  workers: number,
  journal: string,
): Promise<void> {
  const idle = rssMiB(server.pid);
  const clients = await openSessions(server.url, tokens);
  // Each worker asks to land once (its land queues behind the gate); from then on `land` is a poll.
  for (let i = 0; i < clients.length; i += 25)
    await Promise.all(
      clients.slice(i, i + 25).map((c) => c.callTool({ name: "land", arguments: { waitSeconds: 0 } })),
    );
  // The first batch is rebased (git processes) before its gate starts: measured only once it waits.
  for (const started = Date.now(); !(await readJournal(journal))?.gatePid; ) {
    if (Date.now() - started > 120_000) throw new Error("the landing driver never started its gate");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Connections idle meanwhile were closed (keep-alive): opened again before anything is timed.
  await Promise.all(clients.map((client) => callRetrying(client, "noop", {})));
  const open = rssMiB(server.pid);
  const stop = sampler(server.pid, open);
  // The server's CPU per call beside the wall time: a busy machine inflates the one, barely the other.
  const cpuBefore = cpuMs(server.pid);
  const noop = (await loop(clients, () => ({ name: "noop", args: {}, kind: "noop" }))).get("noop")!;
  const cpuNoop = cpuMs(server.pid);
  const polled = await loop(clients, (index, turn) =>
    (index + turn) % 2 === 0
      ? { name: "land", args: { waitSeconds: 0 }, kind: "land" }
      : { name: "list_tasks", args: { limit: 20 }, kind: "list" },
  );
  const cpuPolled = cpuMs(server.pid);
  const peak = stop();
  const none = { n: 0, p50: Number.NaN, p99: Number.NaN, mean: Number.NaN };
  const land = polled.get("land") ?? none;
  const list = polled.get("list") ?? none;
  const all = land.n + list.n;
  printTable(
    `Fan-out: ${workers} remote-style workers (an identity and HTTP session each) polling land's status and list_tasks for ${SECONDS} s, lands waiting on a gate, 1,000 issues`,
    ["calls", "calls", "calls/s", "p50", "p99", "noop ÷ this (throughput)", "server CPU a call"],
    [
      [
        "noop (baseline)",
        noop.n,
        (noop.n / SECONDS).toFixed(0),
        fmt(noop.p50),
        fmt(noop.p99),
        "1.00×",
        fmt((cpuNoop - cpuBefore) / Math.max(1, noop.n)),
      ],
      [
        "land (status) + list_tasks",
        all,
        (all / SECONDS).toFixed(0),
        `land ${fmt(land.p50)}, list ${fmt(list.p50)}`,
        `land ${fmt(land.p99)}, list ${fmt(list.p99)}`,
        ratio(noop.n, all),
        fmt((cpuPolled - cpuNoop) / Math.max(1, all)),
      ],
    ],
  );
  process.stdout.write(
    `land polls answered: ${[...seen].map(([state, n]) => `${state} ${n}`).join(", ")}\n` +
      `${workers} worker sessions: server RSS ${idle.toFixed(0)} MiB idle, ${open.toFixed(0)} MiB with them open, ${peak.toFixed(0)} MiB peak under load\n`,
  );
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
}

export async function run(): Promise<void> {
  process.env.JIG_BENCH_NOOP = "1";
  const only = process.env.JIG_BENCH_FANOUT_ONLY;
  if (only !== "workers") await sessionsRows();
  if (only !== "sessions") await fanoutRows();
}
