// Just over 300 lines: the record's line format, its O_APPEND writes, rotation under the lock and the
// incremental reader all depend on the same segment layout, so they stay together.
import { closeSync, fstatSync, openSync, writeSync } from "node:fs";
import { open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { mkdirState } from "../lib/fs.js";
import { withLock } from "../lib/lock.js";
import { redactDeep } from "../lib/redact.js";
import type { JigContext } from "./context.js";
import { assertSafeId } from "./ids.js";

// The per-epic record of what happened: one JSON object per line in `.jig/events/<epic>/current.jsonl`,
// appended with one O_APPEND write per event, so concurrent writers (every worker's stdio server, the
// landing driver, supervisors, jig run) interleave whole lines and a kill -9 can never tear one. A torn
// tail (a power loss) is skipped on read. Bounded: past `segmentBytes` the live file is rotated to
// `<stamp>.jsonl` under a lock, and only the newest `segments` files are kept. Stats, alarms and the
// dashboard timeline are computed from this record, so they survive restarts.

const UsageSchema = z.object({
  costUsd: z.number().nullable(),
  inputTokens: z.number().nullable(),
  outputTokens: z.number().nullable(),
  turns: z.number().nullable(),
});

const Worker = { worker: z.string(), task: z.string().nullable() };

export const EventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("planned"),
    target: z.string(),
    tasks: z.array(z.object({ id: z.string(), depends: z.array(z.string()) })),
  }),
  z.object({ type: z.literal("spawned"), ...Worker, attempt: z.number(), agent: z.string() }),
  z.object({ type: z.literal("claimed"), ...Worker }),
  z.object({
    type: z.literal("status"),
    ...Worker,
    status: z.enum(["working", "blocked", "done"]),
    message: z.string().nullable(),
  }),
  z.object({ type: z.literal("land-queued"), ...Worker, request: z.string() }),
  z.object({ type: z.literal("land-started"), ...Worker, request: z.string() }),
  z.object({
    type: z.literal("landed"),
    ...Worker,
    request: z.string(),
    commits: z.number(),
    tip: z.string(),
  }),
  z.object({
    type: z.literal("land-blocked"),
    ...Worker,
    request: z.string(),
    /** conflict (files named), gate (the gate failed on the branch), other (dirty worktree, missing branch…). */
    kind: z.enum(["conflict", "gate", "other"]),
    reason: z.string(),
    files: z.array(z.string()),
  }),
  z.object({
    type: z.literal("gate"),
    /** The workers whose rebased branches the run covered (a batch prefix). */
    workers: z.array(z.string()),
    ok: z.boolean(),
    ms: z.number(),
    timedOut: z.boolean(),
  }),
  z.object({ type: z.literal("retry"), ...Worker, attempt: z.number(), reason: z.string() }),
  z.object({
    type: z.literal("session-ended"),
    ...Worker,
    code: z.number().nullable(),
    signal: z.string().nullable(),
    usage: UsageSchema.nullable(),
  }),
  z.object({
    type: z.literal("warning"),
    ...Worker,
    id: z.string(),
    files: z.array(z.string()),
    /** The land that caused it: the branch (and its worker) that moved the target, and the new tip. */
    cause: z.object({ worker: z.string(), branch: z.string(), tip: z.string() }),
  }),
  z.object({ type: z.literal("warning-delivered"), ...Worker, id: z.string(), tool: z.string() }),
  z.object({ type: z.literal("merged"), into: z.string(), tip: z.string() }),
]);

export type EventBody = z.infer<typeof EventSchema>;
export type EventType = EventBody["type"];
/** An event as stored: its body plus when, for which epic, and by which process. */
export type JigEvent = EventBody & { v: 1; at: string; epic: string; pid: number };
export type EventOf<T extends EventType> = Extract<JigEvent, { type: T }>;

const StoredSchema = z.object({ v: z.literal(1), at: z.string(), epic: z.string(), pid: z.number() });

/** Where an epic's record lives. */
export const eventsDir = (ctx: Pick<JigContext, "paths">, epic: string): string =>
  join(ctx.paths.jigDir, "events", assertSafeId(epic, "epic id"));
const LIVE = "current.jsonl";
/** Strings in an event are clipped so one line stays small (a gate's output can be megabytes). */
const MAX_STRING = 2_000;
const MAX_LIST = 200;

