import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stateDir } from "../../src/core/paths.js";
import { CLI_ENTRY } from "../../src/version.js";
import { runCli, runCliAsync } from "../helpers/cli.js";
import { background, epicRepo, taskIs, waitFor, writeAndLand } from "../helpers/epic.js";
import { freePort } from "../helpers/net.js";
import { gitIn, TEST_HOME, tempDir } from "../helpers/repo.js";

// Two "machines" on this one. The coordinator: a repository and jig's state, both root-only (0700), served
// by `jig serve` on 127.0.0.1. The workers: `jig worker` started through the `command` launcher as
// another user (uid 65534) with its own HOME, so it can reach the coordinator only through
// http://127.0.0.1:PORT/mcp and the shared bare remote (a file:// URL) — any open of a coordinator path
// would fail. One local and two remote workers land an epic; a remote worker killed with SIGKILL
// mid-work is retried like a local one and its commits from before the kill land; a remote worker whose
// land conflicts resolves it in its own clone; a remote worker's token cannot act for another.

const WORKER_UID = 65534;
const canSwitchUser = process.getuid?.() === 0 && existsSync("/usr/bin/setpriv");
// The other user runs jig from this checkout: a directory above it that only root may enter (a clone in
// a 0700 `mktemp -d`, or under /root) makes every remote session die with "Cannot find module". Said in
// one line and skipped here; in CI (CI=true) it fails instead, so a green CI always includes this test.
const packageReadable =
  canSwitchUser &&
  spawnSync(
    "setpriv",
    [
      `--reuid=${WORKER_UID}`,
      `--regid=${WORKER_UID}`,
      "--clear-groups",
      process.execPath,
      "-e",
      "require('node:fs').accessSync(process.argv[1], require('node:fs').constants.R_OK)",
      CLI_ENTRY,
    ],
    { stdio: "ignore", cwd: "/" },
  ).status === 0;
const unreadable = `uid ${WORKER_UID} cannot read ${CLI_ENTRY}: run the tests from a checkout other users can enter (chmod o+x on its parent directories)`;
if (canSwitchUser && !packageReadable && process.env.CI !== "true")
  process.stderr.write(`remote-workers e2e skipped: ${unreadable}\n`);

