import type { EpicStats, PathStep, TaskStats } from "./epic-stats.js";

// The last part of `jig stats`: the dependency chain that ended last, and where along it the epic waited.

/** From the task that landed last (or is still open), back through the dependency that landed last. */
export function criticalPathOf(
  tasks: readonly TaskStats[],
  dependsOf: (task: string) => readonly string[],
  now: string,
): PathStep[] {
  const byId = new Map(tasks.map((t) => [t.task, t]));
  const latest = (list: TaskStats[]) =>
    list.sort((x, y) => (x.landedAt ?? now).localeCompare(y.landedAt ?? now)).at(-1);
  const path: PathStep[] = [];
  const visited = new Set<string>();
  let cursor = latest([...tasks]);
  while (cursor && !visited.has(cursor.task)) {
    visited.add(cursor.task);
    path.unshift({
      task: cursor.task,
      toClaimMs: cursor.toClaimMs,
      workingMs: cursor.workingMs,
      landWaitMs: cursor.landWaitMs,
      landedAt: cursor.landedAt,
    });
    cursor = latest(dependsOf(cursor.task).flatMap((d) => byId.get(d) ?? []));
  }
  return path;
}

/** The path's time waiting to be claimed, working and waiting to land, and which was the most. */
export function waitedAlong(path: readonly PathStep[]): EpicStats["waited"] {
  const waited = path.reduce(
    (w, s) => ({
      claimMs: w.claimMs + (s.toClaimMs ?? 0),
      workMs: w.workMs + (s.workingMs ?? 0),
      landMs: w.landMs + (s.landWaitMs ?? 0),
    }),
    { claimMs: 0, workMs: 0, landMs: 0 },
  );
  const most =
    path.length === 0
      ? null
      : (["claim", "work", "land"] as const).reduce((best, k) =>
          waited[`${k}Ms`] > waited[`${best}Ms`] ? k : best,
        );
  return { ...waited, most };
}
