import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { JigError } from "../errors.js";
import { isProcessAlive } from "./pid.js";

// Temp files share a recognisable prefix so a crashed writer's leftovers can be swept.
export const TEMP_PREFIX = ".jig-tmp-";

/** Writes a file so that readers see the old or the new content, never a torn one (temp + fsync + rename). */
export async function writeFileAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}`);
  const handle = await open(temp, "w", mode);
  try {
    await handle.writeFile(data, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * A writer killed between writing its temp file and renaming it leaves the temp behind (readers never
 * see it). Removes those in `dir` whose writer (the pid in the name) is gone.
 */
export async function sweepDeadWritersTemps(dir: string, names?: readonly string[]): Promise<void> {
  for (const name of names ?? (await readdir(dir).catch(() => []))) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const pid = Number(/\.(\d+)\.[0-9a-f]+$/.exec(name)?.[1]);
    if (!pid || isProcessAlive(pid)) continue;
    await rm(join(dir, name), { force: true });
  }
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
