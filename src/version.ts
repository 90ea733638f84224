import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Read from package.json so `jig --version` never drifts; works from src/ (tests) and dist/src/ (built).
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "jig") return dir;
    } catch {}
    dir = dirname(dir);
  }
  throw new Error("jig's package.json not found");
}

export const PACKAGE_ROOT: string = findPackageRoot();
export const VERSION: string = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }
).version;
/** The built CLI entry, used to start `jig serve --stdio` and the scripted agent as child processes. */
export const CLI_ENTRY: string = join(PACKAGE_ROOT, "dist", "src", "cli.js");
