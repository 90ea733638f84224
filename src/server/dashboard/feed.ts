import type { JigContext } from "../../core/context.js";
import { redactDeep } from "../../lib/redact.js";
import { watcherFor } from "../watch.js";
import { type DashboardSnapshot, dashboardSnapshot } from "./snapshot.js";

// The live feed behind the dashboard's server-sent events. While at least one page listens, file
// changes (issues, the worker registry, worktree status files — through the repository watcher, which
// debounces them and polls what fs.watch misses) trigger a new snapshot, and a periodic refresh
// catches what no file announces (a worker's new commits, a moved target). One snapshot is computed
// per change for all listeners, and sent only when it differs from the last one.

export type SnapshotListener = (json: string) => void;

export interface SnapshotFeedOptions {
  /** Recompute at least this often while someone listens (default 3 s). */
  refreshMs?: number;
  compute?: (ctx: JigContext) => Promise<DashboardSnapshot>;
}

export class SnapshotFeed {
  private readonly listeners = new Set<SnapshotListener>();
  private readonly refreshMs: number;
  private readonly compute: (ctx: JigContext) => Promise<DashboardSnapshot>;
  private last: { json: string; key: string } | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private failure: unknown = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly onChange = () => void this.refresh();

  constructor(
    private readonly ctx: JigContext,
    options: SnapshotFeedOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 3_000;
    this.compute = options.compute ?? dashboardSnapshot;
  }

  /** The latest snapshot as JSON, computed now if there is none or nobody keeps it fresh. */
  async current(): Promise<string> {
    if (!this.last || this.listeners.size === 0) await this.refresh();
    if (!this.last) throw this.failure;
    return this.last.json;
  }

  /** Adds a listener (the first one starts watching); returns the function that removes it. */
  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) {
      const watcher = watcherFor(this.ctx);
      watcher.on("change", this.onChange);
      watcher.retain();
      this.timer = setInterval(this.onChange, this.refreshMs);
      this.timer.unref();
    }
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      this.stop();
    };
  }

  /** Drops every listener and stops watching. */
  close(): void {
    if (this.listeners.size === 0) return;
    this.listeners.clear();
    this.stop();
  }

  private stop(): void {
    const watcher = watcherFor(this.ctx);
    watcher.off("change", this.onChange);
    watcher.release();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Recomputes (coalescing overlapping requests into one more run) and notifies on a change. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        let snapshot: DashboardSnapshot;
        try {
          snapshot = await this.compute(this.ctx);
        } catch (error) {
          // Keep showing the last good snapshot; `current()` reports the error when there is none.
          this.failure = error;
          continue;
        }
        this.failure = null;
        // Messages and exits are agent-written: no token reaches the page (lib/redact.ts).
        const json = JSON.stringify(redactDeep(snapshot));
        const key = JSON.stringify({ ...snapshot, generated: null });
        if (this.last?.key === key) continue;
        this.last = { json, key };
        for (const listener of this.listeners) listener(json);
      } while (this.again);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
