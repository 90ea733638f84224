import { randomBytes } from "node:crypto";
import {
  type BigIntStats,
  closeSync,
  constants,
  fsync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  writeSync,
} from "node:fs";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { basename, dirname, join, sep } from "node:path";
import { promisify } from "node:util";
import { JigError } from "../errors.js";
import { isProcessAlive } from "./pid.js";

/**
 * What a file's stat says of its content, as a string: a write through a rename changes the inode, an
 * in-place write the size or mtime, and anything that put the mtime back the ctime (user space cannot
 * set it). The key of every "re-read only when changed" cache (issue store, landing queue, identities,
 * branch tips).
 */
export const statKey = (info: BigIntStats): string =>
  `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;

// Temp files share a recognisable prefix so a crashed writer's leftovers can be swept.
export const TEMP_PREFIX = ".jig-tmp-";

/**
 * Where a path lies under a `.jig` state directory: that directory, or null. Everything there is private
 * to the user (0700 directories, 0600 files) and is never written through a symlink jig did not create.
 */
export function jigStateBase(path: string): string | null {
  const at = path.lastIndexOf(`${sep}.jig${sep}`);
  return at < 0 ? null : path.slice(0, at + 5);
}

/**
 * Refuses when `dir` or any directory between it and the `.jig` directory above it is a symbolic link:
 * a repository can commit `.jig` (or a worker can create it) as a link pointing anywhere.
 */
export async function assertNoSymlinkUnder(base: string, dir: string): Promise<void> {
  assertNoSymlinkUnderSync(base, dir);
}

// Synchronous on purpose (here and in mkdirState): a few metadata calls on a local disk take microseconds,
// where each one sent through the thread pool cost a round trip — most of a claim's time at 10,000
// issues was such round trips (docs/performance.md).
function assertNoSymlinkUnderSync(base: string, dir: string): void {
  for (let current = dir; current.length >= base.length; current = dirname(current)) {
    let info: Stats | undefined;
    try {
      info = lstatSync(current, { throwIfNoEntry: false });
    } catch {
      info = undefined;
    }
    if (info?.isSymbolicLink()) {
      throw new JigError(
        "PRECONDITION_FAILED",
        `${current} is a symbolic link; jig will not write through it`,
        {
          hint: "remove the link (jig's state directory must be a real directory, never committed) and run again",
          details: { path: current },
        },
      );
    }
    if (current === base || current === dirname(current)) break;
  }
}

/** Creates `dir` and its parents; under `.jig` they are 0700 and no symlink is followed. */
export async function mkdirState(dir: string): Promise<void> {
  const base = jigStateBase(`${dir}${sep}`);
  if (base) assertNoSymlinkUnderSync(base, dir);
  mkdirSync(dir, { recursive: true, mode: base ? 0o700 : 0o777 });
}

/**
 * Writes a file so that readers see the old or the new content, never a torn one (temp + fsync + rename).
 * Under `.jig` the default mode is 0600; the temp file is created exclusively and never through a link.
 */
export async function writeFileAtomic(path: string, data: string, mode?: number): Promise<void> {
  const dir = dirname(path);
  const base = jigStateBase(path);
  await mkdirState(dir);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  // Open, write, close and rename are synchronous (the page cache answers in microseconds; four trips
  // through the thread pool cost more than the write); only the fsync, which waits on the disk, is not.
  const fd = openSync(temp, flags, mode ?? (base ? 0o600 : 0o644));
  try {
    const bytes = Buffer.from(data, "utf8");
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

const fsyncAsync = promisify(fsync);

/**
 * A writer killed between writing its temp file and renaming it leaves the temp behind (readers never
 * see it). Removes those in `dir` whose writer (the pid in the name) is gone.
 */
export async function sweepDeadWritersTemps(dir: string, names?: readonly string[]): Promise<void> {
  for (const name of names ?? (await readdir(dir).catch(() => []))) {
    if (isDeadWritersTemp(name)) await rm(join(dir, name), { force: true });
  }
}

/** `sweepDeadWritersTemps` for a caller that must not yield (the issue store's synchronous load). */
export function sweepDeadWritersTempsSync(dir: string, names: readonly string[]): void {
  for (const name of names) if (isDeadWritersTemp(name)) rmSync(join(dir, name), { force: true });
}

function isDeadWritersTemp(name: string): boolean {
  if (!name.startsWith(TEMP_PREFIX)) return false;
  const pid = Number(/\.(\d+)\.[0-9a-f]+$/.exec(name)?.[1]);
  return Boolean(pid) && !isProcessAlive(pid);
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Reads a text file that must be UTF-8 and at most `maxBytes`; both refusals name the file. */
export async function readTextFile(
  path: string,
  options: { maxBytes: number; label?: string; knownSize?: number },
): Promise<string> {
  const label = options.label ?? path;
  const size = options.knownSize ?? (await stat(path)).size;
  if (size > options.maxBytes) throw tooLarge(label, size, options.maxBytes);
  const bytes = await readFile(path);
  if (bytes.length > options.maxBytes) throw tooLarge(label, bytes.length, options.maxBytes);
  try {
    return decoder.decode(bytes);
  } catch {
    throw new JigError("INVALID_INPUT", `${label}: the file is not valid UTF-8`, {
      hint: "save the file as UTF-8",
      details: { file: label },
    });
  }
}

/**
 * Synchronous twin of readTextFile for bulk loads of small files: fs/promises costs four thread-pool
 * round trips per file (open, fstat, read, close), which dominated loading 1,000 issues.
 */
export function readTextFileSync(
  path: string,
  options: { maxBytes: number; label: string; knownSize: number },
): string {
  if (options.knownSize > options.maxBytes)
    throw tooLarge(options.label, options.knownSize, options.maxBytes);
  const bytes = readFileSync(path);
  if (bytes.length > options.maxBytes) throw tooLarge(options.label, bytes.length, options.maxBytes);
  try {
    return decoder.decode(bytes);
  } catch {
    throw new JigError("INVALID_INPUT", `${options.label}: the file is not valid UTF-8`, {
      hint: "save the file as UTF-8",
      details: { file: options.label },
    });
  }
}

function tooLarge(label: string, size: number, maxBytes: number): JigError {
  return new JigError(
    "INVALID_INPUT",
    `${label}: the file is ${size} bytes, over the ${maxBytes}-byte limit`,
    {
      hint: "issue files are short markdown; move large material elsewhere and link to it",
      details: { file: label, size },
    },
  );
}

export async function readJsonFile<T = unknown>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    if (error instanceof SyntaxError) return null;
    throw error;
  }
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
