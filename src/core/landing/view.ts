import type { JigPaths } from "../paths.js";
import { type LandVerdict, listQueue, type QueueEntry, readVerdict, type StoredVerdict } from "./queue.js";

// What views (`jig ps`, jig://workers, the dashboard) show of a worker's land, so they never read the
// queue's files themselves: this session's verdict, or the land in flight with its place in the queue.

/** Each target's queue listed once for many workers: pass one to every `landingOf` of a listing. */
export type QueueCache = Map<string, Promise<QueueEntry[]>>;

export async function landingOf(
  paths: JigPaths,
  worker: { name: string; target: string; started: string },
  queues: QueueCache = new Map(),
): Promise<LandVerdict | null> {
  const verdict = await readVerdict(paths, worker.name).catch(() => null);
  if (!verdict) return null;
  if (verdict.state === "queued" || verdict.state === "landing") {
    let queue = queues.get(worker.target);
    if (!queue) {
      queue = listQueue(paths, worker.target).catch(() => []);
      queues.set(worker.target, queue);
    }
    const position = (await queue).findIndex((entry) => entry.worker === worker.name);
    // A verdict file left "queued" by a request no longer in the queue says nothing current.
    return position >= 0 ? { ...strip(verdict), position: position + 1 } : null;
  }
  // A verdict of an earlier session of this task is not this one's.
  return verdict.at >= worker.started ? strip(verdict) : null;
}

const strip = ({ request: _request, at: _at, ...verdict }: StoredVerdict): LandVerdict => verdict;