function callText(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

describe.skipIf(!canSwitchUser || (!packageReadable && process.env.CI !== "true"))(
  "remote workers: HTTP + a shared git remote only",
  () => {
    let root: string;
    let remote: string;
    let workerHome: string;
    let gate: string;
    let port: number;
    let serve: ReturnType<typeof background>;

    beforeAll(async () => {
      if (!packageReadable) throw new Error(unreadable);
      port = await freePort();
      // The shared remote: a bare repository both users can write (group/world-shared).
      const shared = tempDir("jig-shared-");
      chmodSync(shared, 0o755);
      remote = join(shared, "shared.git");
      execFileSync("git", ["init", "-q", "--bare", "--shared=0777", remote]);
      // The worker machine: its own HOME, git identity, and nothing else.
      workerHome = tempDir("jig-worker-machine-");
      writeFileSync(
        join(workerHome, ".gitconfig"),
        "[safe]\n\tdirectory = *\n[user]\n\tname = remote worker\n\temail = w@remote\n[commit]\n\tgpgsign = false\n",
      );
      mkdirSync(join(workerHome, "tmp"));
      execFileSync("chown", ["-R", `${WORKER_UID}:${WORKER_UID}`, workerHome]);
      gate = join(tempDir("jig-go-"), "go");
      chmodSync(join(gate, ".."), 0o755);
      const template = [
        "setsid",
        "-w",
        "setpriv",
        `--reuid=${WORKER_UID}`,
        `--regid=${WORKER_UID}`,
        "--clear-groups",
        "env",
        `HOME=${workerHome}`,
        `GIT_CONFIG_GLOBAL=${join(workerHome, ".gitconfig")}`,
        `TMPDIR=${join(workerHome, "tmp")}`,
        process.execPath,
        CLI_ENTRY,
        "worker",
        "--url",
        "{url}",
        "--remote",
        "{remote}",
        "--task",
        "{task}",
        // No --target: the worker learns it from claim_task, as a Job rendered by jig k8s-job does.
        "--agent",
        "{agent}",
      ];
      root = epicRepo(
        [
          { slug: "one", steps: writeAndLand("shared.txt", "one\n") },
          // Lands after ep-01 on the same file: blocked on the conflict, it rebases onto the target in its
          // own clone (fetched by its MCP proxy), resolves, pushes again and lands.
          {
            slug: "two",
            steps: [
              { write: { path: "shared.txt", content: "two\n" } },
              { commit: "two: shared.txt" },
              { waitForTask: { id: "ep-01-one", status: ["complete"] } },
              { land: true },
            ],
            resolve: { "shared.txt": "one and two\n" },
          },
          {
            slug: "three",
            steps: [
              { append: { path: "three.txt", content: "x\n" } },
              { commit: "three: a line" },
              { waitForFile: gate },
              { land: true },
            ],
          },
        ],
        {
          agent: "scripted",
          maxRetries: 0,
          remote: "origin",
          launcher: { kind: "command", template, url: `http://127.0.0.1:${port}/mcp` },
        },
      );
      gitIn(root, "remote", "add", "origin", `file://${remote}`);
      // The coordinator's tree and its state are the coordinator user's only.
      for (const dir of [root, TEST_HOME]) chmodSync(dir, 0o700);
      serve = background(root, ["serve", "--port", String(port)]);
      await waitFor(() => serve.output().includes("MCP at"), "jig serve to listen", { dump: serve.output });
    });

    afterAll(async () => {
      serve?.child.kill("SIGTERM");
      await serve?.exited;
    });

    it("lands an epic with one local and two remote workers; a killed remote worker is retried; tokens stay their own", {
      timeout: 600_000,
    }, async () => {
      expect(runCli(root, ["plan", "ep"]).code).toBe(0);
      const local = runCli(root, ["spawn", "--issue", "ep-01-one", "--local"]);
      expect(local.code, local.stderr).toBe(0);
      for (const task of ["ep-02-two", "ep-03-three"]) {
        const spawned = runCli(root, ["spawn", "--issue", task]);
        expect(spawned.code, spawned.stderr).toBe(0);
        expect(spawned.stdout).toContain("by the command launcher");
      }
      const logs = (task: string) => () => `${task} log:\n${runCli(root, ["logs", task]).stdout}`;
      await waitFor(taskIs(root, "ep-01-one", "complete"), "ep-01 (local) to land", {
        dump: logs("ep-01-one"),
        timeoutMs: 150_000,
      });
      await waitFor(taskIs(root, "ep-02-two", "complete"), "ep-02 (remote) to land", {
        dump: logs("ep-02-two"),
        timeoutMs: 150_000,
      });
      await waitFor(
        () => runCli(root, ["logs", "ep-03-three"]).stdout.includes("waiting for"),
        "ep-03 to wait",
        {
          dump: logs("ep-03-three"),
          timeoutMs: 150_000,
        },
      );

      // The remote worker is another user, and names nothing of the coordinator's in its environment or files.
      const ps = execFileSync("ps", ["-eo", "pid=,pgid=,uid=,args="], { encoding: "utf8" });
      // The node process itself (setsid, setpriv and env exec into it; no parent shares its arguments).
      const fields = ps
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .find(
          (f) =>
            f[3] === process.execPath && f[4] === CLI_ENTRY && f[5] === "worker" && f.includes("ep-03-three"),
        );
      expect(fields, ps).toBeDefined();
      const [pid, pgid, uid] = fields!.slice(0, 3).map(Number);
      expect(uid).toBe(WORKER_UID);
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
      expect(environ).toContain("JIG_TOKEN=jig_worker.");
      const stateBase = join(TEST_HOME, ".local");
      for (const coordinatorPath of [root, TEST_HOME, stateBase])
        expect(environ).not.toContain(coordinatorPath);
      const cache = join(workerHome, ".cache", "jig", "worker");
      const [clone] = readdirSync(cache);
      const mcpConfig = readFileSync(join(cache, clone!, "sessions", "ep-03-three", "mcp.json"), "utf8");
      expect(mcpConfig).toContain(`http://127.0.0.1:${port}/mcp`);
      for (const coordinatorPath of [root, TEST_HOME]) expect(mcpConfig).not.toContain(coordinatorPath);
      expect(statSync(join(cache, clone!, "sessions", "ep-03-three", "mcp.json")).mode & 0o077).toBe(0);
      // ep-02's work came through the remote: its ref there, and the landed target.
      expect(gitIn(remote, "for-each-ref", "--format=%(refname)", "refs/jig/workers/")).toContain(
        "refs/jig/workers/ep-02-two",
      );

      // ep-03's token cannot act for another worker: not over HTTP, not through jig worker.
      const token = readFileSync(join(stateDir(root), "agents", "ep-03-three", "token"), "utf8").trim();
      const client = new Client({ name: "intruder", version: "1" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      );
      try {
        const land = (await client.callTool({
          name: "land",
          arguments: { worker: "ep-01-one" },
        })) as CallToolResult;
        expect(land.isError).toBe(true);
        expect(callText(land)).toMatch(
          /FORBIDDEN.*worker 'ep-03-three' may land only its own branch, not 'ep-01-one's/,
        );
        const claim = (await client.callTool({
          name: "claim_task",
          arguments: { issue: "ep-02-two" },
        })) as CallToolResult;
        expect(claim.isError).toBe(true);
        expect(callText(claim)).toMatch(/FORBIDDEN/);
      } finally {
        await client.close();
      }
      const impostor = await runCliAsync(
        workerHome,
        [
          "worker",
          "--url",
          `http://127.0.0.1:${port}/mcp`,
          "--remote",
          `file://${remote}`,
          "--task",
          "ep-02-two",
          "--target",
          "feature/ep",
        ],
        { env: { JIG_TOKEN: token } },
      );
      expect(impostor.code).toBe(1);
      expect(impostor.stderr).toContain("the token is worker 'ep-03-three's, not 'ep-02-two's");
      expect(impostor.stderr + impostor.stdout).not.toContain(token);

      // kill -9 the remote worker's whole process group (jig worker, its MCP proxy, the agent): a machine lost.
      process.kill(-pgid!, "SIGKILL");
      await waitFor(
        () => /"exited": \{/.test(readFileSync(join(root, ".jig", "workers", "ep-03-three.json"), "utf8")),
        "the coordinator to see ep-03's session end",
        { dump: logs("ep-03-three") },
      );
      expect(runCli(root, ["ps"]).stdout).toMatch(/ep-03-three/);
      // Recovered like a local worker: jig retry respawns it through the same launcher, and its clone's
      // worktree (with the commit made before the kill, never pushed) is reused.
      writeFileSync(gate, "go\n");
      chmodSync(gate, 0o644);
      const retried = runCli(root, ["retry", "ep-03-three"]);
      expect(retried.code, retried.stderr).toBe(0);
      await waitFor(taskIs(root, "ep-03-three", "complete"), "ep-03 to land after the retry", {
        dump: logs("ep-03-three"),
        timeoutMs: 150_000,
      });

      // Everything is on the target, on the shared remote: linear, each file as its worker wrote it.
      const tip = gitIn(remote, "rev-parse", "refs/heads/feature/ep");
      expect(gitIn(remote, "show", `${tip}:shared.txt`)).toBe("one and two");
      expect(runCli(root, ["logs", "ep-02-two"]).stdout).toContain("resolving the conflict in shared.txt");
      // Two sessions appended a line each: the first session's commit survived the kill.
      expect(gitIn(remote, "show", `${tip}:three.txt`)).toBe("x\nx");
      expect(gitIn(remote, "rev-list", "--merges", "--count", tip)).toBe("0");
      const status = runCli(root, ["status", "ep", "--json"]);
      expect(status.stdout).not.toContain('"blocked"');
    });
  },
);

describe("jig worker refuses what it cannot work with, before touching anything", () => {
  const token = "jig_worker.ZXAtMDEtb25l.abcdefghijklmnopqrstuvwxyzABCDEF"; // names ep-01-one
  const base = ["worker", "--remote", "file:///nowhere.git", "--task", "ep-01-one"];

  it.each([
    [{}, ["--url", "http://127.0.0.1:9/mcp"], /no token: jig worker needs the worker's own token/],
    [
      { JIG_TOKEN: token },
      ["--url", "http://127.0.0.1:9/mcp?token=x"],
      /is not the coordinator's MCP endpoint/,
    ],
    [{ JIG_TOKEN: token }, ["--url", "ftp://h/mcp"], /is not the coordinator's MCP endpoint/],
    [
      { JIG_TOKEN: "jig_admin.YWRtaW4.abcdefghijklmnopqrstuvwxyzABCDEF" },
      ["--url", "http://127.0.0.1:9/mcp"],
      /the token is not a worker token, not 'ep-01-one's/,
    ],
    [
      { JIG_TOKEN: token },
      ["--url", "http://127.0.0.1:9/mcp"],
      /cannot reach the coordinator at http:\/\/127\.0\.0\.1:9\/mcp/,
    ],
    [
      {},
      ["--url", "http://127.0.0.1:9/mcp", "--token-file", "/nonexistent/token"],
      /cannot read the token file \/nonexistent\/token: ENOENT/,
    ],
  ])("%j %j", async (env, args, message) => {
    const home = tempDir("jig-worker-refusal-");
    const result = await runCliAsync(home, [...base, ...args], {
      env: { JIG_TOKEN: "", ...env, HOME: home },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    // Nothing prepared: no cache of clones.
    expect(existsSync(join(home, ".cache", "jig"))).toBe(false);
    expect(result.stderr).not.toContain("abcdefghijklmnopqrstuvwxyzABCDEF");
    expect(result.stderr).not.toContain("token=x");
  });
});
