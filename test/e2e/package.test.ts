// The npm package as a stranger gets it: `npm pack` of a fresh copy (prepack builds it), installed into a
// temp prefix with no network, then `jig demo` and an MCP tools/list from the installed bin.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { beforeAll, describe, expect, it } from "vitest";
import { gitRepo, tempDir, testEnv } from "../helpers/repo.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// npm ci fills this cache with every tarball of the lock; the test's HOME is a temp dir, so name it.
const NPM_CACHE = process.env.npm_config_cache || join(userInfo().homedir, ".npm");
const PKG = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
  name: string;
  version: string;
  files: string[];
};

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

function run(cwd: string, command: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(command, args, {
    cwd,
    env: { ...process.env, ...testEnv, npm_config_cache: NPM_CACHE, ...env },
    encoding: "utf8",
    timeout: 170_000,
  });
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`,
    );
  return result.stdout;
}

/**
 * A project that depends on the tarball only, with a lock made of the repo's lock minus its dev-only
 * entries: `npm ci --offline` then installs from the npm cache by integrity, with no registry request.
 * (`npm i -g x.tgz --offline` would need registry metadata, which `npm ci` never caches.)
 */
function projectFor(tarball: string, dir: string): void {
  const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const tarballPkg = JSON.parse(run(dir, "tar", ["xzOf", tarball, "package/package.json"])) as Record<
    string,
    unknown
  >;
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    "": { name: "consumer", version: "1.0.0", dependencies: { [PKG.name]: spec } },
    [`node_modules/${PKG.name}`]: {
      version: PKG.version,
      resolved: spec,
      integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
      license: tarballPkg.license,
      dependencies: tarballPkg.dependencies,
      bin: tarballPkg.bin,
      engines: tarballPkg.engines,
    },
  };
  // The repo's lock leaves out download addresses (omit-lockfile-registry-resolved); spelled out here,
  // npm fetches each tarball by its integrity from the cache instead of asking the registry where it is.
  const registry = run(dir, "npm", ["config", "get", "registry"]).trim().replace(/\/$/, "");
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === "" || entry.dev || entry.devOptional) continue;
    const name = key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    packages[key] = {
      resolved: `${registry}/${name}/-/${name.split("/").at(-1)}-${String(entry.version)}.tgz`,
      ...entry,
    };
  }
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "consumer", version: "1.0.0", dependencies: { [PKG.name]: spec } }),
  );
  writeFileSync(
    join(dir, "package-lock.json"),
    JSON.stringify({ name: "consumer", version: "1.0.0", lockfileVersion: 3, requires: true, packages }),
  );
}

describe("the npm package, packed and installed offline", () => {
  let packed: { files: Array<{ path: string }>; filename: string };
  let tarball: string;
  let bin: string;

  beforeAll(() => {
    // A copy without dist/: packing it proves prepack builds.
    const source = tempDir("jig-pack-src-");
    for (const entry of ["package.json", "package-lock.json", "tsconfig.json", "README.md", "src"])
      cpSync(join(REPO, entry), join(source, entry), { recursive: true });
    for (const entry of PKG.files.filter((f) => !f.startsWith("dist")))
      if (existsSync(join(REPO, entry))) cpSync(join(REPO, entry), join(source, entry), { recursive: true });
    symlinkSync(join(REPO, "node_modules"), join(source, "node_modules"));
    const out = join(source, "out");
    mkdirSync(out);
    packed = JSON.parse(run(source, "npm", ["pack", "--json", "--pack-destination", out]))[0];
    tarball = join(out, packed.filename);

    const prefix = tempDir("jig-prefix-");
    projectFor(tarball, prefix);
    run(prefix, "npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"]);
    bin = join(prefix, "node_modules", ".bin", "jig");
  }, 300_000);

  it("ships only what runs: the built CLI, skills, plugin files; no sources, tests or maps", () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toContain("dist/src/cli.js");
    expect(paths).toContain("skills/jig-worker/SKILL.md");
    expect(paths).toContain("package.json");
    const stray = paths.filter(
      (p) =>
        !/^dist\/src\/.+\.js$/.test(p) &&
        !/^(skills|commands|\.claude-plugin)\//.test(p) &&
        !["package.json", "README.md", "LICENSE"].includes(p),
    );
    expect(stray).toEqual([]);
    const manifest = JSON.parse(run(REPO, "tar", ["xzOf", tarball, "package/package.json"]));
    expect(manifest.private).toBeUndefined();
    expect(manifest.engines.node).toMatch(/>=\s*20/);
    expect(manifest.bin.jig).toBe("dist/src/cli.js");
  });

  it("runs jig demo from the installed bin, nowhere near the repository", () => {
    const cwd = tempDir("jig-stranger-");
    // Its own temp and state dirs, to see that the demo leaves nothing behind in either.
    const tmp = tempDir("jig-demo-tmp-");
    const state = tempDir("jig-demo-state-");
    expect(run(cwd, bin, ["--version"]).trim()).toBe(PKG.version);
    const demo = spawnSync(bin, ["demo", "--json"], {
      cwd,
      env: { ...process.env, ...testEnv, TMPDIR: tmp, JIG_STATE_DIR: state },
      encoding: "utf8",
      timeout: 170_000,
    });
    expect(demo.status, demo.stderr).toBe(0);
    const result = JSON.parse(demo.stdout);
    expect(result.progress.complete).toBe(result.progress.total);
    expect(result.progress.total).toBeGreaterThan(0);
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(join(state, "repos")).filter((name) => name.startsWith("jig-demo-"))).toEqual([]);
  });

  it("serves MCP over stdio from the installed bin: tools/list", async () => {
    const repo = gitRepo();
    run(repo, bin, ["init"]);
    const client = new Client({ name: "package-test", version: "0.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: bin,
        args: ["serve", "--stdio"],
        cwd: repo,
        env: { ...process.env, ...testEnv } as Record<string, string>,
        stderr: "pipe",
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining(["plan_epic", "claim_task", "set_status", "land", "list_tasks"]),
      );
    } finally {
      await client.close();
    }
  });
});
