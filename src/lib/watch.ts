import { type FSWatcher, watch } from "node:fs";

// The one place jig watches directories (inotify through fs.watch). A process holds one watcher per
// directory, shared by every subscriber and closed with the last one; each subscriber owns its
// subscription and ends it. Where the platform gives no watch (or the directory is missing), nobody
// is called: every caller keeps a bounded wait (a timeout) for that case, so a watch only ever makes
// a change noticed sooner.

/** Called with the changed entry's name, or "" when the platform does not say which. */
export type DirListener = (file: string) => void;

interface SharedWatch {
  watcher: FSWatcher;
  listeners: Set<DirListener>;
}

const watched = new Map<string, SharedWatch>();

/** Listens to changes in `dir` until the returned function is called. False `watching`: no watch here. */
export function subscribe(
  dir: string,
  listener: DirListener,
): { unsubscribe: () => void; watching: boolean } {
  let shared = watched.get(dir);
  if (!shared) {
    const listeners = new Set<DirListener>();
    try {
      const watcher = watch(dir, (_event, file) => {
        for (const each of [...listeners]) each(String(file ?? ""));
      });
      watcher.on("error", () => {});
      watcher.unref();
      shared = { watcher, listeners };
      watched.set(dir, shared);
    } catch {
      return { unsubscribe: () => {}, watching: false };
    }
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
      entry.watcher.close();
      watched.delete(dir);
    },
  };
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
