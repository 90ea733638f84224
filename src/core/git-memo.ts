import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { mkdirState, sweepDeadWritersTemps, TEMP_PREFIX } from "../lib/fs.js";
import { changedFiles, type DiffStat, predictConflicts } from "./git-ops.js";

// Answers to git questions about fixed commits (the diff between two commits, the conflicts of merging
// two commits) never change. jig ps, jig status, the dashboard and set_status's early-conflict check ask
// them about every worker each time, so the answers are kept in `.jig/cache/git.json`, keyed by commit
// ids, and git is asked again only about commits it has not been asked about. It is only a cache: a
// missing, corrupt or concurrently overwritten file costs a recomputation, never a wrong answer
// (every entry is checked on read, and keys name commits, not branches).

const FORMAT = 1;
/** Enough for every worker of several large epics; older answers are dropped first. */
export const MEMO_MAX_ENTRIES = 2_000;

export class GitMemo {
  private entries: Map<string, unknown> | null = null;
  private loading: Promise<Map<string, unknown>> | null = null;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly fresh = new Map<string, unknown>();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly root: string,
    private readonly file: string,
    private readonly maxEntries = MEMO_MAX_ENTRIES,
  ) {}

  /** What commit `to` changed since its merge base with commit `from` (`git diff from...to`). */
  async changes(from: string, to: string): Promise<DiffStat & { names: string[] }> {
    assertCommitIds(from, to);
    return this.get(`changes ${from} ${to}`, isChanges, () => changedFiles(this.root, from, to));
  }

  /** What a linear run of commits changed together, `first` (oldest) to `last`: what a land put on a target. */
  async runChanges(first: string, last: string): Promise<DiffStat & { names: string[] }> {
    assertCommitIds(first, last);
    return this.get(`run ${first} ${last}`, isChanges, () => changedFiles(this.root, `${first}^`, last));
  }

  /** The files that merging commits `a` and `b` would conflict in (`git merge-tree`), none when clean. */
  async conflicts(a: string, b: string): Promise<string[]> {
    assertCommitIds(a, b);
    const [ours, theirs] = a < b ? [a, b] : [b, a]; // the same question either way round
    return this.get(`conflicts ${ours} ${theirs}`, isStringArray, () =>
      predictConflicts(this.root, ours, theirs),
    );
  }

  /** The remembered answer to `key` if it passes `valid`, else `compute()`'s, remembered. */
  private async get<T>(
    key: string,
    valid: (value: unknown) => value is T,
    compute: () => Promise<T>,
  ): Promise<T> {
    const entries = await this.load();
    const known = entries.get(key);
    if (valid(known)) return known;
    let pending = this.inFlight.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = compute().then((value) => {
        remember(entries, key, value, this.maxEntries);
        this.fresh.set(key, value);
        return value;
      });
      pending.finally(() => this.inFlight.delete(key)).catch(() => {});
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Writes what was learnt since the last flush, merged with what other processes wrote meanwhile. */
  flush(): Promise<void> {
    // One write at a time; a cache that cannot be written (read-only .jig, full disk) is not an error
    // for the caller, and does not stop later flushes.
    this.flushing = this.flushing.then(() => this.write()).catch(() => {});
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.fresh.size === 0) return;
    const learnt = [...this.fresh];
    this.fresh.clear();
    const onDisk = await readEntries(this.file);
    for (const [key, value] of learnt) remember(onDisk, key, value, this.maxEntries);
    const dir = dirname(this.file);
    await mkdirState(dir);
    const temp = `${dir}/${TEMP_PREFIX}git.json.${process.pid}.${randomBytes(4).toString("hex")}`;
    // No fsync: a cache lost in a power cut is recomputed.
    await writeFile(temp, JSON.stringify({ format: FORMAT, entries: Object.fromEntries(onDisk) }), {
      mode: 0o600,
    });
    await rename(temp, this.file).catch(async (error) => {
      await rm(temp, { force: true });
      throw error;
    });
    await sweepDeadWritersTemps(dir); // what writers killed mid-flush left
  }

  private load(): Promise<Map<string, unknown>> {
    if (this.entries) return Promise.resolve(this.entries);
    this.loading ??= readEntries(this.file).then((entries) => {
      this.entries = entries;
      return entries;
    });
    return this.loading;
  }
}

// Keys must name commits: a branch name's answer changes when the branch moves.
function assertCommitIds(...ids: string[]): void {
  for (const id of ids)
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id))
      throw new Error(`not a full commit id: ${JSON.stringify(id)}`);
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

const isChanges = (value: unknown): value is DiffStat & { names: string[] } => {
  const v = value as Partial<DiffStat & { names: unknown }> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    [v.added, v.removed, v.files].every((n) => Number.isSafeInteger(n) && (n as number) >= 0) &&
    isStringArray(v.names) &&
    v.names.length === v.files
  );
};

function remember(entries: Map<string, unknown>, key: string, value: unknown, max: number): void {
  entries.delete(key); // re-inserted last: the most recently learnt answers are kept
  entries.set(key, value);
  for (const oldest of entries.keys()) {
    if (entries.size <= max) break;
    entries.delete(oldest);
  }
}

async function readEntries(file: string): Promise<Map<string, unknown>> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as { format?: unknown; entries?: unknown };
    if (parsed?.format !== FORMAT || typeof parsed.entries !== "object" || parsed.entries === null)
      return new Map();
    return new Map(Object.entries(parsed.entries));
  } catch {
    return new Map();
  }
}
