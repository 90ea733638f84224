// `jig init` writes what a team commits, never over a person's edits, and does not add a second `jig`
// next to one from `claude mcp add`. The committed .mcp.json works from another clone, with a real MCP
// client and with the real Claude Code CLI (driven by the scripted Messages endpoint).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/core/config.js";
import { CLI_ENTRY } from "../../src/version.js";
import {
  claudeBin,
  claudeEnv,
  type FakeAnthropic,
  startFakeAnthropic,
  toolCallingModel,
} from "../helpers/fake-anthropic.js";
import { gitIn, gitRepo, issueFile, sh, tempDir, testEnv } from "../helpers/repo.js";

const CLAUDE = claudeBin();

/** A directory with a `jig` that runs the built CLI: jig as `npm i -g` puts it on PATH. */
function jigOnPath(): string {
  const bin = tempDir("jig-bin-");
  writeFileSync(join(bin, "jig"), `#!/bin/sh\nexec "${process.execPath}" "${CLI_ENTRY}" "$@"\n`, {
    mode: 0o755,
  });
  return `${bin}:${process.env.PATH}`;
}

function jig(cwd: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI_ENTRY, ...args], {
    cwd,
    env: { ...process.env, ...testEnv, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const read = (root: string, file: string) => readFileSync(join(root, file), "utf8");

describe("jig init", () => {
  it("writes .mcp.json without machine paths, jig.json with every default, and an example epic", () => {
    const root = gitRepo();
    const PATH = jigOnPath();
    const result = jig(root, ["init", "--example", "--json"], { PATH });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(read(root, ".mcp.json"))).toEqual({
      mcpServers: { jig: { command: "jig", args: ["serve", "--stdio"] } },
    });
    expect(JSON.parse(read(root, "jig.json"))).toEqual(ConfigSchema.parse({}));
    expect(Object.keys(JSON.parse(read(root, "jig.json")))).toEqual(
      expect.arrayContaining(["issuesDir", "maxWorkers", "maxRetries", "gate", "agent", "agents"]),
    );
    // The example is an epic the planner can take: valid, with the sections it reads.
    const epic = read(root, "issues/example.md");
    for (const section of ["## Objective", "## Acceptance Criteria", "## Context"])
      expect(epic).toContain(section);
    expect(jig(root, ["issues", "validate"]).code).toBe(0);
    expect(JSON.parse(jig(root, ["issues", "show", "example", "--json"]).stdout)).toMatchObject({
      kind: "epic",
      target: "feature/example",
    });
    // Without jig on PATH, npx with the package name (no path of this machine either).
    const other = gitRepo();
    expect(jig(other, ["init"], { PATH: "/usr/bin:/bin" }).code).toBe(0);
    const entry = JSON.parse(read(other, ".mcp.json")).mcpServers.jig;
    expect(entry.command).toBe("npx");
    expect(entry.args.slice(-2)).toEqual(["serve", "--stdio"]);
    expect(entry.args[1]).toMatch(/^jig@\^\d+\.\d+\.\d+$/);
  });

  it("jig new epic writes the template once and refuses to overwrite it; bad names are refused", () => {
    const root = gitRepo();
    const created = jig(root, ["new", "epic", "feature-auth"]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain("jig plan issues/feature-auth.md");
    expect(read(root, "issues/feature-auth.md")).toContain("target: feature/feature-auth");
    writeFileSync(join(root, "issues/feature-auth.md"), "---\n---\n# mine\n");
    const again = jig(root, ["new", "epic", "feature-auth"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
    expect(read(root, "issues/feature-auth.md")).toBe("---\n---\n# mine\n");
    const bad = jig(root, ["new", "epic", "../escape"]);
    expect(bad.code).toBe(1);
    expect(existsSync(join(root, "..", "escape.md"))).toBe(false);
  });

  it("re-running never clobbers edits, and says what it left alone", () => {
    const root = gitRepo();
    const PATH = jigOnPath();
    expect(jig(root, ["init", "--example"], { PATH }).code).toBe(0);
    writeFileSync(join(root, "jig.json"), '{ "maxWorkers": 2 }\n');
    const mine = {
      mcpServers: { jig: { command: "jig", args: ["serve", "--stdio", "--mine"] }, other: { command: "x" } },
    };
    writeFileSync(join(root, ".mcp.json"), JSON.stringify(mine));
    writeFileSync(join(root, "issues/example.md"), "---\n---\n# my epic\n");
    writeFileSync(join(root, ".claude/skills/jig-worker/SKILL.md"), "my notes\n");
    const before = ["jig.json", ".mcp.json", "issues/example.md", ".claude/skills/jig-worker/SKILL.md"].map(
      (f) => read(root, f),
    );
    const again = jig(root, ["init", "--example", "--json"], { PATH });
    expect(again.code, again.stderr).toBe(0);
    const out = JSON.parse(again.stdout);
    expect(out.done).toEqual([]);
    expect(out.kept.join("\n")).toMatch(/jig\.json exists/);
    expect(out.kept.join("\n")).toMatch(
      /\.mcp\.json: your 'jig' server \(jig serve --stdio --mine\) is left as is/,
    );
    expect(out.kept.join("\n")).toMatch(/issues\/example\.md exists/);
    expect(out.kept.join("\n")).toMatch(/jig-worker\/SKILL\.md differs/);
    expect(
      ["jig.json", ".mcp.json", "issues/example.md", ".claude/skills/jig-worker/SKILL.md"].map((f) =>
        read(root, f),
      ),
    ).toEqual(before);
    // A broken .mcp.json: named, and nothing written.
    const fresh = gitRepo();
    writeFileSync(join(fresh, ".mcp.json"), "{ broken");
    const refused = jig(fresh, ["init"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(".mcp.json is not valid JSON");
    expect(existsSync(join(fresh, "jig.json"))).toBe(false);
  });

  it.skipIf(!CLAUDE)(
    "finds a `claude mcp add jig` (user or local scope) and writes no second, conflicting jig",
    () => {
      for (const scope of ["user", "local"]) {
        const root = gitRepo();
        const env = claudeEnv("http://127.0.0.1:9", tempDir("jig-claude-"));
        const added = spawnSync(
          CLAUDE!,
          ["mcp", "add", "-s", scope, "jig", "--", "jig", "serve", "--stdio"],
          {
            cwd: root,
            env,
            encoding: "utf8",
            timeout: 60_000,
          },
        );
        expect(added.status, added.stderr).toBe(0);
        const result = jig(root, ["init", "--json"], {
          HOME: env.HOME!,
          CLAUDE_CONFIG_DIR: env.CLAUDE_CONFIG_DIR!,
          PATH: jigOnPath(),
        });
        expect(result.code, result.stderr).toBe(0);
        const out = JSON.parse(result.stdout);
        expect(out.kept.join("\n")).toContain(
          `Claude Code already has one from \`claude mcp add\` (${scope} scope: jig serve --stdio)`,
        );
        expect(existsSync(join(root, ".mcp.json"))).toBe(false);
        const listed = spawnSync(CLAUDE!, ["mcp", "list"], {
          cwd: root,
          env,
          encoding: "utf8",
          timeout: 60_000,
        });
        expect(listed.stdout.match(/^jig: /gm)).toHaveLength(1);
      }
    },
  );
});

describe("the committed setup, from a second clone in another directory", () => {
  let fake: FakeAnthropic | null = null;
  afterEach(async () => {
    await fake?.close();
    fake = null;
  });

  it("the .mcp.json in the clone starts jig for the clone: an MCP client and Claude Code both use it", async () => {
    const PATH = jigOnPath();
    const origin = gitRepo({ "README.md": "# r\n", "issues/ep.md": issueFile({}, "# Shared epic\n") });
    expect(jig(origin, ["init"], { PATH }).code).toBe(0);
    gitIn(origin, "add", ".mcp.json", "jig.json");
    gitIn(origin, "commit", "-q", "-m", "jig setup");
    const clone = join(tempDir("jig-teammate-"), "work");
    sh(tempDir(), "git", ["clone", "-q", origin, clone]);
    // Something only the clone has: the server must read the clone, not the origin.
    writeFileSync(join(clone, "issues", "clone-only.md"), issueFile({}, "# Only in the clone\n"));
    const config = JSON.parse(read(clone, ".mcp.json")).mcpServers.jig;

    const client = new Client({ name: "teammate", version: "0.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: config.command,
        args: config.args,
        cwd: clone,
        env: { ...process.env, ...testEnv, PATH } as Record<string, string>,
        stderr: "pipe",
      }),
    );
    try {
      const shown = await client.callTool({ name: "get_task", arguments: { id: "clone-only" } });
      expect(JSON.stringify(shown.content)).toContain("Only in the clone");
    } finally {
      await client.close();
    }

    if (!CLAUDE) return;
    // The teammate's Claude Code, which asks once before starting a project's server; approving writes this.
    const env = claudeEnv("http://127.0.0.1:9", tempDir("jig-teammate-claude-"), { PATH });
    const model = toolCallingModel([{ tool: "mcp__jig__get_task", input: { id: "ep" } }], "Read it.");
    fake = await startFakeAnthropic(model.script);
    env.ANTHROPIC_BASE_URL = fake.url;
    writeFileSync(
      join(env.CLAUDE_CONFIG_DIR!, ".claude.json"),
      JSON.stringify({
        projects: { [clone]: { enabledMcpjsonServers: ["jig"], hasTrustDialogAccepted: true } },
      }),
    );
    const listed = spawnSync(CLAUDE, ["mcp", "list"], { cwd: clone, env, encoding: "utf8", timeout: 60_000 });
    expect(listed.stdout).toMatch(/jig: jig serve --stdio - ✔ Connected/);
    const session = await execa(
      CLAUDE,
      [
        "-p",
        "Read the epic.",
        "--allowedTools",
        "mcp__jig__get_task",
        "--output-format",
        "stream-json",
        "--verbose",
      ],
      { cwd: clone, env, stdin: "ignore", reject: false, timeout: 120_000 },
    );
    expect(session.exitCode, `${session.stderr}\n${fake.errors.join("\n")}`).toBe(0);
    expect(model.resultOf("mcp__jig__get_task")?.text).toContain("Shared epic");
  });
});