/**
 * Appends one event to an epic's record. The epic is taken from `epic`, else from the worker's registry
 * record (`worker`, or the first of `workers`, which also fills a null `task`); an event with no epic (an
 * ad-hoc worker) is not recorded.
 * Never throws: the record serves measures and alarms, and must not fail the land or tool that emits it.
 */
export async function recordEvent(
  ctx: Pick<JigContext, "paths" | "config" | "workers">,
  event: EventBody & { epic?: string | null },
): Promise<void> {
  try {
    let epic = event.epic;
    const body: Record<string, unknown> = { ...event };
    delete body.epic;
    if (epic === undefined) {
      const worker = "worker" in event ? event.worker : "workers" in event ? event.workers[0] : undefined;
      const record = worker ? await ctx.workers.get(worker).catch(() => null) : null;
      epic = record?.epic ?? null;
      if ("task" in event && event.task === null) body.task = record?.issue ?? null;
    }
    if (!epic) return;
    // Messages and gate output are agent-written: no token reaches the record (lib/redact.ts).
    const line = `${JSON.stringify(redactDeep(clip({ v: 1, at: new Date().toISOString(), epic, pid: process.pid, ...body })))}\n`;
    const dir = eventsDir(ctx, epic);
    await mkdirState(dir);
    const bytes = await appendLine(join(dir, LIVE), line);
    const limits = ctx.config.events;
    if (bytes > limits.segmentBytes) await rotate(dir, limits);
  } catch {
    // A full disk or a removed .jig/: the measures lose an event; the work goes on.
  }
}

/** One write(2) with O_APPEND: whole lines from concurrent writers, never interleaved; returns the file's size. */
async function appendLine(file: string, line: string): Promise<number> {
  // Synchronous: a short append to the page cache, where four trips through the thread pool cost more.
  const fd = openSync(file, "a", 0o600);
  try {
    const buffer = Buffer.from(line);
    for (let at = 0; at < buffer.length; ) at += writeSync(fd, buffer, at, buffer.length - at);
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

async function rotate(dir: string, limits: { segmentBytes: number; segments: number }): Promise<void> {
  await withLock(
    join(dir, "rotate"),
    async () => {
      // Another writer may have rotated while this one waited for the lock.
      const size = await stat(join(dir, LIVE)).then(
        (s) => s.size,
        () => 0,
      );
      if (size <= limits.segmentBytes) return;
      const stamp = `${Date.now().toString().padStart(15, "0")}-${process.pid}`;
      await rename(join(dir, LIVE), join(dir, `${stamp}.jsonl`));
      const old = (await segmentFiles(dir)).filter((name) => name !== LIVE);
      for (const name of old.slice(0, Math.max(0, old.length - (limits.segments - 1))))
        await rm(join(dir, name), { force: true });
    },
    { timeoutMs: 10_000 },
  );
}

/** The record's files, oldest first (rotated segments by stamp, the live file last). */
async function segmentFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const rotated = names.filter((n) => /^\d{15}-\d+\.jsonl$/.test(n)).sort();
  return names.includes(LIVE) ? [...rotated, LIVE] : rotated;
}

export interface EventRecord {
  events: JigEvent[];
  /** Lines that did not parse (a torn tail after a power loss, or a newer jig's event types). */
  skipped: number;
  /** True when older segments were dropped by the cap: the first events of the epic are gone. */
  truncated: boolean;
}

/** Reads an epic's whole record (every kept segment, oldest first); a missing record is empty. */
export async function readEvents(ctx: Pick<JigContext, "paths">, epic: string): Promise<EventRecord> {
  const dir = eventsDir(ctx, epic);
  const files = await segmentFiles(dir);
  const events: JigEvent[] = [];
  let skipped = 0;
  for (const name of files) {
    const parsed = await readSegment(join(dir, name));
    for (const event of parsed.events) events.push(event);
    skipped += parsed.skipped;
  }
  const truncated = events.length > 0 && events[0]!.type !== "planned" && files.length > 1;
  return { events, skipped, truncated };
}

// What this process already parsed of each segment file, by inode (a rotated segment is the old live
// file renamed, so it stays parsed): the whole lines up to `offset`. The record only grows by appends,
// so a read parses just the bytes appended since; a file that shrank or whose first bytes changed (an
// inode reused) is read afresh. Zod-checking every line is what reading a record costs.
interface ParsedSegment {
  head: string;
  offset: number;
  events: JigEvent[];
  skipped: number;
}
const parsedSegments = new Map<string, ParsedSegment>();
const HEAD_BYTES = 64;
const CACHED_SEGMENTS = 64;

async function readSegment(path: string): Promise<{ events: JigEvent[]; skipped: number }> {
  const handle = await open(path, "r").catch(() => null);
  if (!handle) return { events: [], skipped: 0 };
  try {
    const { size, dev, ino } = await handle.stat();
    const key = `${dev}:${ino}`;
    const first = Buffer.alloc(Math.min(HEAD_BYTES, size));
    await handle.read(first, 0, first.length, 0);
    const head = first.toString("latin1");
    let known = parsedSegments.get(key);
    if (!known || size < known.offset || !head.startsWith(known.head.slice(0, head.length)))
      known = { head, offset: 0, events: [], skipped: 0 };
    if (size === known.offset) return known;
    const chunk = Buffer.alloc(size - known.offset);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, known.offset);
    const read = chunk.subarray(0, bytesRead);
    // Whole lines are kept; a last line without its newline (a writer mid-append, or a torn fragment the
    // next append is glued to) is parsed now and read again next time.
    const whole = read.subarray(0, read.lastIndexOf(10) + 1);
    const parsed = parseEvents(whole.toString("utf8"));
    known = {
      head,
      offset: known.offset + whole.length,
      events: known.events.concat(parsed.events),
      skipped: known.skipped + parsed.skipped,
    };
    parsedSegments.delete(key);
    parsedSegments.set(key, known);
    if (parsedSegments.size > CACHED_SEGMENTS) parsedSegments.delete(parsedSegments.keys().next().value!);
    if (whole.length === read.length) return known;
    const tail = parseEvents(read.subarray(whole.length).toString("utf8"));
    return { events: known.events.concat(tail.events), skipped: known.skipped + tail.skipped };
  } finally {
    await handle.close();
  }
}

