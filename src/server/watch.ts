import { EventEmitter } from "node:events";
import { mkdirSync, statSync } from "node:fs";
import type { JigContext } from "../core/context.js";
import { worktreeStatusFile } from "../core/paths.js";
import { subscribe } from "../lib/watch.js";

// Turns file changes — by this process, another jig process or a human's editor — into the resource
// URIs that changed. The issues and workers directories are watched (lib/watch.ts, shared with the
// rest of the process); worktree status files (one per worker, inside worktrees too big to watch
// recursively) are polled by mtime once a second.

export interface ChangeEvent {
  uris: Set<string>;
  /** True when issues appeared or disappeared (the resource list changed). */
  listChanged: boolean;
}

export class RepoWatcher extends EventEmitter {
  private readonly subscriptions: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private poller: NodeJS.Timeout | null = null;
  private pending: ChangeEvent = { uris: new Set(), listChanged: false };
  private statusStamps = new Map<string, number>();
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
      this.subscriptions.push(subscribe(dir, (file) => this.onFile(dir, file || null)).unsubscribe);
    }
    this.poller = setInterval(() => void this.pollStatuses(), 1_000);
    this.poller.unref();
  }

  release(): void {
    if (--this.users > 0) return;
    for (const unsubscribe of this.subscriptions.splice(0)) unsubscribe();
    if (this.poller) clearInterval(this.poller);
    if (this.timer) clearTimeout(this.timer);
    this.poller = null;
    this.timer = null;
  }

  private onFile(dir: string, file: string | null): void {
    if (dir === this.ctx.paths.issuesDir) {
      if (file && !file.endsWith(".md")) return;
      if (file) this.pending.uris.add(`jig://issues/${file.slice(0, -3)}`);
      this.pending.listChanged = true;
      this.pending.uris.add("jig://epics/*");
    }
    this.pending.uris.add("jig://workers");
    this.schedule();
  }

  private async pollStatuses(): Promise<void> {
    const records = await this.ctx.workers.list().catch(() => []);
    let changed = false;
    for (const record of records) {
      let stamp = 0;
      try {
        stamp = statSync(worktreeStatusFile(record.worktree)).mtimeMs;
      } catch {}
      if (this.statusStamps.get(record.name) !== stamp) {
        if (this.statusStamps.has(record.name)) changed = true;
        this.statusStamps.set(record.name, stamp);
      }
    }
    if (changed) {
      this.pending.uris.add("jig://workers");
      this.pending.uris.add("jig://epics/*");
      this.schedule();
    }
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
