import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { remoteLauncher } from "../../src/orchestrator/launchers/index.js";
import { CLI_ENTRY } from "../../src/version.js";
import { runCli } from "../helpers/cli.js";
import { background, epicRepo, taskIs, waitFor, writeAndLand } from "../helpers/epic.js";
import { gitIn, gitRepo, tempDir } from "../helpers/repo.js";
import { freePort, type Sshd, sshdUnavailable, startSshd } from "../helpers/sshd.js";
import { epicFiles } from "../helpers/workers.js";

// The ssh launcher and the SSH-tunnel recipe against a real OpenSSH server on loopback (Debian's sshd,
// a throwaway host key and user key made here). Skipped, saying why, only when sshd is absent or this
// is not root.

const unavailable = sshdUnavailable();
if (unavailable) console.warn(`ssh launcher tests skipped: ${unavailable}`);

const sshOptions = (sshd: Sshd) => [
  "-F",
  "/dev/null",
  "-o",
  "BatchMode=yes",
  "-o",
  "StrictHostKeyChecking=yes",
  "-o",
  `UserKnownHostsFile=${sshd.knownHosts}`,
  "-o",
  "GlobalKnownHostsFile=/dev/null",
  "-o",
  "IdentitiesOnly=yes",
  "-i",
  sshd.userKey,
  "-p",
  String(sshd.port),
  "-l",
  "root",
];

