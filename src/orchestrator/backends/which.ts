import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/** The absolute path of an executable on PATH (or the path itself), or null when there is none. */
export function which(command: string, extraDirs: string[] = []): string | null {
  const candidates =
    isAbsolute(command) || command.includes("/")
      ? [command]
      : [...extraDirs, ...(process.env.PATH ?? "").split(delimiter)]
          .filter(Boolean)
          .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}
