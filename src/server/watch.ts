import { EventEmitter } from "node:events";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { JigContext } from "../core/context.js";
import { worktreeStatusFile } from "../core/paths.js";
import { TEMP_PREFIX } from "../lib/fs.js";
import { subscribe } from "../lib/watch.js";

// Turns file changes — by this process, another jig process or a human's editor — into the resource
// URIs that changed. Everything goes through lib/watch.ts (shared with the rest of the process): the
// issues and workers directories, and each registered worker's status directory (`<worktree>/.jig/`,
// not the whole worktree, too big to watch recursively) — followed as the registry changes. Only a
// status directory that cannot be watched (not made yet, or no watch on this platform) is polled by
// mtime, once a second, until a watch on it succeeds.

export interface ChangeEvent {
  uris: Set<string>;
  /** True when issues appeared or disappeared (the resource list changed). */
  listChanged: boolean;
}

interface StatusDir {
  dir: string;
  file: string;
  /** Ends the watch on `dir`; null while it is polled instead. */
  unsubscribe: (() => void) | null;
  stamp: number;
}

export class RepoWatcher extends EventEmitter {
  private readonly subscriptions: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private poller: NodeJS.Timeout | null = null;
  private pending: ChangeEvent = { uris: new Set(), listChanged: false };
  /** Per worker: its status directory, and how it is followed (a watch, or polled mtime until one holds). */
  private statusDirs = new Map<string, StatusDir>();
  /** False where the registry directory has no watch: the poll then re-reads the registry too. */
  private registryWatched = true;
  private users = 0;

  constructor(private readonly ctx: JigContext) {
    super();
    // One listener per MCP session and dashboard feed: fifty sessions are normal, not a leak.
    this.setMaxListeners(0);
  }

  /** Starts watching on first use; `release` stops when the last user is gone. */
  retain(): void {
    if (this.users++ > 0) return;
    const { issuesDir, workersDir } = this.ctx.paths;
    for (const dir of [issuesDir, workersDir]) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch {
        // A directory that cannot be made cannot be watched; the poll below still covers workers.
      }
      const subscription = subscribe(dir, (file) => this.onFile(dir, file || null));
      if (dir === workersDir) this.registryWatched = subscription.watching;
      this.subscriptions.push(subscription.unsubscribe);
    }
    void this.followStatuses();
    this.poller = setInterval(() => void this.pollStatuses(), 1_000);
    this.poller.unref();
  }

  release(): void {
    if (--this.users > 0) return;
    for (const unsubscribe of this.subscriptions.splice(0)) unsubscribe();
    for (const entry of this.statusDirs.values()) entry.unsubscribe?.();
    this.statusDirs.clear();
    if (this.poller) clearInterval(this.poller);
    if (this.timer) clearTimeout(this.timer);
    this.poller = null;
    this.timer = null;
  }

  /** The status directories followed by a watch (the rest are polled): for tests and diagnostics. */
  watchedStatusDirs(): string[] {
    return [...this.statusDirs.values()].filter((entry) => entry.unsubscribe).map((entry) => entry.dir);
  }

  private onFile(dir: string, file: string | null): void {
    if (dir === this.ctx.paths.issuesDir) {
      if (file && !file.endsWith(".md")) return;
      if (file) this.pending.uris.add(`jig://issues/${file.slice(0, -3)}`);
      this.pending.listChanged = true;
      this.pending.uris.add("jig://epics/*");
    } else {
      // A worker registered or removed, or its worktree gone (a watch on a removed directory sees
      // nothing more): follow the registry's workers anew. A worker rewriting its record changes nothing here.
      const name = file?.replace(/\.json$/, "") ?? "";
      const entry = this.statusDirs.get(name);
      if (entry && !existsSync(entry.dir)) {
        entry.unsubscribe?.();
        this.statusDirs.delete(name);
      }
      const temp = file?.startsWith(TEMP_PREFIX) ?? false;
      if (!temp && (!file || !entry || !existsSync(entry.dir) || !existsSync(join(dir, file))))
        void this.followStatuses();
    }
    this.pending.uris.add("jig://workers");
    this.schedule();
  }

  private onStatusChange(): void {
    this.pending.uris.add("jig://workers");
    this.pending.uris.add("jig://epics/*");
    this.schedule();
  }

  /** One watch per registered worker's status directory; workers gone from the registry are dropped. */
  private async followStatuses(): Promise<void> {
    const records = await this.ctx.workers.list().catch(() => null);
    if (!records || this.users === 0) return;
    const names = new Set(records.map((record) => record.name));
    for (const [name, entry] of this.statusDirs) {
      if (names.has(name)) continue;
      entry.unsubscribe?.();
      this.statusDirs.delete(name);
    }
    for (const record of records) {
      if (this.statusDirs.has(record.name)) continue;
      const file = worktreeStatusFile(record.worktree);
      const entry: StatusDir = {
        dir: dirname(file),
        file: basename(file),
        unsubscribe: null,
        stamp: mtime(file),
      };
      this.statusDirs.set(record.name, entry);
      this.watchStatus(entry);
    }
  }

  private watchStatus(entry: StatusDir): void {
    const subscription = subscribe(entry.dir, (changed) => {
      if (changed === "" || changed === entry.file) this.onStatusChange();
    });
    if (subscription.watching) entry.unsubscribe = subscription.unsubscribe;
  }

  /** The status directories no watch holds: compared by mtime, and watched as soon as one can be. */
  private pollStatuses(): void {
    if (!this.registryWatched) void this.followStatuses();
    let changed = false;
    for (const entry of this.statusDirs.values()) {
      if (entry.unsubscribe) continue;
      const stamp = mtime(join(entry.dir, entry.file));
      if (stamp !== entry.stamp) changed = true;
      entry.stamp = stamp;
      this.watchStatus(entry);
    }
    if (changed) this.onStatusChange();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const event = this.pending;
      this.pending = { uris: new Set(), listChanged: false };
      this.emit("change", event);
    }, 50);
  }
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

const shared = new WeakMap<JigContext, RepoWatcher>();

/** One watcher per repository per process, shared by every session. */
export function watcherFor(ctx: JigContext): RepoWatcher {
  let watcher = shared.get(ctx);
  if (!watcher) {
    watcher = new RepoWatcher(ctx);
    shared.set(ctx, watcher);
  }
  return watcher;
}