describe.skipIf(unavailable !== null)("ssh against a real sshd on loopback", () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it("the SSH-tunnel recipe: jig serve on the coordinator's loopback, reached through ssh -L", async () => {
    const root = gitRepo({ "README.md": "x\n", ...epicFiles("e", 2) });
    const serve = background(root, ["serve", "--port", "0"]);
    let tunnel: ChildProcess | undefined;
    try {
      await waitFor(() => serve.output().includes("MCP at"), "jig serve to listen", { dump: serve.output });
      const servePort = /MCP at http:\/\/127\.0\.0\.1:(\d+)\//.exec(serve.output())![1]!;
      const token = /token (\S+)/.exec(serve.output())![1]!;
      // The recipe: ssh -N -L <local port>:127.0.0.1:<jig's port> <coordinator>; -v only to see it listen.
      const localPort = String(await freePort());
      tunnel = spawn(
        "ssh",
        [
          "-v",
          "-N",
          "-o",
          "ExitOnForwardFailure=yes",
          "-L",
          `127.0.0.1:${localPort}:127.0.0.1:${servePort}`,
          ...sshOptions(sshd),
          "127.0.0.1",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let said = "";
      tunnel.stderr!.on("data", (chunk) => {
        said += chunk;
      });
      await waitFor(
        () => said.includes(`Local forwarding listening on 127.0.0.1 port ${localPort}`),
        "the tunnel to listen",
        { dump: () => said, timeoutMs: 30_000 },
      );
      const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${localPort}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      });
      const client = new Client({ name: "through-the-tunnel", version: "0" });
      await client.connect(transport);
      const result = (await client.callTool({ name: "list_tasks", arguments: {} })) as CallToolResult;
      expect((result.content[0] as { text: string }).text).toContain("2 task(s)");
      await client.close();
      expect(said).not.toContain(token);
    } finally {
      tunnel?.kill("SIGTERM");
      serve.child.kill("SIGTERM");
      await serve.exited;
    }
  });
  it("places workers on the first host with room: a worker lands through ssh, a host at its limit is skipped, a full set refused, a killed session leaves nothing on the host", {
    timeout: 600_000,
  }, async () => {
    const port = await freePort();
    const remote = join(tempDir("jig-shared-"), "shared.git");
    execFileSync("git", ["init", "-q", "--bare", remote]);
    // The worker machine's side: its own HOME and git identity (sshd logs in as root with /root).
    const workerHome = tempDir("jig-ssh-worker-");
    writeFileSync(
      join(workerHome, ".gitconfig"),
      "[user]\n\tname = ssh worker\n\temail = w@ssh\n[commit]\n\tgpgsign = false\n",
    );
    mkdirSync(join(workerHome, "tmp"));
    const gate = join(tempDir("jig-ssh-go-"), "go");
    const never = join(tempDir("jig-ssh-never-"), "never");
    const host = (name: string) => ({
      host: name,
      user: "root",
      port: sshd.port,
      maxWorkers: 1,
      identityFile: sshd.userKey,
    });
    const root = epicRepo(
      [
        {
          slug: "one",
          steps: [
            { append: { path: "one.txt", content: "1\n" } },
            { commit: "one" },
            { waitForFile: gate },
            { land: true },
          ],
        },
        { slug: "two", steps: writeAndLand("two.txt", "2\n") },
        { slug: "three", steps: [{ waitForFile: never }] },
      ],
      {
        agent: "scripted",
        maxRetries: 0,
        remote: "origin",
        launcher: {
          kind: "ssh",
          url: `http://127.0.0.1:${port}/mcp`,
          knownHosts: sshd.knownHosts,
          jig: [process.execPath, CLI_ENTRY],
          env: {
            HOME: workerHome,
            GIT_CONFIG_GLOBAL: join(workerHome, ".gitconfig"),
            GIT_CONFIG_NOSYSTEM: "1",
            TMPDIR: join(workerHome, "tmp"),
          },
          hosts: [host("127.0.0.1"), host("localhost")],
        },
      },
    );
    gitIn(root, "remote", "add", "origin", `file://${remote}`);
    const serve = background(root, ["serve", "--port", String(port)]);
    const logs = (task: string) => () =>
      `${task} log:\n${runCli(root, ["logs", task]).stdout}\nsshd:\n${sshd.log()}`;
    try {
      await waitFor(() => serve.output().includes("MCP at"), "jig serve to listen", { dump: serve.output });
      expect(runCli(root, ["plan", "ep"]).code).toBe(0);
      const spawn1 = runCli(root, ["spawn", "--issue", "ep-01-one"]);
      expect(spawn1.code, spawn1.stderr).toBe(0);
      await waitFor(
        () => runCli(root, ["logs", "ep-01-one"]).stdout.includes("waiting for"),
        "ep-01 to work on its host and wait",
        { dump: logs("ep-01-one"), timeoutMs: 150_000 },
      );
      // 127.0.0.1 holds its one worker: the next goes to localhost.
      const spawn2 = runCli(root, ["spawn", "--issue", "ep-02-two"]);
      expect(spawn2.code, spawn2.stderr).toBe(0);
      const hostOf = (task: string) =>
        JSON.parse(readWorker(root, task)) as { host: string | null; launcher: string };
      expect(hostOf("ep-01-one")).toMatchObject({ launcher: "ssh", host: `root@127.0.0.1:${sshd.port}` });
      expect(hostOf("ep-02-two")).toMatchObject({ launcher: "ssh", host: `root@localhost:${sshd.port}` });
      // Both at their limit: a third is refused, naming each host's load.
      const full = runCli(root, ["spawn", "--issue", "ep-03-three"]);
      expect(full.code).not.toBe(0);
      expect(full.stderr).toContain("every ssh host is at its worker limit");
      expect(full.stderr).toContain(`root@127.0.0.1:${sshd.port} 1/1, root@localhost:${sshd.port} 1/1`);
      // The refused spawn left no record behind (one would read as a session starting and refuse the
      // task's next spawn for a minute).
      expect(existsSync(join(root, ".jig", "workers", "ep-03-three.json"))).toBe(false);
      // No process on this machine (the "host" included) carries a worker token in its arguments.
      const ps = execFileSync("ps", ["-eo", "args="], { encoding: "utf8" });
      expect(ps).toContain("ssh-session");
      expect(ps).not.toContain("jig_worker.");

      await waitFor(taskIs(root, "ep-02-two", "complete"), "ep-02 to land through ssh", {
        dump: logs("ep-02-two"),
        timeoutMs: 150_000,
      });
      writeFileSync(gate, "go\n");
      await waitFor(taskIs(root, "ep-01-one", "complete"), "ep-01 to land through ssh", {
        dump: logs("ep-01-one"),
        timeoutMs: 150_000,
      });
      const tip = gitIn(root, "rev-parse", "feature/ep");
      expect(gitIn(root, "show", `${tip}:one.txt`)).toBe("1");
      expect(gitIn(root, "show", `${tip}:two.txt`)).toBe("2");

      // A host has room again; a killed session's worker does not outlive its ssh connection.
      const spawn3 = runCli(root, ["spawn", "--issue", "ep-03-three"]);
      expect(spawn3.code, spawn3.stderr).toBe(0);
      const remoteWorker = () =>
        execFileSync("ps", ["-eo", "args="], { encoding: "utf8" })
          .split("\n")
          .filter(
            (line) =>
              line.startsWith(`${process.execPath} ${CLI_ENTRY} worker`) && line.includes("ep-03-three"),
          );
      await waitFor(() => remoteWorker().length > 0, "ep-03's worker to run on its host", {
        dump: logs("ep-03-three"),
        timeoutMs: 150_000,
      });
      const killed = runCli(root, ["kill", "ep-03-three"]);
      expect(killed.code, killed.stderr).toBe(0);
      await waitFor(() => remoteWorker().length === 0, "ep-03's worker to stop on its host", {
        dump: () => `${remoteWorker().join("\n")}\n${logs("ep-03-three")()}`,
        timeoutMs: 60_000,
      });
    } finally {
      serve.child.kill("SIGTERM");
      await serve.exited;
    }
  });
  it("checks host keys against the launcher's known_hosts only, and puts no token in any argument", async () => {
    const wrongHosts = join(tempDir("jig-kh-"), "known_hosts");
    const otherKey = join(tempDir("jig-otherkey-"), "k");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey]);
    const other = readFileSync(`${otherKey}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
    writeFileSync(wrongHosts, `[127.0.0.1]:${sshd.port} ${other}\n`);
    const run = async (knownHosts: string) => {
      const root = gitRepo({
        "README.md": "x\n",
        "jig.json": JSON.stringify({
          remote: "origin",
          launcher: {
            kind: "ssh",
            url: "http://127.0.0.1:1/mcp",
            remoteUrl: "file:///nowhere.git",
            knownHosts,
            jig: ["echo", "REACHED"],
            hosts: [{ host: "127.0.0.1", user: "root", port: sshd.port, identityFile: sshd.userKey }],
          },
        }),
      });
      const ctx = await openContext({ root });
      const token = "jig_worker.ZXAtMDEteA.c2VjcmV0c2VjcmV0c2VjcmV0";
      const launch = await remoteLauncher(ctx.config.launcher)!.launch(ctx, {
        name: "ep-01-x",
        task: "ep-01-x",
        target: "feature/ep",
        agent: "scripted",
        agentType: "scripted",
        url: "http://127.0.0.1:1/mcp",
        remote: "file:///nowhere.git",
        token,
        tokenFile: join(root, "unused"),
        privateDir: tempDir(),
      });
      expect([launch.command, ...launch.args].join(" ")).not.toContain(token);
      expect(launch.host).toBe(`root@127.0.0.1:${sshd.port}`);
      return new Promise<{ code: number | null; out: string }>((done) => {
        const child = spawn(launch.command, launch.args, {
          env: launch.env,
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (chunk) => {
          out += chunk;
        });
        child.stderr.on("data", (chunk) => {
          out += chunk;
        });
        child.on("exit", (code) => done({ code, out }));
      });
    };
    const trusted = await run(sshd.knownHosts);
    expect(trusted.code, trusted.out).toBe(0);
    expect(trusted.out).toContain("REACHED worker --url http://127.0.0.1:1/mcp");
    const wrong = await run(wrongHosts);
    expect(wrong.code).toBe(255);
    expect(wrong.out).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    expect(wrong.out).not.toContain("REACHED");
    await expect(run(join(tempDir(), "absent_known_hosts"))).rejects.toThrow(
      /known_hosts file .*absent_known_hosts does not exist/,
    );
  });
});

function readWorker(root: string, name: string): string {
  return readFileSync(join(root, ".jig", "workers", `${name}.json`), "utf8");
}
