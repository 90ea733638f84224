import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { worktreeStatusFile } from "../../src/core/paths.js";
import { writeWorkerStatus } from "../../src/core/workers.js";
import { type ChangeEvent, RepoWatcher } from "../../src/server/watch.js";
import { gitIn, gitRepo } from "../helpers/repo.js";
import { epicFiles, makeWorker } from "../helpers/workers.js";

// The server's watcher (resource notifications, dashboard refreshes): a worker's status file, inside its
// worktree, is followed by a watch on its status directory — taken when the worker registers, dropped
// when it goes — not by polling every worker's file. Waits end on the event (vitest's timeout otherwise).

function nextChange(watcher: RepoWatcher, uri: string): Promise<ChangeEvent> {
  return new Promise((resolve) => {
    const onChange = (event: ChangeEvent) => {
      if (!event.uris.has(uri)) return;
      watcher.off("change", onChange);
      resolve(event);
    };
    watcher.on("change", onChange);
  });
}

async function until(check: () => boolean, what: string, seen: () => unknown): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; saw ${JSON.stringify(seen())}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("RepoWatcher", () => {
  it("watches each registered worker's status directory and reports its status changes", async () => {
    const root = gitRepo({ "README.md": "# r\n", ...epicFiles("ep", 2) });
    gitIn(root, "branch", "feature/ep");
    const ctx = await openContext({ root });
    const first = await makeWorker(ctx, "ep-01-t1");
    const watcher = new RepoWatcher(ctx);
    watcher.retain();
    try {
      const firstDir = dirname(worktreeStatusFile(first.worktree));
      await until(
        () => watcher.watchedStatusDirs().includes(firstDir),
        "the first worker's status directory to be watched",
        () => watcher.watchedStatusDirs(),
      );
      const changed = nextChange(watcher, "jig://workers");
      await writeWorkerStatus(first.worktree, { status: "blocked", message: "stuck" });
      const event = await changed;
      expect([...event.uris].sort()).toEqual(["jig://epics/*", "jig://workers"]);

      // A worker registered after the watcher started is followed too, through the registry's changes.
      const second = await makeWorker(ctx, "ep-02-t2");
      const secondDir = dirname(worktreeStatusFile(second.worktree));
      await until(
        () => watcher.watchedStatusDirs().includes(secondDir),
        "the second worker's status directory to be watched",
        () => watcher.watchedStatusDirs(),
      );
      const again = nextChange(watcher, "jig://epics/*");
      await writeWorkerStatus(second.worktree, { status: "done", message: null });
      expect((await again).uris.has("jig://workers")).toBe(true);

      // A worker gone from the registry is no longer watched.
      rmSync(join(ctx.paths.workersDir, "ep-01-t1.json"));
      await until(
        () => !watcher.watchedStatusDirs().includes(firstDir),
        "the removed worker's watch to end",
        () => watcher.watchedStatusDirs(),
      );
      expect(watcher.watchedStatusDirs()).toEqual([secondDir]);
    } finally {
      watcher.release();
    }
    expect(watcher.watchedStatusDirs()).toEqual([]);
  });
});
