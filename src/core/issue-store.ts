// Over 300 lines on purpose: the per-file read cache, the change watch that says when that cache can be
// trusted, and the locked, journaled writes keep one promise together (a read never misses an edit that
// finished before it was asked for); split apart, each part would have to reach into the others' state.
import { randomBytes } from "node:crypto";
import { type BigIntStats, readdirSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { JigError, toJigError } from "../errors.js";
import {
  mkdirState,
  readJsonFile,
  readTextFile,
  readTextFileSync,
  statKey,
  sweepDeadWritersTempsSync,
  TEMP_PREFIX,
  writeFileAtomic,
} from "../lib/fs.js";
import { withLock } from "../lib/lock.js";
import { renew, subscribe } from "../lib/watch.js";
import { checkGraph } from "./graph.js";
import { type ResolveOptions, resolveReference } from "./ids.js";
import { applyPatch, type Issue, type IssuePatch, MAX_ISSUE_BYTES, parseIssue } from "./issue.js";

export interface IssueProblem {
  file: string;
  field: string | null;
  message: string;
}

export interface IssueSnapshot {
  issues: Issue[];
  problems: IssueProblem[];
  /** Changes whenever any issue changed (unique across stores): derived data can be kept per version. */
  version?: number;
  /** Changes only when the set of issues or one's id, kind, epic, number or dependencies changed. */
  shape?: number;
  /** Each issue's position in `issues` by id: kept, not rebuilt, while the shape holds. */
  positions?: ReadonlyMap<string, number>;
}

export interface IssueWrite {
  id: string;
  content: string;
}

interface CacheEntry {
  key: string;
  /** The text it was parsed from (absent for a missing file). */
  raw?: string;
  issue: Issue | null;
  problems: IssueProblem[];
}

/** What the store knows of the directory when it trusts a watch on it (see `trackChanges`). */
interface Tracker {
  unsubscribe: () => void;
  /** Entries named by a change event since the last load. */
  dirty: Set<string>;
  /** An event that named no entry: everything is checked on the next load. */
  everything: boolean;
  /** The directory (inode, mtime, ctime, size) when its entries were last listed, or after jig's own write. */
  dirKey: string;
  dirIno: bigint;
  /** When every file was last stat'ed (the backstop for a lost event, see FULL_CHECK_MS). */
  fullAt: number;
}

interface Loaded {
  names: string[];
  entries: CacheEntry[];
  /** Each name's position in `names` (and `entries`). */
  index: Map<string, number>;
  snapshot: IssueSnapshot;
  graph: IssueProblem[];
  /** Each entry's position in `snapshot.issues` (-1: the file is invalid). */
  issueAt: Int32Array;
}

/**
 * With a watch, every file is still stat'ed at least this often: the backstop for an in-place edit whose
 * event was lost (inotify's queue overflowing, which Node does not report).
 */
const FULL_CHECK_MS = 10_000;
let versions = 0;

export interface IssueStoreOptions {
  /** The issues directory. */
  dir: string;
  /** Directory for the store's lock and its write-ahead journal (under `.jig/`). */
  stateDir: string;
  lockTimeoutMs?: number;
}

/**
 * The issue files on disk. Reads are cached per file (re-read only when the file changed); writes are
 * atomic and serialized across processes by one lock; multi-file writes go through a journal so a
 * crash leaves all of them written or none.
 */
export class IssueStore {
  readonly dir: string;
  private readonly lockPath: string;
  private readonly journalDir: string;
  private readonly lockTimeoutMs: number;
  private readonly cache = new Map<string, CacheEntry>();
  private last: Loaded | null = null;
  private tracking = false;
  private tracker: Tracker | null = null;
  /** A load under way: concurrent readers share it (a write in this process starts a new one). */
  private inflight: Promise<IssueSnapshot> | null = null;

  constructor(options: IssueStoreOptions) {
    this.dir = options.dir;
    this.lockPath = join(options.stateDir, "issues");
    this.journalDir = join(options.stateDir, "journal");
    this.lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  }

  /**
   * Trusts a watch on the directory (a long-running server): a load then stats only the files a change
   * event named, not every file. Without it (a one-shot CLI), every load stats every file. See
   * docs/decisions.md, "The issue store trusts a watch".
   */
  trackChanges(): void {
    this.tracking = true;
  }

  /** Stops watching (tests, and a server closing). */
  stopTracking(): void {
    this.tracking = false;
    this.tracker?.unsubscribe();
    this.tracker = null;
  }

  /** Every issue file, parsed and cross-checked; invalid files become problems, not exceptions. */
  load(): Promise<IssueSnapshot> {
    if (this.inflight) return this.inflight;
    const run = this.loadNow().finally(() => {
      if (this.inflight === run) this.inflight = null;
    });
    this.inflight = run;
    return run;
  }

  private async loadNow(): Promise<IssueSnapshot> {
    if (await this.hasJournal()) await this.locked(async () => {});
    return this.loadUnlocked();
  }

  /** The valid issues only (problems are for `jig issues validate`). */
  async list(): Promise<Issue[]> {
    return (await this.load()).issues;
  }

  /** One issue by id or short reference; an invalid file is reported with its problem. */
  async get(ref: string, options: ResolveOptions = {}): Promise<Issue> {
    return (await this.find(ref, options)).issue;
  }

  /** Like `get`, with the snapshot it was found in (one load for callers that need the others too). */
  async find(ref: string, options: ResolveOptions = {}): Promise<{ issue: Issue; snapshot: IssueSnapshot }> {
    const snapshot = await this.load();
    const ids = snapshot.issues.map((issue) => issue.id);
    let id: string;
    try {
      id = resolveReference(ref, ids, options);
    } catch (error) {
      const broken = snapshot.problems.find((problem) => problem.file === `${ref}.md`);
      if (broken)
        throw new JigError("INVALID_INPUT", `${broken.file}: ${broken.message}`, {
          hint: "fix the file; `jig issues validate` lists every problem",
          toolHint: "the issue file is broken; set_status blocked with this message so a human fixes it",
        });
      throw error;
    }
    return { issue: snapshot.issues.find((issue) => issue.id === id)!, snapshot };
  }

  /**
   * Changes one issue under the store lock, reading it fresh. `change` sees the current issue and
   * returns a patch, or throws to refuse (the compare-and-set used by claims).
   */
  async update(id: string, change: (issue: Issue) => IssuePatch | null): Promise<Issue> {
    return this.locked(async () => {
      const current = await this.readFresh(id);
      const patch = change(current);
      if (!patch) return current;
      const content = applyPatch(current, patch);
      if (content === current.raw) return current;
      const issue = parseIssue(id, content);
      await this.writeOwn(id, content);
      this.remember(id, content, issue);
      this.inflight = null;
      return issue;
    });
  }

  /**
   * Runs `decide` on a fresh snapshot under the lock and writes what it returns, all files or none.
   * Used by plan_epic (many new files) and claim-next (pick and mark in one step).
   */
  async transact<T>(
    decide: (
      snapshot: IssueSnapshot,
    ) => Promise<{ writes: IssueWrite[]; result: T }> | { writes: IssueWrite[]; result: T },
  ): Promise<T> {
    return this.locked(async () => {
      // No cache flush: entries are keyed by inode+size+mtime, and every jig write is a rename.
      const snapshot = await this.loadUnlocked();
      const { writes, result } = await decide(snapshot);
      await this.writeAll(writes);
      return result;
    });
  }

  private async writeAll(writes: IssueWrite[]): Promise<void> {
    if (writes.length === 0) return;
    this.inflight = null;
    const parsed = writes.map((write) => parseIssue(write.id, write.content));
    if (writes.length === 1) {
      await this.writeOwn(writes[0]!.id, writes[0]!.content);
      this.remember(writes[0]!.id, writes[0]!.content, parsed[0]!);
      return;
    }
    await mkdirState(this.journalDir);
    const journal = join(this.journalDir, `${Date.now()}-${randomBytes(4).toString("hex")}.json`);
    await writeFileAtomic(journal, JSON.stringify({ writes }));
    await this.replay(writes);
    await rm(journal, { force: true });
  }

  private async replay(writes: IssueWrite[]): Promise<void> {
    for (const write of writes) {
      await this.writeOwn(write.id, write.content);
      this.cache.delete(`${write.id}.md`);
    }
  }

  // What this process just wrote, parsed: the next read finds the same text and keeps this entry
  // instead of parsing it again (the stat key is unknown until then, so the file is always read).
  private remember(id: string, raw: string, issue: Issue): void {
    this.cache.set(`${id}.md`, { key: "", raw, issue, problems: [] });
  }

  /**
   * Writes one issue file (temp + rename, under the store lock). When the directory was as last seen
   * just before, the change to it is this write's own, so the tracker takes the new state as known
   * (its change event still names the file, which the next load re-reads).
   */
  private async writeOwn(id: string, content: string): Promise<void> {
    const tracker = this.tracker;
    const before = tracker ? dirKeyOf(this.dir) : null;
    await writeFileAtomic(this.fileOf(id), content);
    if (!tracker || tracker !== this.tracker) return;
    // The event will say so too, but a load in this process may come before the loop delivers it.
    tracker.dirty.add(`${id}.md`);
    if (before === tracker.dirKey) tracker.dirKey = dirKeyOf(this.dir) ?? "";
  }

  private async hasJournal(): Promise<boolean> {
    try {
      return readdirSync(this.journalDir).some((name) => name.endsWith(".json"));
    } catch {
      return false;
    }
  }

  // Finishes any multi-file write a crashed process left half done (roll forward).
  private async recover(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.journalDir)
        .filter((name) => name.endsWith(".json"))
        .sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(this.journalDir, name);
      const journal = await readJsonFile<{ writes: IssueWrite[] }>(path);
      if (journal && Array.isArray(journal.writes)) await this.replay(journal.writes);
      await rm(path, { force: true });
    }
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(
      this.lockPath,
      async () => {
        await this.recover();
        return fn();
      },
      { timeoutMs: this.lockTimeoutMs },
    );
  }

  private async loadUnlocked(): Promise<IssueSnapshot> {
    const tracker = this.trackerNow();
    // A write that finished before this load was asked for has queued its change event; the event loop
    // delivers it when it next polls. Two turns of `setImmediate` take the loop through at least one
    // poll after this point, whichever phase we are in. From here on the load is synchronous, so a
    // reader sharing it asked no later than this point.
    if (tracker) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    let dir: BigIntStats;
    try {
      dir = statSync(this.dir, { bigint: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        this.last = null;
        this.tracker?.unsubscribe();
        this.tracker = null;
        renew(this.dir);
        return { issues: [], problems: [], version: 0, shape: 0 };
      }
      throw error;
    }
    const loaded =
      tracker && this.tracker === tracker && this.last && this.canTrust(tracker, dir)
        ? this.loadChanged(tracker, this.last)
        : this.loadAll(dir, this.tracker);
    this.last = loaded;
    const { snapshot } = loaded;
    return { ...snapshot, issues: [...snapshot.issues], problems: [...snapshot.problems] };
  }

  /** The watch, started on first use (and again if the directory was missing or replaced). */
  private trackerNow(): Tracker | null {
    if (!this.tracking) return null;
    if (this.tracker) return this.tracker;
    let ino: bigint;
    try {
      ino = statSync(this.dir, { bigint: true }).ino;
    } catch {
      return null;
    }
    const tracker: Tracker = {
      unsubscribe: () => {},
      dirty: new Set(),
      everything: true,
      dirKey: "",
      dirIno: ino,
      fullAt: 0,
    };
    const subscription = subscribe(this.dir, (file) => {
      if (file === "") tracker.everything = true;
      else tracker.dirty.add(file);
    });
    if (!subscription.watching) return null;
    tracker.unsubscribe = subscription.unsubscribe;
    this.tracker = tracker;
    return tracker;
  }

  // Whether the events since the last load tell every change: no event lost its name, the directory
  // is the one watched and its entries changed only by this process's writes, and the backstop's
  // full check is not due.
  private canTrust(tracker: Tracker, dir: BigIntStats): boolean {
    if (dir.ino !== tracker.dirIno) {
      // Replaced (deleted and made again): the old watch sees nothing more.
      tracker.unsubscribe();
      this.tracker = null;
      renew(this.dir);
      this.trackerNow();
      return false;
    }
    return (
      !tracker.everything && Date.now() - tracker.fullAt < FULL_CHECK_MS && keyOf(dir) === tracker.dirKey
    );
  }

  // Every file stat'ed (re-read only when changed): without a watch, or when the watch cannot tell.
  private loadAll(dir: BigIntStats, tracker: Tracker | null): Loaded {
    if (tracker) {
      tracker.dirty.clear();
      tracker.everything = false;
      tracker.dirKey = keyOf(dir);
      tracker.fullAt = Date.now();
    }
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") names = [];
      else throw error;
    }
    sweepDeadWritersTempsSync(this.dir, names);
    const files = names.filter(isIssueFile).sort();
    const entries = files.map((name) => this.readCached(name));
    if (this.cache.size > entries.length + 64) {
      const live = new Set(files);
      for (const name of this.cache.keys()) if (!live.has(name)) this.cache.delete(name);
    }
    const kept = entries.filter((entry) => entry.key !== "");
    const keptNames = files.filter((_, i) => entries[i]!.key !== "");
    return this.build(keptNames, kept, this.last);
  }

  // Only the files change events named since the last load.
  private loadChanged(tracker: Tracker, last: Loaded): Loaded {
    if (tracker.dirty.size === 0) return last;
    const changed = [...tracker.dirty].filter(isIssueFile);
    tracker.dirty.clear();
    const updates = new Map<string, CacheEntry | null>();
    for (const name of changed) {
      const entry = this.readCached(name);
      const at = last.index.get(name);
      const before = at === undefined ? undefined : last.entries[at];
      if (entry.key === "") {
        if (before) updates.set(name, null);
      } else if (entry !== before) updates.set(name, entry);
    }
    if (updates.size === 0) return last;
    const added = [...updates]
      .filter(([name, entry]) => entry && !last.index.has(name))
      .map(([name]) => name);
    const removed = [...updates].some(([, entry]) => !entry);
    if (added.length === 0 && !removed) {
      const entries = last.entries.slice();
      for (const [name, entry] of updates) entries[last.index.get(name)!] = entry!;
      return this.build(last.names, entries, last);
    }
    const names = [...last.names.filter((name) => updates.get(name) !== null), ...added].sort();
    const entries = names.map((name) => updates.get(name) ?? last.entries[last.index.get(name)!]!);
    return this.build(names, entries, last);
  }

  // The snapshot of these entries; the last one's parts are kept where nothing they depend on changed.
  // A change of status or assignee (the shape holds) replaces those issues in a copy of the last array
  // instead of rebuilding it, and keeps the positions, graph checks and name index: a claim at 10,000
  // issues costs a copy of one array, not 10,000 map insertions.
  private build(names: string[], entries: CacheEntry[], last: Loaded | null): Loaded {
    let sameNames = last !== null && (last.names === names || last.names.length === names.length);
    let sameShape = sameNames;
    const changed: number[] = [];
    if (last && sameNames) {
      for (let i = 0; i < names.length; i++) {
        if (last.names !== names && names[i] !== last.names[i]) {
          sameNames = sameShape = false;
          break;
        }
        if (entries[i] === last.entries[i]) continue;
        changed.push(i);
        if (!sameShapeAs(entries[i]!, last.entries[i]!)) sameShape = false;
      }
    }
    if (last && sameNames && changed.length === 0) return last;
    const version = ++versions;
    if (last && sameShape) {
      const issues = last.snapshot.issues.slice();
      // Both versions of each changed file parsed (sameShapeAs), so neither has problems of its own.
      for (const i of changed) issues[last.issueAt[i]!] = entries[i]!.issue!;
      return {
        names,
        entries,
        index: last.index,
        snapshot: { ...last.snapshot, issues, version },
        graph: last.graph,
        issueAt: last.issueAt,
      };
    }
    const issueAt = new Int32Array(entries.length);
    const issues: Issue[] = [];
    for (let i = 0; i < entries.length; i++) {
      const issue = entries[i]!.issue;
      issueAt[i] = issue ? issues.push(issue) - 1 : -1;
    }
    const graph = crossCheck(issues);
    const problems = entries.flatMap((entry) => entry.problems).concat(graph);
    return {
      names,
      entries,
      index: sameNames && last ? last.index : new Map(names.map((name, i) => [name, i])),
      snapshot: {
        issues,
        problems,
        version,
        shape: version,
        positions: new Map(issues.map((issue, i) => [issue.id, i])),
      },
      graph,
      issueAt,
    };
  }

  private async readFresh(id: string): Promise<Issue> {
    const file = this.fileOf(id);
    let raw: string;
    try {
      raw = await readTextFile(file, { maxBytes: MAX_ISSUE_BYTES, label: `${id}.md` });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new JigError("NOT_FOUND", `issue '${id}' does not exist`, {
          hint: "run `jig issues list` to see the ids",
          toolHint: "call list_tasks to see the ids",
        });
      }
      throw error;
    }
    return parseIssue(id, raw);
  }

  private readCached(name: string): CacheEntry {
    const path = join(this.dir, name);
    const id = name.slice(0, -3);
    let key: string;
    let size: number;
    let recent = false;
    try {
      const info = statSync(path, { bigint: true });
      key = statKey(info);
      size = Number(info.size);
      // Racily clean (as git calls it): file timestamps are coarse (a few ms), and a rename can reuse an
      // inode number, so a file changed this recently is re-read rather than trusted from the cache.
      recent = Date.now() - Number(info.mtimeMs) < 1_000;
    } catch {
      return { key: "", issue: null, problems: [] };
    }
    const cached = this.cache.get(name);
    if (cached && cached.key === key && !recent) return cached;
    let entry: CacheEntry;
    try {
      const raw = readTextFileSync(path, { maxBytes: MAX_ISSUE_BYTES, label: name, knownSize: size });
      // The same text (a recent file read again, an event for a write already seen): the same entry, so
      // the snapshot keeps its version and what is derived from it (plan order, list rows).
      if (cached && cached.raw === raw) {
        cached.key = key;
        return cached;
      }
      entry = { key, raw, issue: parseIssue(id, raw, name), problems: [] };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { key: "", issue: null, problems: [] };
      entry = { key, issue: null, problems: problemsOf(name, toJigError(error)) };
      // A read that failed (too big, unreadable) is not kept as text: the next read tries again.
    }
    this.cache.set(name, entry);
    return entry;
  }

  fileOf(id: string): string {
    return join(this.dir, `${id}.md`);
  }
}