/** Parses JSON lines, skipping what does not parse; a line glued to a torn one is recovered. */
export function parseEvents(text: string): { events: JigEvent[]; skipped: number } {
  const events: JigEvent[] = [];
  let skipped = 0;
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    let event = parseLine(raw);
    // A writer that died mid-line (power loss) leaves a fragment the next append is glued to.
    if (!event) {
      const start = raw.lastIndexOf('{"v":1,');
      event = start > 0 ? parseLine(raw.slice(start)) : null;
      skipped++;
    }
    if (event) events.push(event);
  }
  return { events, skipped };
}

function parseLine(line: string): JigEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return null;
  }
  const stored = StoredSchema.safeParse(data);
  const body = EventSchema.safeParse(data);
  if (!stored.success || !body.success) return null;
  return { ...body.data, ...stored.data } as JigEvent;
}

function clip<T>(value: T): T {
  if (typeof value === "string")
    return (value.length > MAX_STRING ? `${value.slice(0, MAX_STRING - 1)}…` : value) as T;
  if (Array.isArray(value)) return value.slice(0, MAX_LIST).map(clip) as T;
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clip(v)])) as T;
  return value;
}

/** The event a land's final verdict records (landed, or blocked with its kind and files). */
export function verdictEvent(
  request: string,
  verdict: {
    state: string;
    worker: string;
    commits?: string[];
    tip?: string;
    conflicts?: string[];
    reason?: string;
  },
  record: { epic: string | null; issue: string | null } | null,
): EventBody & { epic?: string | null } {
  const who = {
    worker: verdict.worker,
    task: record?.issue ?? null,
    ...(record ? { epic: record.epic } : {}),
  };
  if (verdict.state === "landed")
    return { type: "landed", ...who, request, commits: verdict.commits?.length ?? 0, tip: verdict.tip ?? "" };
  const files = verdict.conflicts ?? [];
  const reason = verdict.reason ?? "landing failed";
  const kind = files.length > 0 ? "conflict" : reason.startsWith("the gate") ? "gate" : "other";
  return { type: "land-blocked", ...who, request, kind, reason, files };
}
