import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openContext } from "../../src/core/context.js";
import { enqueue, listQueue, queueDir } from "../../src/core/landing/queue.js";
import { gitIn, gitRepo, tempDir, testEnv } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";
import { callTool, httpClient, serveHttp } from "../reliability/harness.js";

// A process keeps the landing queue's listing in memory (landing/queue.ts) so that a land status poll
// does not read every queued worker's file. That must never answer stale: an entry added or removed by
// another process — another server, `jig land`, a driver elsewhere — is seen by the very next listing
// or poll. Each change below is made by a separate process, which answers once it is on disk.

const WRITER = join(import.meta.dirname, "..", "fixtures", "queue-writer.mjs");
const TARGET = "feature/e";

interface Writer {
  send(command: { op: "enqueue" | "dequeue" | "list"; worker?: string; target?: string }): Promise<unknown>;
  stop(): void;
}

function startWriter(root: string): Writer {
  const child: ChildProcess = spawn(process.execPath, [WRITER, root], {
    env: { ...process.env, ...testEnv },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const waiting: ((line: string) => void)[] = [];
  let out = "";
  child.stdout!.on("data", (chunk) => {
    out += chunk;
    const lines = out.split("\n");
    out = lines.pop()!;
    for (const line of lines) waiting.shift()?.(line);
  });
  return {
    send: (command) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the queue writer did not answer ${JSON.stringify(command)}: ${out}`)),
          30_000,
        );
        waiting.push((line) => {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        });
        child.stdin!.write(`${JSON.stringify({ target: TARGET, ...command })}\n`);
      }),
    stop: () => child.kill(),
  };
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const each of cleanup.splice(0)) each();
});

async function setup(count = 0, config?: Record<string, unknown>) {
  const files: Record<string, string> = { "README.md": "# r\n", ...epicFiles("e", count) };
  if (config) files["jig.json"] = JSON.stringify(config);
  const root = gitRepo(files);
  gitIn(root, "branch", TARGET);
  const ctx = await openContext({ root });
  const writer = startWriter(root);
  cleanup.push(() => writer.stop());
  const workers = async () => (await listQueue(ctx.paths, TARGET)).map((entry) => entry.worker);
  return { root, ctx, writer, workers };
}

/** Makes the queue directory look as if it last changed a minute ago: its listing is then trusted. */
function settle(dir: string): void {
  const past = new Date(Date.now() - 60_000);
  utimesSync(dir, past, past);
}

describe("the landing queue's listing kept in memory", () => {
  it("sees every entry another process adds or removes on the very next listing, however quickly they follow", async () => {
    const { writer, workers } = await setup();
    expect(await workers()).toEqual([]);
    const expected: string[] = [];
    for (let i = 0; i < 30; i++) {
      // An add, then a remove that leaves as many entries as before: within one timestamp tick of
      // the file system the directory's mtime and size can stay the same — the listing must still see it.
      await writer.send({ op: "enqueue", worker: `w${i}` });
      expected.push(`w${i}`);
      expect(await workers(), `added w${i}`).toEqual(expected);
      if (i % 3 === 2) {
        const gone = expected.splice(1, 1)[0]!;
        await writer.send({ op: "dequeue", worker: gone });
        expect(await workers(), `removed ${gone}`).toEqual(expected);
      }
    }
    // And the other way: what this process queues, the other process lists.
    const { ctx } = await setup();
    await enqueue(ctx.paths, "mine", TARGET);
    expect(await listQueue(ctx.paths, TARGET)).toHaveLength(1);
  });

  it("answers a queue that stood still from memory, and still sees the next change by another process", async () => {
    const { ctx, writer, workers } = await setup();
    await writer.send({ op: "enqueue", worker: "a" });
    await writer.send({ op: "enqueue", worker: "b" });
    const dir = queueDir(ctx.paths, TARGET);
    settle(dir);
    expect(await workers()).toEqual(["a", "b"]);
    // Queue files are never rewritten in place, so an unchanged directory is not read again: this
    // edit (which jig never makes) is not seen — the proof that a poll no longer reads each file.
    const [fileA] = readdirSync(dir).filter((name) => name.endsWith("-a.json"));
    writeFileSync(join(dir, fileA!), JSON.stringify({ request: "x", worker: "edited", target: TARGET }));
    expect(await workers()).toEqual(["a", "b"]);
    // An entry added by another process: the directory changed, the next listing has it.
    await writer.send({ op: "enqueue", worker: "c" });
    expect(await workers()).toEqual(["a", "b", "c"]);
    settle(dir);
    expect(await workers()).toEqual(["a", "b", "c"]);
    await writer.send({ op: "dequeue", worker: "b" });
    expect(await workers()).toEqual(["a", "c"]);
    // The backstop for whatever a stat cannot tell (here the in-place edit): everything is read
    // afresh once the listing is 10 s old.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 10_000 });
    try {
      expect(await workers()).toEqual(["edited", "c"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("sees a change that left the directory's mtime as it was (the ctime tells)", async () => {
    const { ctx, writer, workers } = await setup();
    await writer.send({ op: "enqueue", worker: "a" });
    const dir = queueDir(ctx.paths, TARGET);
    settle(dir);
    const before = statSync(dir);
    expect(await workers()).toEqual(["a"]);
    await writer.send({ op: "enqueue", worker: "b" });
    // As if the change fell in the same timestamp tick as the listing: mtime and atime put back.
    utimesSync(dir, before.atime, before.mtime);
    expect(await workers()).toEqual(["a", "b"]);
  });

  it("follows the queue directory when it is removed and made again", async () => {
    const { ctx, writer, workers } = await setup();
    await writer.send({ op: "enqueue", worker: "a" });
    const dir = queueDir(ctx.paths, TARGET);
    settle(dir);
    expect(await workers()).toEqual(["a"]);
    rmSync(dir, { recursive: true });
    expect(await workers()).toEqual([]);
    mkdirSync(dir);
    settle(dir);
    expect(await workers()).toEqual([]);
    await writer.send({ op: "enqueue", worker: "b" });
    expect(await workers()).toEqual(["b"]);
  });

  it("a worker polling land over HTTP sees its position move as another process adds and removes entries, then lands", async () => {
    const go = join(tempDir(), "go");
    // The gate holds the first batch until the test opens it.
    const gate = { command: `while [ ! -f '${go}' ]; do sleep 0.05; done`, timeoutSeconds: 120 };
    const { ctx, writer } = await setup(3, { gate });
    const id = (n: number) => `e-0${n}-t${n}`;
    const made = [];
    for (const n of [1, 2, 3]) {
      const worker = await makeWorker(ctx, id(n));
      commitIn(worker.worktree, { [`f${n}.txt`]: `${n}\n` });
      made.push(worker);
    }
    const server = await serveHttp(ctx.paths.root);
    cleanup.push(() => writeFileSync(go, ""), server.stop);
    const clients: Client[] = [];
    for (const worker of made) clients.push(await httpClient(server.url, worker.token));
    cleanup.push(() => void Promise.all(clients.map((c) => c.close().catch(() => {}))));
    const poll = async (n: number) => (await callTool(clients[n - 1]!, "land", { waitSeconds: 0 })).data;

    // The first land starts the server's driver, which takes it as a batch of one into the gate.
    expect(await poll(1)).toMatchObject({ state: "queued", position: 1 });
    const deadline = Date.now() + 60_000;
    for (let first = await poll(1); first?.state !== "landing"; first = await poll(1)) {
      if (Date.now() > deadline)
        throw new Error(`the first land never reached the gate: ${JSON.stringify(first)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Two more lands queued by another process (as `jig land` would).
    await writer.send({ op: "enqueue", worker: id(2) });
    await writer.send({ op: "enqueue", worker: id(3) });
    expect(await poll(3)).toMatchObject({ state: "queued", position: 3 });
    expect(await poll(2)).toMatchObject({ state: "queued", position: 2 });
    // Removed by another process: the very next poll says so.
    await writer.send({ op: "dequeue", worker: id(2) });
    expect(await poll(3)).toMatchObject({ state: "queued", position: 2 });
    // And back (behind the third now): polls show the new order at once.
    await writer.send({ op: "enqueue", worker: id(2) });
    expect(await poll(2)).toMatchObject({ state: "queued", position: 3 });
    expect(await poll(3)).toMatchObject({ state: "queued", position: 2 });
    // What the server queued, the other process lists.
    expect(await writer.send({ op: "list" })).toEqual({ workers: [id(1), id(3), id(2)] });

    writeFileSync(go, "");
    for (const n of [1, 2, 3]) {
      const verdict = (await callTool(clients[n - 1]!, "land", { waitSeconds: 30 })).data;
      expect(verdict, `worker ${n}`).toMatchObject({ state: "landed" });
    }
    expect(await writer.send({ op: "list" })).toEqual({ workers: [] });
  });
});
