import { randomBytes } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { mkdirState, readJsonFile, statKey, writeFileAtomic } from "../../lib/fs.js";
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

/**
 * What this process last listed of one queue directory. Queue files are never changed in place (each is
 * written once, by a rename, and later removed), so a file's entry is read once and kept by name, and
 * the names need reading again only when the directory itself changed: its (inode, mtime, ctime, size),
 * stat'ed before the names were read, is kept with them. That key is trusted only when the directory's
 * mtime was then at least RACY_MS old (a change in the same timestamp tick would not change it, as git's
 * "racily clean" index entries); and everything is read afresh at least every FULL_CHECK_MS, so no
 * oddity of clock or file system keeps an answer stale for longer. See docs/decisions.md.
 */
interface Listing {
  /** The directory's key when `names` were read; null: not to be trusted (changed too recently). */
  key: string | null;
  names: string[];
  /** Each file's entry (null: unreadable or gone), read once; a read in flight is shared. */
  files: Map<string, Promise<QueueEntry | null>>;
  /** The entries of `names`, once read (null while they are being read). */
  entries: QueueEntry[] | null;
  /** When this listing began: it is dropped FULL_CHECK_MS later, contents and all. */
  since: number;
}

const RACY_MS = 1_000;
const FULL_CHECK_MS = 10_000;
const listings = new Map<string, Listing>();

/**
 * The target's queue, oldest first. A poll of a queued land costs one `stat` of the queue directory
 * while the queue stands still, not one read per queued worker (a fan-out of 200 remote workers made
 * that O(workers²) per round); an entry added or removed by any process is seen by the next call.
 */
export async function listQueue(paths: JigPaths, target: string): Promise<QueueEntry[]> {
  const dir = queueDir(paths, target);
  const now = Date.now();
  let key: string;
  let mtimeMs: number;
  try {
    const info = statSync(dir, { bigint: true });
    key = statKey(info);
    mtimeMs = Number(info.mtimeMs);
  } catch {
    listings.delete(dir);
    return [];
  }
  let listing = listings.get(dir);
  if (!listing || now - listing.since >= FULL_CHECK_MS) {
    listing = { key: null, names: [], files: new Map(), entries: null, since: now };
    listings.set(dir, listing);
  }
  if (listing.key !== key) {
    let names: string[];
    try {
      names = readdirSync(dir)
        .filter((name) => name.endsWith(".json"))
        .sort();
    } catch {
      listings.delete(dir);
      return [];
    }
    const live = new Set(names);
    for (const name of listing.files.keys()) if (!live.has(name)) listing.files.delete(name);
    listing.names = names;
    listing.entries = null;
    // Stat'ed before the names were read: a change in between makes the next call read them again.
    listing.key = now - mtimeMs >= RACY_MS ? key : null;
  }
  if (listing.entries) return listing.entries.slice();
  const names = listing.names;
  const read = await Promise.all(names.map((name) => entryOf(listing, dir, name)));
  const entries = read.filter((entry): entry is QueueEntry => entry !== null);
  if (listing.names === names && read.every((entry) => entry !== null)) listing.entries = entries;
  return entries.slice();
}

function entryOf(listing: Listing, dir: string, name: string): Promise<QueueEntry | null> {
  const known = listing.files.get(name);
  if (known) return known;
  const file = join(dir, name);
  // Frozen: one entry object is handed to every caller while the file stands.
  const reading = readJsonFile<Omit<QueueEntry, "file">>(file).then((data) =>
    data ? Object.freeze({ ...data, file }) : null,
  );
  listing.files.set(name, reading);
  // Not kept: a file that could not be read (gone meanwhile, or not JSON) is read again next time.
  const forget = () => {
    if (listing.files.get(name) === reading) listing.files.delete(name);
  };
  reading.then((entry) => entry ?? forget(), forget);
  return reading;
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
