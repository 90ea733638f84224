import { type FSWatcher, watch } from "node:fs";

// The one place jig watches directories (inotify through fs.watch). A process holds one watcher per
// directory, shared by every subscriber and closed with the last one; each subscriber owns its
// subscription and ends it. Where the platform gives no watch (or the directory is missing), nobody
// is called: every caller keeps a bounded wait (a timeout) for that case, so a watch only ever makes
// a change noticed sooner.

/** Called with the changed entry's name, or "" when the platform does not say which. */
export type DirListener = (file: string) => void;

interface SharedWatch {
  /** Null when the directory vanished or was replaced and could not be watched again (yet). */
  watcher: FSWatcher | null;
  listeners: Set<DirListener>;
}

const watched = new Map<string, SharedWatch>();

function open(dir: string, listeners: Set<DirListener>): FSWatcher {
  const watcher = watch(dir, (_event, file) => {
    for (const each of [...listeners]) each(String(file ?? ""));
  });
  watcher.on("error", () => {});
  watcher.unref();
  return watcher;
}

/** Listens to changes in `dir` until the returned function is called. False `watching`: no watch here. */
export function subscribe(
  dir: string,
  listener: DirListener,
): { unsubscribe: () => void; watching: boolean } {
  let shared = watched.get(dir);
  try {
    if (!shared) {
      const listeners = new Set<DirListener>();
      shared = { watcher: open(dir, listeners), listeners };
      watched.set(dir, shared);
    } else if (!shared.watcher) shared.watcher = open(dir, shared.listeners);
  } catch {
    return { unsubscribe: () => {}, watching: false };
  }
  const entry = shared;
  entry.listeners.add(listener);
  let done = false;
  return {
    watching: true,
    unsubscribe: () => {
      if (done) return;
      done = true;
      entry.listeners.delete(listener);
      if (entry.listeners.size > 0) return;
      entry.watcher?.close();
      if (watched.get(dir) === entry) watched.delete(dir);
    },
  };
}

/**
 * Watches `dir` afresh for its current subscribers: after it was deleted or replaced (a watch follows
 * the old directory, which sees nothing more). False when it cannot be watched now; the next
 * `subscribe` tries again.
 */
export function renew(dir: string): boolean {
  const shared = watched.get(dir);
  if (!shared) return false;
  shared.watcher?.close();
  shared.watcher = null;
  try {
    shared.watcher = open(dir, shared.listeners);
    return true;
  } catch {
    return false;
  }
}

export interface ChangeWatch {
  /**
   * Resolves once a change was seen since the previous call (or since the watch began), or after
   * `ms`, or when `signal` aborts — whichever is first. A change between two calls is never lost.
   */
  next(ms: number, signal?: AbortSignal): Promise<void>;
  close(): void;
}

/** A change flag over some directories, for a loop that re-reads state after each change. */
export function watchChanges(
  dirs: readonly string[],
  accept?: (dir: string, file: string) => boolean,
): ChangeWatch {
  let pending = false;
  let wake: (() => void) | null = null;
  const subscriptions = dirs.map((dir) =>
    subscribe(dir, (file) => {
      if (accept && file !== "" && !accept(dir, file)) return;
      pending = true;
      wake?.();
    }),
  );
  return {
    async next(ms, signal) {
      if (!pending && !signal?.aborted) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(finish, ms);
          signal?.addEventListener("abort", finish);
          wake = finish;
          function finish() {
            clearTimeout(timer);
            signal?.removeEventListener("abort", finish);
            wake = null;
            resolve();
          }
        });
      }
      pending = false;
    },
    close() {
      for (const subscription of subscriptions) subscription.unsubscribe();
      wake?.();
    },
  };
}
