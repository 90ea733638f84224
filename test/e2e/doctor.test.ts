// `jig doctor` on a good setup and on each broken one seen so far; `jig plan`/`jig run` stop on the
// blockers before they spawn anything. The agent checks run the real Claude Code CLI (`auth status`).
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI_ENTRY } from "../../src/version.js";
import { claudeBin } from "../helpers/fake-anthropic.js";
import { gitIn, gitRepo, issueFile, tempDir, testEnv } from "../helpers/repo.js";

const CLAUDE = claudeBin();
const CODEX = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "node_modules", ".bin", "codex");
const isRoot = process.getuid?.() === 0;

interface Check {
  id: string;
  ok: boolean;
  blocker: boolean;
  title: string;
  problem?: string;
  fix?: string;
}

// The environment of a person without Claude Code credentials: nothing inherited from a parent session.
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(ANTHROPIC_|CLAUDE)/.test(key) || key === "IS_SANDBOX") continue;
    env[key] = value;
  }
  return { ...env, ...testEnv, ...extra };
}

function jig(cwd: string, args: string[], extra: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI_ENTRY, ...args], {
    cwd,
    env: cleanEnv(extra),
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function doctor(cwd: string, extra: Record<string, string> = {}, args: string[] = []) {
  const result = jig(cwd, ["doctor", "--json", "--port", String(freePort), ...args], extra);
  let checks: Check[] = [];
  try {
    checks = JSON.parse(result.stdout).checks;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${result.code})\n${result.stdout}\n${result.stderr}`);
  }
  const byId = (id: string) => {
    const check = checks.find((c) => c.id === id);
    if (!check) throw new Error(`no check '${id}' in ${JSON.stringify(checks, null, 2)}`);
    return check;
  };
  return { ...result, checks, byId };
}

let freePort = 0;
let busy: Server | null = null;

async function listen(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

/** A repo a person set up right: jig init, Claude Code with an API key, a gate on PATH. */
function goodRepo(agent: Record<string, unknown> = {}, gate = "node --version"): string {
  const root = gitRepo({ "README.md": "# r\n", "issues/ep.md": issueFile({}, "# Epic\n") });
  expect(jig(root, ["init"]).code).toBe(0);
  const home = tempDir("jig-claude-home-");
  writeFileSync(
    join(root, "jig.json"),
    JSON.stringify({
      agent: "cc",
      gate: { command: gate },
      agents: {
        cc: {
          type: "claude",
          command: CLAUDE,
          env: { HOME: home, CLAUDE_CONFIG_DIR: join(home, ".claude"), ANTHROPIC_API_KEY: "test-key" },
          ...agent,
        },
      },
    }),
  );
  return root;
}

describe.skipIf(!CLAUDE)("jig doctor", () => {
  beforeEach(async () => {
    const probe = await listen();
    freePort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
  });
  afterEach(async () => {
    await new Promise((resolve) => (busy ? busy.close(resolve) : resolve(undefined)));
    busy = null;
  });

  it("a good setup: every line ✓, exit 0; the text names each check", () => {
    const root = goodRepo();
    const result = doctor(root);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.code, result.stderr).toBe(0);
    for (const id of ["repo", "git", "config", "agent", "agent-login", "root-sandbox", "gate", "jig-dir"])
      expect(result.byId(id).ok).toBe(true);
    expect(result.byId("agent-login").title).toContain("ANTHROPIC_API_KEY");
    const text = jig(root, ["doctor", "--port", String(freePort)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/✓ git 2\.\d+/);
    expect(text.stdout).toContain("ready: nothing to fix");
  });

  it("git without merge-tree --write-tree (an old git on PATH): a blocker, and jig plan stops before the planner", () => {
    const root = goodRepo();
    const bin = tempDir("jig-fake-git-");
    const realGit = spawnSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).stdout.trim();
    // Behaves like git 2.30: no --write-tree mode, everything else passed through (jig puts -c options first).
    writeFileSync(
      join(bin, "git"),
      `#!/bin/sh\nfor a in "$@"; do case "$a" in --version) echo "git version 2.30.0"; exit 0;; merge-tree) echo "usage: git merge-tree <base-tree> <branch1> <branch2>" >&2; exit 129;; esac; done\nexec ${realGit} "$@"\n`,
      { mode: 0o755 },
    );
    const PATH = `${bin}:${process.env.PATH}`;
    const result = doctor(root, { PATH });
    expect(result.code).toBe(1);
    expect(result.byId("git")).toMatchObject({ ok: false, blocker: true, title: "git 2.30.0" });
    expect(result.byId("git").fix).toContain("2.38");
    expect(result.checks.filter((c) => !c.ok && c.blocker).map((c) => c.id)).toEqual(["git"]);

    const plan = jig(root, ["plan", "issues/ep.md"], { PATH });
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("not started");
    expect(plan.stderr).toContain("merge-tree --write-tree");
    // Nothing was spawned or created: no planner record, no target branch.
    const workers = join(root, ".jig", "workers");
    expect(existsSync(workers) ? readdirSync(workers) : []).toEqual([]);
    expect(gitIn(root, "branch", "--list", "feature/ep")).toBe("");
    const run = jig(root, ["run", "ep"], { PATH });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("not started");
  });

  it("the agent CLI missing: a blocker naming the binary and how to install it", () => {
    const root = goodRepo({ command: "claude-not-installed-here" });
    const result = doctor(root);
    expect(result.code).toBe(1);
    expect(result.byId("agent")).toMatchObject({ ok: false, blocker: true });
    expect(result.byId("agent").problem).toContain(
      "'claude-not-installed-here' is not installed or not on PATH",
    );
    expect(result.byId("agent").fix).toContain("npm install -g @anthropic-ai/claude-code");
    const plan = jig(root, ["plan", "issues/ep.md"]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("claude-not-installed-here");
  });

  it("Claude Code not logged in and no API key: a blocker with the ways to log in", () => {
    const home = tempDir("jig-claude-home-");
    const root = goodRepo({ env: { HOME: home, CLAUDE_CONFIG_DIR: join(home, ".claude") } });
    const result = doctor(root);
    expect(result.code).toBe(1);
    expect(result.byId("agent").ok).toBe(true);
    expect(result.byId("agent-login")).toMatchObject({ ok: false, blocker: true });
    expect(result.byId("agent-login").fix).toMatch(/\/login.*ANTHROPIC_API_KEY/);
    // An API key in the environment (not in jig.json) is enough.
    expect(doctor(root, { ANTHROPIC_API_KEY: "from-env" }).byId("agent-login").ok).toBe(true);
  });

  it.skipIf(!existsSync(CODEX))(
    "codex workers: the real Codex sandbox starts (✓); where it cannot, a blocker saying how to run without it",
    () => {
      const root = goodRepo();
      const withCodex = (agent: Record<string, unknown>) =>
        writeFileSync(
          join(root, "jig.json"),
          JSON.stringify({ agent: "cx", gate: { command: "node --version" }, agents: { cx: agent } }),
        );
      withCodex({ type: "codex", command: CODEX });
      expect(doctor(root).byId("agent-sandbox")).toMatchObject({ ok: true });
      // A codex whose sandbox cannot start (as where user namespaces are off).
      const fake = join(tempDir("jig-fake-codex-"), "codex");
      writeFileSync(
        fake,
        '#!/bin/sh\nif [ "$1" = sandbox ]; then echo "bwrap: No permissions to create a new namespace" >&2; exit 1; fi\nexit 0\n',
      );
      chmodSync(fake, 0o755);
      withCodex({ type: "codex", command: fake });
      const broken = doctor(root);
      expect(broken.code).toBe(1);
      expect(broken.byId("agent-sandbox")).toMatchObject({ ok: false, blocker: true });
      expect(broken.byId("agent-sandbox").problem).toContain(
        "bwrap: No permissions to create a new namespace",
      );
      expect(broken.byId("agent-sandbox").fix).toContain('"sandbox": false on agents.cx');
      // Without the sandbox there is nothing to check.
      withCodex({ type: "codex", command: fake, sandbox: false });
      const off = doctor(root);
      expect(off.checks.some((c) => c.id === "agent-sandbox")).toBe(false);
      expect(off.byId("agent").ok).toBe(true);
    },
  );

  it.skipIf(!isRoot)("IS_SANDBOX=yes as root: ✗, because Claude Code accepts exactly IS_SANDBOX=1", () => {
    const root = goodRepo();
    const result = doctor(root, { IS_SANDBOX: "yes" });
    const check = result.byId("root-sandbox");
    expect(check.ok).toBe(false);
    expect(check.problem).toContain("IS_SANDBOX");
    expect(check.problem).toContain("'yes'");
    expect(check.fix).toContain("IS_SANDBOX=1");
    // With the exact value Claude Code wants, the line is ✓.
    expect(doctor(root, { IS_SANDBOX: "1" }).byId("root-sandbox")).toMatchObject({ ok: true });
    // Bypass flags forced in jig.json as root without IS_SANDBOX=1: every worker would die — a blocker.
    const forced = goodRepo({ args: ["--permission-mode", "bypassPermissions"] });
    const blocked = doctor(forced);
    expect(blocked.byId("root-sandbox")).toMatchObject({ ok: false, blocker: true });
    expect(blocked.code).toBe(1);
  });

  it("the HTTP port busy: a warning (jig serve only), exit 0", async () => {
    const root = goodRepo();
    busy = await listen();
    const port = (busy.address() as { port: number }).port;
    const result = doctor(root, {}, ["--port", String(port)]);
    expect(result.byId("port")).toMatchObject({ ok: false, blocker: false });
    expect(result.byId("port").problem).toContain("EADDRINUSE");
    expect(result.byId("port").fix).toContain("--port");
    expect(result.code).toBe(0);
  });

  it("a launcher whose coordinator does not answer, or whose git remote cannot be read: warnings naming each", () => {
    const root = goodRepo();
    const remote = tempDir("jig-remote-");
    gitIn(remote, "init", "-q", "--bare");
    gitIn(root, "remote", "add", "origin", `file://${remote}`);
    const config = JSON.parse(readFileSync(join(root, "jig.json"), "utf8"));
    const launcher = {
      kind: "command",
      template: ["jig", "worker", "--url", "{url}", "--remote", "{remote}", "--task", "{task}"],
      url: `http://127.0.0.1:${freePort}/mcp`, // nothing listens there
    };
    writeFileSync(join(root, "jig.json"), JSON.stringify({ ...config, remote: "origin", launcher }));
    const dead = doctor(root);
    expect(dead.byId("launcher-url")).toMatchObject({ ok: false, blocker: false });
    expect(dead.byId("launcher-url").problem).toContain("ECONNREFUSED");
    expect(dead.byId("launcher-url").fix).toContain("jig serve");
    expect(dead.byId("launcher-remote").ok).toBe(true); // the bare remote, empty: readable
    expect(dead.code).toBe(0);
    writeFileSync(
      join(root, "jig.json"),
      JSON.stringify({
        ...config,
        remote: "origin",
        launcher: { ...launcher, remoteUrl: "file:///nowhere.git" },
      }),
    );
    const unreadable = doctor(root);
    expect(unreadable.byId("launcher-remote")).toMatchObject({ ok: false, blocker: false });
    expect(unreadable.byId("launcher-remote").problem).toMatch(/git cannot read it from here: .*nowhere/);
  });

  it("an unwritable .jig/: a blocker", () => {
    const root = goodRepo();
    const jigDir = join(root, ".jig");
    if (isRoot) {
      // Root writes through permissions: a file where the directory should be stops it the same way.
      spawnSync("rm", ["-rf", jigDir]);
      writeFileSync(jigDir, "not a directory\n");
    } else chmodSync(jigDir, 0o500);
    const result = doctor(root);
    expect(result.byId("jig-dir")).toMatchObject({ ok: false, blocker: true });
    expect(result.byId("jig-dir").problem).toContain(jigDir);
    expect(result.code).toBe(1);
    if (!isRoot) chmodSync(jigDir, 0o700);
  });

  it("stale locks, dead sessions, a missing gate command, machine paths in .mcp.json: each named with its fix", () => {
    const root = goodRepo({}, "definitely-not-a-gate-tool --check");
    const lock = join(root, ".jig", "locks", "issue-store", "store.lock");
    mkdirSync(lock, { recursive: true });
    const old = new Date(Date.now() - 3600_000);
    utimesSync(lock, old, old);
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
      encoding: "utf8",
    });
    mkdirSync(join(root, ".jig", "workers"), { recursive: true });
    writeFileSync(
      join(root, ".jig", "workers", "ep-01-a.json"),
      JSON.stringify({
        name: "ep-01-a",
        kind: "task",
        issue: "ep-01-a",
        epic: "ep",
        branch: "_jig/ep-01-a",
        target: "feature/ep",
        worktree: join(root, ".jig", "worktrees", "ep-01-a"),
        agent: "cc",
        pid: Number(dead.stdout),
        started: new Date().toISOString(),
        logPath: join(root, ".jig", "logs", "ep-01-a.log"),
      }),
    );
    writeFileSync(
      join(root, ".mcp.json"),
      JSON.stringify({
        mcpServers: { jig: { command: process.execPath, args: [CLI_ENTRY, "serve", "--stdio"] } },
      }),
    );
    const result = doctor(root);
    expect(result.byId("locks")).toMatchObject({ ok: false, blocker: false });
    expect(result.byId("locks").problem).toContain(".jig/locks/issue-store/store.lock");
    expect(result.byId("sessions").problem).toContain("ep-01-a");
    expect(result.byId("gate")).toMatchObject({ ok: false, blocker: true });
    expect(result.byId("gate").problem).toContain("'definitely-not-a-gate-tool'");
    expect(result.byId("mcp-config").problem).toContain("paths of this machine");
    expect(result.byId("mcp-config").fix).toContain("jig init");
    expect(result.code).toBe(1);
  });

  it("outside a git repository: says so, still checks git and exits 1", () => {
    const result = doctor(tempDir("jig-not-a-repo-"));
    expect(result.byId("repo")).toMatchObject({ ok: false, blocker: true });
    expect(result.byId("git").ok).toBe(true);
    expect(result.code).toBe(1);
  });
});
