// jig as a Claude Code plugin, loaded by the real Claude Code CLI (driven offline by the scripted Messages
// endpoint): the manifest validates, the MCP server starts as `jig serve --stdio`, its tools are listed and
// callable, the skills and the /jig:* commands are there, and a command runs with jig's output in it.
import { spawnSync } from "node:child_process";
import { cpSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_ENTRY } from "../../src/version.js";
import { epicRepo } from "../helpers/epic.js";
import {
  claudeBin,
  claudeEnv,
  type FakeAnthropic,
  startFakeAnthropic,
  toolCallingModel,
} from "../helpers/fake-anthropic.js";
import { tempDir, testEnv } from "../helpers/repo.js";

const CLAUDE = claudeBin();
const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PLUGIN_TOOL = (tool: string) => `mcp__plugin_jig_jig__${tool}`;

/** jig on PATH, as `npm install -g` leaves it: the plugin starts `jig serve --stdio` from there. */
function jigOnPath(): string {
  const bin = tempDir("jig-bin-");
  writeFileSync(join(bin, "jig"), `#!/bin/sh\nexec "${process.execPath}" "${CLI_ENTRY}" "$@"\n`, {
    mode: 0o755,
  });
  return `${bin}:${process.env.PATH}`;
}

/** Only what the package ships as the plugin: proves it needs nothing else from the repository. */
function pluginDir(): string {
  const dir = tempDir("jig-plugin-");
  for (const entry of [".claude-plugin", "commands", "skills"])
    cpSync(join(REPO, entry), join(dir, entry), { recursive: true });
  return dir;
}

