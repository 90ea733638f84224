import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir, writeFiles } from "../helpers/repo.js";

// The layer rule lives in biome.json (noRestrictedImports per folder). This runs the real Biome with
// the real biome.json over a throwaway tree of one-import files: each import against the layer order
// must be flagged, and each import the order allows must not be.
const ROOT = join(import.meta.dirname, "..", "..");
const BIOME = join(ROOT, "node_modules", ".bin", "biome");

const forbidden: Record<string, string> = {
  "src/lib/core.ts": "../core/issue.js",
  "src/lib/sdk.ts": "@modelcontextprotocol/sdk/server/mcp.js",
  "src/lib/cli-entry.ts": "../cli.js",
  "src/core/server.ts": "../server/http.js",
  "src/core/hono.ts": "hono",
  "src/core/landing/orchestrator.ts": "../../orchestrator/spawn.js",
  "src/core/tools.ts": "../tools/land.js",
  "src/tools/orchestrator.ts": "../orchestrator/spawn.js",
  "src/tools/resources.ts": "../resources/issues.js",
  "src/tools/server.ts": "../server/errors.js",
  "src/resources/tools.ts": "../tools/index.js",
  "src/orchestrator/tools.ts": "../tools/land.js",
  "src/orchestrator/backends/server.ts": "../../server/http.js",
  "src/server/cli.ts": "../cli/output.js",
  "src/server/dashboard/orchestrator.ts": "../../orchestrator/spawn.js",
  "src/server/dashboard/client/outside.ts": "../page.js",
  "src/server/dashboard/client/package.ts": "hono",
  "src/core/execa.ts": "execa",
  "src/cli/execa.ts": "execa",
  "src/orchestrator/gray-matter.ts": "gray-matter",
  "src/tools/lockfile.ts": "proper-lockfile",
  "src/orchestrator/backends/toml.ts": "smol-toml",
  "src/server/colours.ts": "picocolors",
  "src/core/table.ts": "cli-table3",
  "src/orchestrator/commander.ts": "commander",
  "src/errors.ts": "./lib/fs.js",
  "src/version.ts": "./core/paths.js",
  "src/cli/plan-run.ts": "./run.js",
  "src/cli/ps-status.ts": "./status.js",
  "src/cli/render/command.ts": "../status.js",
  "src/cli/render/entry.ts": "../../cli.js",
};

const allowed: Record<string, string[]> = {
  "src/lib/ok.ts": ["../errors.js", "./fs.js", "execa", "gray-matter", "proper-lockfile", "smol-toml"],
  "src/core/landing/ok.ts": ["../../lib/git.js", "../issue.js", "../../errors.js", "../../version.js"],
  "src/tools/ok.ts": ["@modelcontextprotocol/sdk/server/mcp.js", "../core/tasks.js", "./tool.js"],
  "src/resources/ok.ts": ["@modelcontextprotocol/sdk/server/mcp.js", "../core/issue-store.js"],
  "src/orchestrator/backends/ok.ts": ["../../core/config.js", "../spawn.js", "../../lib/exec.js"],
  "src/server/dashboard/ok.ts": ["../../tools/index.js", "../../resources/index.js", "hono", "../http.js"],
  "src/server/dashboard/client/ok.ts": ["./dom.js", "./markdown.js"],
  "src/cli/ok.ts": [
    "../server/http.js",
    "../orchestrator/spawn.js",
    "../core/tasks.js",
    "./output.js",
    "./render/status.js",
    "picocolors",
    "cli-table3",
  ],
  "src/cli/render/ok.ts": ["../output.js", "./message.js", "../../core/epic-progress.js", "../../errors.js"],
  "src/cli.ts": ["./cli/output.js", "./errors.js", "commander"],
};

const source = (specs: string[]): string =>
  `${specs.map((spec, i) => `import * as m${i} from "${spec}";`).join("\n")}\nexport const all = [${specs.map((_, i) => `m${i}`).join(", ")}];\n`;

describe("layer rule (npm run lint)", () => {
  it("flags every import against the layer order and none that the order allows", () => {
    const dir = tempDir("jig-layers-");
    const config = JSON.parse(readFileSync(join(ROOT, "biome.json"), "utf8")) as Record<string, unknown>;
    config.vcs = { enabled: false };
    writeFileSync(join(dir, "biome.json"), JSON.stringify(config));
    writeFiles(dir, {
      ...Object.fromEntries(Object.entries(forbidden).map(([file, spec]) => [file, source([spec])])),
      ...Object.fromEntries(Object.entries(allowed).map(([file, specs]) => [file, source(specs)])),
    });

    const run = spawnSync(BIOME, ["lint", "--max-diagnostics=200", "--colors=off", "."], {
      cwd: dir,
      encoding: "utf8",
    });
    const output = `${run.stdout}\n${run.stderr}`;
    const flagged = new Set(
      [...output.matchAll(/^(\S+\.ts):\d+:\d+ lint\/style\/noRestrictedImports/gm)].map((m) => m[1]),
    );

    expect(run.status, output).not.toBe(0);
    expect([...flagged].sort(), output).toEqual(Object.keys(forbidden).sort());
    // The message names the rule's home so whoever meets it knows where the order is written.
    expect(output).toContain("docs/architecture.md: Layers");
  });
});
