import { randomBytes } from "node:crypto";
import { readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { mkdirState, readJsonFile, writeFileAtomic } from "../../lib/fs.js";
import { isProcessAlive } from "../../lib/pid.js";
import { redactDeep } from "../../lib/redact.js";
import type { JigPaths } from "../paths.js";

// The landing queue and verdicts on disk: one small JSON file each, written atomically, so any process
// can enqueue, any lock holder can drain, and a crash loses nothing.

export interface QueueEntry {
  request: string;
  worker: string;
  target: string;
  enqueued: string;
  file: string;
}

// The land verdict is stored once, here (the worker's status file carries no copy), and read typed.
export const LandStateSchema = z.enum(["landed", "blocked", "queued", "landing"]);
export type LandState = z.infer<typeof LandStateSchema>;

export const LandVerdictSchema = z.object({
  state: LandStateSchema,
  worker: z.string(),
  target: z.string(),
  commits: z.array(z.string()).optional(),
  tip: z.string().optional(),
  conflicts: z.array(z.string()).optional(),
  reason: z.string().optional(),
  position: z.number().optional(),
  /** landed: the worker's branch commit that landed (the branch itself is left as the agent made it). */
  head: z.string().optional(),
  /** blocked on a conflict: each file with the kinds of conflict git reported. */
  conflictKinds: z.array(z.object({ file: z.string(), kinds: z.array(z.string()) })).optional(),
  /** blocked: the commands to run in the worker's worktree, with the real branch names. */
  fix: z.array(z.string()).optional(),
  /** blocked by a human's checkout of the target: its path. */
  checkout: z.string().optional(),
  /** blocked for touching jig's own paths: those files. */
  files: z.array(z.string()).optional(),
});
export type LandVerdict = z.infer<typeof LandVerdictSchema>;

export const StoredVerdictSchema = LandVerdictSchema.extend({ request: z.string(), at: z.string() });
export type StoredVerdict = z.infer<typeof StoredVerdictSchema>;

/** What a worker last landed: its branch commit, the new commits, the tip (so a land is never replayed). */
export interface LandedRecord {
  head: string;
  commits: string[];
  tip: string;
}

/** A file-name-safe key for a target branch (`feature/auth` → `feature%2Fauth`). */
export const targetKey = (target: string): string => encodeURIComponent(target);

export const queueDir = (paths: JigPaths, target: string): string =>
  join(paths.landDir, targetKey(target), "queue");
export const lockPath = (paths: JigPaths, target: string): string =>
  join(paths.landDir, targetKey(target), "driver");
export const batchFile = (paths: JigPaths, target: string): string =>
  join(paths.landDir, targetKey(target), "batch.json");
export const verdictDir = (paths: JigPaths): string => join(paths.landDir, "verdicts");
const verdictFile = (paths: JigPaths, worker: string): string => join(verdictDir(paths), `${worker}.json`);
const landedFile = (paths: JigPaths, worker: string): string =>
  join(paths.landDir, "landed", `${worker}.json`);

const arrivingDir = (paths: JigPaths, target: string): string =>
  join(paths.landDir, targetKey(target), "arriving");

/**
 * A land request on its way to the queue (its checks under way), so that a driver gathering a batch
 * waits for it rather than closing the batch a moment before it arrives. Returns the call that ends it
 * (once queued, or refused).
 */
export async function announceArrival(paths: JigPaths, target: string): Promise<() => Promise<void>> {
  const dir = arrivingDir(paths, target);
  await mkdirState(dir);
  const file = join(dir, `${process.pid}-${randomBytes(4).toString("hex")}`);
  await writeFile(file, "");
  return () => rm(file, { force: true });
}

/** Land requests still on their way to the queue: those of a live process, announced < 10 s ago. */
export async function countArrivals(paths: JigPaths, target: string): Promise<number> {
  const dir = arrivingDir(paths, target);
  const names = await readdir(dir).catch(() => [] as string[]);
  let count = 0;
  for (const name of names) {
    const pid = Number.parseInt(name, 10);
    const fresh = await stat(join(dir, name)).then(
      (s) => Date.now() - s.mtimeMs < 10_000,
      () => false,
    );
    if (fresh && isProcessAlive(pid)) count++;
    else if (!isProcessAlive(pid)) await rm(join(dir, name), { force: true });
  }
  return count;
}

export async function listQueue(paths: JigPaths, target: string): Promise<QueueEntry[]> {
  const dir = queueDir(paths, target);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith(".json")).sort();
  } catch {
    return [];
  }
  const entries = await Promise.all(
    names.map(async (name) => {
      const data = await readJsonFile<Omit<QueueEntry, "file">>(join(dir, name));
      return data ? { ...data, file: join(dir, name) } : null;
    }),
  );
  return entries.filter((entry): entry is QueueEntry => entry !== null);
}

/** Adds the worker to the target's queue unless it is already waiting there; returns its entry. */
export async function enqueue(paths: JigPaths, worker: string, target: string): Promise<QueueEntry> {
  const existing = (await listQueue(paths, target)).find((entry) => entry.worker === worker);
  if (existing) return existing;
  const dir = queueDir(paths, target);
  await mkdirState(dir);
  const request = randomBytes(8).toString("hex");
  const stamp = `${Date.now().toString().padStart(15, "0")}-${process.hrtime.bigint().toString().slice(-6)}`;
  const file = join(dir, `${stamp}-${worker}.json`);
  const entry = { request, worker, target, enqueued: new Date().toISOString() };
  await writeFileAtomic(file, JSON.stringify(entry));
  return { ...entry, file };
}

export async function dequeue(entry: QueueEntry): Promise<void> {
  await rm(entry.file, { force: true });
}

/** The worker's last verdict; a missing or malformed file reads as null. */
export async function readVerdict(paths: JigPaths, worker: string): Promise<StoredVerdict | null> {
  const parsed = StoredVerdictSchema.safeParse(await readJsonFile(verdictFile(paths, worker)));
  return parsed.success ? parsed.data : null;
}

export async function writeVerdict(paths: JigPaths, verdict: StoredVerdict): Promise<void> {
  // Gate output can echo the environment: no token reaches a verdict (lib/redact.ts).
  await writeFileAtomic(
    verdictFile(paths, verdict.worker),
    `${JSON.stringify(redactDeep(verdict), null, 2)}\n`,
  );
}

/** A removed worker's verdict and landed record (a later worker of the same name starts with neither). */
export async function removeLandRecords(paths: JigPaths, worker: string): Promise<void> {
  await rm(verdictFile(paths, worker), { force: true });
  await rm(landedFile(paths, worker), { force: true });
}

export async function readLanded(paths: JigPaths, worker: string): Promise<LandedRecord | null> {
  return readJsonFile<LandedRecord>(landedFile(paths, worker));
}

export async function writeLanded(paths: JigPaths, worker: string, landed: LandedRecord): Promise<void> {
  await mkdirState(join(paths.landDir, "landed"));
  await writeFileAtomic(landedFile(paths, worker), JSON.stringify(landed));
}