function events(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split("\n")
    .filter((line) => line.trim().startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function userText(request: { body: unknown }): string {
  const messages = (request.body as { messages?: Array<{ role: string; content: unknown }> }).messages ?? [];
  return JSON.stringify(messages.filter((m) => m.role === "user").map((m) => m.content));
}

describe.skipIf(!CLAUDE)("the Claude Code plugin (real CLI, scripted endpoint)", () => {
  let fake: FakeAnthropic | null = null;
  afterEach(async () => {
    await fake?.close();
    fake = null;
  });

  it("claude plugin validate accepts the plugin and the marketplace", () => {
    const env = claudeEnv("http://127.0.0.1:9", tempDir("jig-claude-"));
    const plugin = spawnSync(CLAUDE!, ["plugin", "validate", REPO], {
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(plugin.status, `${plugin.stdout}\n${plugin.stderr}`).toBe(0);
    expect(plugin.stdout).toContain("Validation passed");
    const market = spawnSync(
      CLAUDE!,
      ["plugin", "validate", join(REPO, ".claude-plugin", "marketplace.json")],
      {
        env,
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(market.status, `${market.stdout}\n${market.stderr}`).toBe(0);
  });

  it("--plugin-dir: jig's tools listed and called, skills and /jig:* commands loaded, /jig:status runs jig status", async () => {
    const root = epicRepo([{ slug: "core" }, { slug: "cli" }]);
    // A plugin user has no project .mcp.json: the plugin brings the server.
    rmSync(join(root, ".mcp.json"));
    const PATH = jigOnPath();
    const planned = spawnSync(process.execPath, [CLI_ENTRY, "plan", "ep"], {
      cwd: root,
      env: { ...process.env, ...testEnv },
      encoding: "utf8",
    });
    expect(planned.status, planned.stderr).toBe(0);
    const model = toolCallingModel(
      [{ tool: PLUGIN_TOOL("list_tasks"), input: { epic: "ep" } }],
      "Two tasks.",
    );
    fake = await startFakeAnthropic(model.script);
    const env = claudeEnv(fake.url, tempDir("jig-claude-"), { PATH });
    const session = await execa(
      CLAUDE!,
      [
        "-p",
        "/jig:status ep",
        "--plugin-dir",
        pluginDir(),
        "--allowedTools",
        `${PLUGIN_TOOL("list_tasks")},Bash(jig status:*)`,
        "--output-format",
        "stream-json",
        "--verbose",
      ],
      { cwd: root, env, stdin: "ignore", reject: false, timeout: 150_000 },
    );
    const all = events(session.stdout);
    const init = all.find((e) => e.type === "system" && e.subtype === "init") ?? {};
    const context = `exit ${session.exitCode}\n${session.stderr}\ninit: ${JSON.stringify(init, null, 1)}\nfake: ${fake.errors.join("\n")}`;
    expect(session.exitCode, context).toBe(0);
    // The plugin's MCP server is registered (it connects after init: the tool call below proves it).
    expect(init.mcp_servers, context).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "plugin:jig:jig", source: "plugin" })]),
    );
    // Every jig tool was listed to the model (deferred: announced by name, loaded through ToolSearch).
    const listed = JSON.stringify(fake.requests.filter((r) => r.kind === "main").map((r) => r.body));
    for (const tool of [
      "plan_epic",
      "claim_task",
      "set_status",
      "land",
      "list_tasks",
      "get_task",
      "check_conflicts",
    ])
      expect(listed).toContain(PLUGIN_TOOL(tool));
    expect(init.slash_commands).toEqual(
      expect.arrayContaining(["jig:plan", "jig:status", "jig:ps", "jig:review"]),
    );
    expect(JSON.stringify(init)).toContain("jig-worker");
    // The command ran `jig status ep` and its output reached the model with the command's prompt.
    const first = fake.requests.find((r) => r.kind === "main")!;
    expect(userText(first)).toContain("ep-01-core");
    expect(userText(first)).toContain("Tell me in a few lines where this epic stands");
    // …and the model called a jig tool through the plugin's server.
    expect(model.resultOf(PLUGIN_TOOL("list_tasks"))).toMatchObject({ isError: false });
    expect(model.resultOf(PLUGIN_TOOL("list_tasks"))?.text).toContain("ep-02-cli");
  });

  it("installs from the marketplace (claude plugin marketplace add + install) and loads without --plugin-dir", async () => {
    const market = tempDir("jig-market-");
    for (const entry of [".claude-plugin", "commands", "skills"])
      cpSync(join(REPO, entry), join(market, entry), { recursive: true });
    const root = epicRepo([{ slug: "a" }]);
    rmSync(join(root, ".mcp.json"));
    const PATH = jigOnPath();
    const model = toolCallingModel([{ tool: PLUGIN_TOOL("get_task"), input: { id: "ep" } }], "Read it.");
    fake = await startFakeAnthropic(model.script);
    const env = claudeEnv(fake.url, tempDir("jig-claude-"), { PATH });
    const claude = (args: string[]) =>
      spawnSync(CLAUDE!, args, { cwd: root, env, encoding: "utf8", timeout: 120_000 });
    const added = claude(["plugin", "marketplace", "add", market]);
    expect(added.status, `${added.stdout}\n${added.stderr}`).toBe(0);
    const installed = claude(["plugin", "install", "jig@jig"]);
    expect(installed.status, `${installed.stdout}\n${installed.stderr}`).toBe(0);
    const session = await execa(
      CLAUDE!,
      [
        "-p",
        "Read the epic.",
        "--allowedTools",
        PLUGIN_TOOL("get_task"),
        "--output-format",
        "stream-json",
        "--verbose",
      ],
      {
        cwd: root,
        env,
        stdin: "ignore",
        reject: false,
        timeout: 150_000,
      },
    );
    const init = events(session.stdout).find((e) => e.type === "system" && e.subtype === "init") ?? {};
    expect(session.exitCode, session.stderr).toBe(0);
    expect(init.mcp_servers).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "plugin:jig:jig", source: "plugin" })]),
    );
    expect(init.slash_commands).toEqual(expect.arrayContaining(["jig:plan", "jig:ps"]));
    expect(model.resultOf(PLUGIN_TOOL("get_task"))?.text).toContain("jig-plan");
  });
});