const isIssueFile = (name: string): boolean => name.endsWith(".md") && !name.startsWith(TEMP_PREFIX);

const keyOf = statKey;

function dirKeyOf(dir: string): string | null {
  try {
    return keyOf(statSync(dir, { bigint: true }));
  } catch {
    return null;
  }
}

// Whether two versions of a file say the same about the graph and the plan order (id, kind, epic,
// number, dependencies): a change of status or assignee keeps the cross-file checks and the order.
function sameShapeAs(a: CacheEntry, b: CacheEntry): boolean {
  const x = a.issue;
  const y = b.issue;
  if (!x || !y) return false;
  return (
    x.id === y.id &&
    x.kind === y.kind &&
    x.epic === y.epic &&
    x.number === y.number &&
    x.depends.length === y.depends.length &&
    x.depends.every((dep, i) => dep === y.depends[i])
  );
}

/** A file's parse error as problems: one per bad field when the parser found several. */
function problemsOf(name: string, error: JigError): IssueProblem[] {
  const { fields, reasons } = error.details;
  if (Array.isArray(fields) && Array.isArray(reasons) && fields.length > 1)
    return fields.map((field, i) => ({
      file: name,
      field: String(field),
      message: `field '${field}': ${reasons[i]}`,
    }));
  const field = typeof error.details.field === "string" ? error.details.field : null;
  const message = error.message.startsWith(`${name}: `)
    ? error.message.slice(name.length + 2)
    : error.message;
  return [{ file: name, field, message }];
}

// Problems that only show across files: duplicate ids (by case), unknown dependencies, cycles.
function crossCheck(issues: readonly Issue[]): IssueProblem[] {
  const problems: IssueProblem[] = [];
  const byLower = new Map<string, string>();
  for (const issue of issues) {
    const lower = issue.id.toLowerCase();
    const other = byLower.get(lower);
    if (other)
      problems.push({
        file: `${issue.id}.md`,
        field: null,
        message: `duplicate id: '${issue.id}' and '${other}' differ only in case`,
      });
    else byLower.set(lower, issue.id);
  }
  for (const problem of checkGraph(issues)) {
    problems.push({ file: `${problem.id}.md`, field: problem.field, message: problem.message });
  }
  return problems;
}
