import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { loadEpicStats } from "../../src/core/epic-stats.js";
import { eventsDir, parseEvents, readEvents, recordEvent } from "../../src/core/events.js";
import { requestLand } from "../../src/core/landing/index.js";
import { call, connect } from "../helpers/mcp.js";
import { gitIn, gitRepo, testEnv } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";

const WRITER = join(import.meta.dirname, "..", "fixtures", "event-writer.mjs");

function writer(
  root: string,
  label: string,
  count: number,
): { child: ChildProcess; out: () => string; writing: Promise<void> } {
  const child = spawn(process.execPath, [WRITER, root, "e", String(count), label], {
    env: { ...process.env, ...testEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let sawWriting: () => void = () => {};
  const writing = new Promise<void>((resolve) => {
    sawWriting = resolve;
  });
  const take = (chunk: Buffer) => {
    out += chunk;
    if (out.includes("writing")) sawWriting();
  };
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  return { child, out: () => out, writing };
}
const exited = (child: ChildProcess) => new Promise((resolve) => child.on("exit", resolve));

async function setup(config: Record<string, unknown> = {}) {
  const root = gitRepo({ "README.md": "# r\n", "jig.json": JSON.stringify(config), ...epicFiles("e", 2) });
  gitIn(root, "branch", "feature/e");
  return { root, ctx: await openContext({ root }) };
}

describe("the per-epic event record", () => {
  it("keeps every event whole and in each writer's order with six processes appending at once", async () => {
    const { root, ctx } = await setup();
    const writers = Array.from({ length: 6 }, (_, i) => writer(root, `w${i}`, 150));
    await Promise.all(writers.map((w) => exited(w.child)));
    for (const w of writers) expect(w.out()).toContain("done");
    const record = await readEvents(ctx, "e");
    expect(record.skipped).toBe(0);
    expect(record.events).toHaveLength(900);
    for (let i = 0; i < 6; i++) {
      const mine = record.events.flatMap((e) =>
        e.type === "status" && e.worker === `w${i}` ? [Number(e.message!.split(" ")[1])] : [],
      );
      expect(mine).toEqual(Array.from({ length: 150 }, (_, n) => n));
    }
  });

  it("survives writers killed with SIGKILL mid-stream: no torn line, everything before the kill kept", async () => {
    const { root, ctx } = await setup();
    const writers = Array.from({ length: 3 }, (_, i) => writer(root, `k${i}`, 0));
    // Wait for each writer to say it is writing (its output event), not for a while.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(writers.map((w) => w.writing)),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`writers never started: ${writers.map((w) => w.out()).join(" | ")}`)),
          30_000,
        );
      }),
    ]);
    clearTimeout(timer);
    for (const w of writers) w.child.kill("SIGKILL");
    await Promise.all(writers.map((w) => exited(w.child)));
    const record = await readEvents(ctx, "e");
    expect(record.skipped).toBe(0);
    for (let i = 0; i < 3; i++) {
      const mine = record.events.flatMap((e) =>
        e.type === "status" && e.worker === `k${i}` ? [Number(e.message!.split(" ")[1])] : [],
      );
      expect(mine.length).toBeGreaterThan(20);
      expect(mine).toEqual(Array.from({ length: mine.length }, (_, n) => n));
    }
    // And a torn tail, as a power loss could leave it, is skipped while later appends still read.
    const live = join(eventsDir(ctx, "e"), "current.jsonl");
    writeFileSync(live, '{"v":1,"at":"2026', { flag: "a" });
    await recordEvent(ctx, { type: "merged", epic: "e", into: "main", tip: "abc" });
    const after = await readEvents(ctx, "e");
    expect(after.events.at(-1)).toMatchObject({ type: "merged", tip: "abc" });
    expect(after.events.length).toBe(record.events.length + 1);
  });

  it("is bounded: rotates past segmentBytes and keeps only `segments` files, saying the oldest are gone", async () => {
    const { root, ctx } = await setup({ events: { segmentBytes: 8192, segments: 3 } });
    await recordEvent(ctx, { type: "planned", epic: "e", target: "feature/e", tasks: [] });
    const writers = Array.from({ length: 3 }, (_, i) => writer(root, `r${i}`, 200));
    await Promise.all(writers.map((w) => exited(w.child)));
    const dir = eventsDir(ctx, "e");
    const files = readdirSync(dir).filter((name) => name.endsWith(".jsonl"));
    expect(files).toHaveLength(3);
    expect(files).toContain("current.jsonl");
    // A segment may pass the cap by the lines appended while it was being rotated, never by much.
    for (const file of files) expect(statSync(join(dir, file)).size).toBeLessThan(8192 + 8 * 1024);
    const record = await readEvents(ctx, "e");
    expect(record.skipped).toBe(0);
    expect(record.truncated).toBe(true);
    expect(record.events.length).toBeLessThan(601);
    expect((await loadEpicStats(ctx, "e")).record.truncated).toBe(true);
  });

  it("reads only what was appended since its last read, and always the same as reading afresh", async () => {
    const { ctx } = await setup({ events: { segmentBytes: 4096, segments: 4 } });
    const dir = eventsDir(ctx, "e");
    const afresh = () => {
      const names = readdirSync(dir).filter((n) => n.endsWith(".jsonl"));
      const ordered = [...names.filter((n) => n !== "current.jsonl").sort(), "current.jsonl"];
      return ordered.flatMap((n) => parseEvents(readFileSync(join(dir, n), "utf8")).events);
    };
    const status = (n: number) =>
      recordEvent(ctx, {
        type: "status",
        epic: "e",
        worker: "w",
        task: null,
        status: "working",
        message: `step ${n} ${"x".repeat(60)}`,
      });
    await recordEvent(ctx, { type: "planned", epic: "e", target: "feature/e", tasks: [] });
    // Read between appends, across rotations (4 KiB segments) and past the cap (4 kept).
    for (let n = 0; n < 150; n++) {
      await status(n);
      if (n % 7 === 0) expect((await readEvents(ctx, "e")).events).toEqual(afresh());
    }
    expect(readdirSync(dir).filter((n) => n.endsWith(".jsonl")).length).toBe(4);
    expect((await readEvents(ctx, "e")).events).toEqual(afresh());
    // A record removed and started again (its new file may reuse the old inode) is read afresh.
    rmSync(dir, { recursive: true });
    await status(1000);
    expect((await readEvents(ctx, "e")).events).toMatchObject([
      { type: "status", message: expect.stringMatching(/^step 1000 /) },
    ]);
  });

  it("records a task's claim, status, land request and landing from the tools and the landing driver", async () => {
    const { ctx } = await setup();
    const w = await makeWorker(ctx, "e-01-t1");
    const { client, close } = await connect(ctx, w.caller);
    try {
      expect((await call(client, "claim_task")).isError).toBe(false);
      expect((await call(client, "set_status", { status: "working" })).isError).toBe(false);
      commitIn(w.worktree, { "a.txt": "a\n" });
      expect(await requestLand(ctx, "e-01-t1")).toMatchObject({ state: "landed" });
    } finally {
      await close();
    }
    const { events } = await readEvents(ctx, "e");
    expect(events.map((e) => e.type)).toEqual(["claimed", "status", "land-queued", "land-started", "landed"]);
    for (const e of events) expect(e).toMatchObject({ epic: "e", worker: "e-01-t1", task: "e-01-t1" });
    const stats = await loadEpicStats(ctx, "e");
    expect(stats.tasks).toMatchObject([{ task: "e-01-t1", state: "landed", landAttempts: 1 }]);
    expect(stats.totals.landed).toBe(1);
  });

  it("records a real gate failure and the retry that landed: gate runs, the refusal, and the stats from them", async () => {
    const { ctx } = await setup({ gate: { command: "test ! -e bad.txt" } });
    const w = await makeWorker(ctx, "e-01-t1");
    commitIn(w.worktree, { "a.txt": "a\n", "bad.txt": "breaks the gate\n" });
    const refused = await requestLand(ctx, "e-01-t1");
    expect(refused).toMatchObject({ state: "blocked" });
    gitIn(w.worktree, "rm", "-q", "bad.txt");
    gitIn(w.worktree, "commit", "-q", "-m", "fix the gate");
    expect(await requestLand(ctx, "e-01-t1")).toMatchObject({ state: "landed" });

    const { events } = await readEvents(ctx, "e");
    const gates = events.filter((e) => e.type === "gate");
    expect(gates).toMatchObject([
      { workers: ["e-01-t1"], ok: false, timedOut: false },
      { workers: ["e-01-t1"], ok: true, timedOut: false },
    ]);
    for (const gate of gates) expect(gate.type === "gate" && gate.ms).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === "land-blocked")).toMatchObject([
      { worker: "e-01-t1", kind: "gate" },
    ]);
    const stats = await loadEpicStats(ctx, "e");
    expect(stats.tasks).toMatchObject([{ task: "e-01-t1", state: "landed", landAttempts: 2, gateRuns: 2 }]);
    expect(stats.totals).toMatchObject({ landed: 1, blockedLands: 1, gateRuns: 2, gateRunsPerLand: 2 });
    const gateMs = gates.reduce((sum, e) => sum + (e.type === "gate" ? e.ms : 0), 0);
    expect(stats.totals.gateMs).toBe(gateMs);
  });
});
