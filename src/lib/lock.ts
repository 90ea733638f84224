import { readFile, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import lockfile from "proper-lockfile";
import { JigError } from "../errors.js";
import { mkdirState } from "./fs.js";
import { isProcessAlive } from "./pid.js";

// The only importer of proper-lockfile. Its locks are directories whose mtime the holder keeps
// refreshing; a holder killed with SIGKILL stops refreshing, so its lock goes stale and is taken over.
export const STALE_AFTER_MS = 5_000;

export type Release = () => Promise<void>;

const baseOptions = {
  realpath: false,
  stale: STALE_AFTER_MS,
  update: 1_000,
  // A lost lock (e.g. the machine slept) must not crash the process from a timer.
  onCompromised: () => {},
} as const;

/** Waits for the lock at `path` (up to `timeoutMs`), runs `fn`, and always releases. */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const release = await acquireLock(path, options.timeoutMs ?? 30_000);
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}

export async function acquireLock(path: string, timeoutMs: number): Promise<Release> {
  await mkdirState(dirname(path));
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    const release = await tryLock(path);
    if (release) return release;
    if (Date.now() >= deadline) {
      throw new JigError(
        "TIMEOUT",
        `timed out after ${timeoutMs} ms waiting for the lock ${path.split("/").slice(-2).join("/")}`,
        {
          hint: "another jig process holds it; if none is running, it is released within 5 s",
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 50);
  }
}

/**
 * Takes the lock if it is free, else null at once — unless its holder (a process of this machine,
 * recorded beside the lock) is gone: then it waits the few seconds until the lock is stale and takes it,
 * so a rerun right after a crash takes over instead of being refused. `onDeadHolder` hears of a dead
 * holder whether its lock was still fresh or had already gone stale (a rerun started late); a holder
 * that released normally removed its record, so it is never reported.
 */
export async function tryLockOrTakeOver(
  path: string,
  onDeadHolder?: (pid: number) => void,
): Promise<Release | null> {
  const owner = `${path}.pid`;
  const recorded = async () => Number.parseInt(await readFile(owner, "utf8").catch(() => ""), 10);
  let release = await tryLock(path);
  if (release) {
    const pid = await recorded();
    if (pid && pid !== process.pid && !isProcessAlive(pid)) onDeadHolder?.(pid);
  } else {
    const pid = await recorded();
    if (!pid || isProcessAlive(pid)) return null;
    onDeadHolder?.(pid);
    release = await acquireLock(path, STALE_AFTER_MS + 3_000).catch(() => null);
    if (!release) return null;
  }
  await writeFile(owner, String(process.pid), { mode: 0o600 });
  const held = release;
  return async () => {
    await rm(owner, { force: true });
    await held();
  };
}

/** Takes the lock if it is free (or stale), else returns null at once. */
export async function tryLock(path: string): Promise<Release | null> {
  await mkdirState(dirname(path));
  try {
    return await lockfile.lock(path, { ...baseOptions, retries: 0 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOCKED") return null;
    throw error;
  }
}

export async function isLocked(path: string): Promise<boolean> {
  return lockfile.check(path, { realpath: false, stale: STALE_AFTER_MS }).catch(() => false);
}
