import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Read from package.json so `jig --version` and the package name never drift; the nearest package.json
// above this file is jig's own, from src/ (tests), dist/src/ (built) and node_modules/<pkg>/ (installed).
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("jig's package.json not found");
}

export const PACKAGE_ROOT: string = findPackageRoot();
const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
};
/** The npm package name (chosen in package.json only): what `npx` and `npm i -g` install. */
export const PACKAGE_NAME: string = pkg.name;
export const VERSION: string = pkg.version;
/** The built CLI entry, used to start `jig serve --stdio` and the scripted agent as child processes. */
export const CLI_ENTRY: string = join(PACKAGE_ROOT, "dist", "src", "cli.js");

/**
 * Node flags for the long-running processes jig starts itself (each session's MCP server and supervisor,
 * the ssh wrapper, the remote proxy): V8's size-over-speed heuristics. Under bursts of requests the
 * default heuristics let garbage promoted from in-flight requests grow the old generation before a
 * collection: a 50-session server at ~1,000 calls/s peaked at 212 MiB, 98 MiB with this flag, at the
 * same throughput and tool latency (docs/performance.md, "Sessions"). A `jig serve` started by hand sets
 * it at start (cli/serve.ts): NODE_OPTIONS refuses this flag.
 */
export const NODE_FLAGS: readonly string[] = ["--optimize-for-size"];

/** The argv after `process.execPath` that runs `jig <args>` with NODE_FLAGS. */
export const jigArgv = (...args: string[]): string[] => [...NODE_FLAGS, CLI_ENTRY, ...args];
