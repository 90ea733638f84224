import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { JigError, toJigError } from "../errors.js";
import {
  mkdirState,
  readJsonFile,
  readTextFile,
  readTextFileSync,
  sweepDeadWritersTemps,
  TEMP_PREFIX,
  writeFileAtomic,
} from "../lib/fs.js";
import { withLock } from "../lib/lock.js";
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
}

export interface IssueWrite {
  id: string;
  content: string;
}

interface CacheEntry {
  key: string;
  issue: Issue | null;
  problems: IssueProblem[];
}

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
  private last: { entries: CacheEntry[]; snapshot: IssueSnapshot } | null = null;
  /** A load under way: concurrent readers share it (a write in this process starts a new one). */
  private inflight: Promise<IssueSnapshot> | null = null;

  constructor(options: IssueStoreOptions) {
    this.dir = options.dir;
    this.lockPath = join(options.stateDir, "issues");
    this.journalDir = join(options.stateDir, "journal");
    this.lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
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
    const snapshot = await this.loadUnlocked();
    if (this.cache.size > snapshot.issues.length + snapshot.problems.length + 64) {
      const live = new Set(
        snapshot.issues.map((issue) => `${issue.id}.md`).concat(snapshot.problems.map((p) => p.file)),
      );
      for (const name of this.cache.keys()) if (!live.has(name)) this.cache.delete(name);
    }
    return snapshot;
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
      await writeFileAtomic(this.fileOf(id), content);
      this.cache.delete(`${id}.md`);
      this.inflight = null;
      return parseIssue(id, content);
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
    for (const write of writes) parseIssue(write.id, write.content);
    if (writes.length === 1) {
      await writeFileAtomic(this.fileOf(writes[0]!.id), writes[0]!.content);
      this.cache.delete(`${writes[0]!.id}.md`);
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
      await writeFileAtomic(this.fileOf(write.id), write.content);
      this.cache.delete(`${write.id}.md`);
    }
  }

  private async hasJournal(): Promise<boolean> {
    try {
      return (await readdir(this.journalDir)).some((name) => name.endsWith(".json"));
    } catch {
      return false;
    }
  }

  // Finishes any multi-file write a crashed process left half done (roll forward).
  private async recover(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.journalDir)).filter((name) => name.endsWith(".json")).sort();
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
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { issues: [], problems: [] };
      throw error;
    }
    const files = names.filter((name) => name.endsWith(".md") && !name.startsWith(TEMP_PREFIX)).sort();
    await sweepDeadWritersTemps(this.dir, names);
    const entries = await Promise.all(files.map((name) => this.readCached(name)));
    // Nothing changed since the last load: the last snapshot (and its cross-file checks) still holds.
    const previous = this.last;
    if (
      previous &&
      previous.entries.length === entries.length &&
      previous.entries.every((entry, i) => entry === entries[i])
    ) {
      return { issues: [...previous.snapshot.issues], problems: [...previous.snapshot.problems] };
    }
    const issues = entries.flatMap((entry) => (entry.issue ? [entry.issue] : []));
    const problems = entries.flatMap((entry) => entry.problems);
    problems.push(...crossCheck(issues));
    const snapshot = { issues, problems };
    this.last = { entries, snapshot };
    return { issues: [...issues], problems: [...problems] };
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

  private async readCached(name: string): Promise<CacheEntry> {
    const path = join(this.dir, name);
    const id = name.slice(0, -3);
    let key: string;
    let size: number;
    let recent = false;
    try {
      const info = statSync(path, { bigint: true });
      key = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
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
      entry = { key, issue: parseIssue(id, raw, name), problems: [] };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { key: "", issue: null, problems: [] };
      entry = { key, issue: null, problems: problemsOf(name, toJigError(error)) };
    }
    this.cache.set(name, entry);
    return entry;
  }

  fileOf(id: string): string {
    return join(this.dir, `${id}.md`);
  }
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
