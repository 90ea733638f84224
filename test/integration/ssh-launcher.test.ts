import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/core/config.js";
import { remoteScript } from "../../src/orchestrator/launchers/ssh.js";

// The ssh launcher's settings and the script a host's shell runs, run here by a real `sh`: values with
// quotes and shell syntax arrive as single arguments, the token arrives in the environment only, and
// the worker is stopped when the session's stdin closes. (The whole launcher against a real sshd is
// e2e/ssh-launcher.)

const PRINT_ARGS = [
  process.execPath,
  "-e",
  "process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), token: process.env.JIG_TOKEN ?? null, home: process.env.HOME }))",
];
const SLEEP = [process.execPath, "-e", "setTimeout(() => {}, 60_000)"];

function runScript(
  script: string,
  input: { token: string; close: boolean },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn("sh", ["-c", script], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.stdin.write(`${input.token}\n`);
    // Held open like `jig ssh-session` does, or closed like a dropped connection.
    if (input.close) child.stdin.end();
    child.on("exit", (code) => {
      child.stdin.destroy();
      done({ code, stdout, stderr });
    });
  });
}

const request = {
  url: "https://coord.example/mcp",
  remote: "git@git.example:team/app.git",
  task: "ep-01-x",
  target: "feature/it's $(touch /tmp/pwned) `id`",
  agent: "claude",
};

describe("the ssh launcher's host script", () => {
  it("passes every value as one argument and the token in the environment only", async () => {
    const script = remoteScript({ jig: PRINT_ARGS, env: { HOME: "/tmp/a home" } }, {}, request);
    // The whole command line ssh sends, run as the host's login shell would: `sh -c '<script>'`.
    expect(script.startsWith("sh -c '")).toBe(true);
    const token = "jig_worker.ZXAtMDEteA.secretsecretsecret";
    const out = await runScript(script, { token, close: false });
    expect(out.code, out.stderr).toBe(0);
    const seen = JSON.parse(out.stdout) as { argv: string[]; token: string; home: string };
    expect(seen.argv).toEqual([
      "worker",
      "--url",
      request.url,
      "--remote",
      request.remote,
      "--task",
      request.task,
      "--target",
      request.target,
      "--agent",
      request.agent,
    ]);
    expect(seen.token).toBe(token);
    expect(seen.home).toBe("/tmp/a home");
    expect(seen.argv.join(" ")).not.toContain(token);
  });

  it("stops the worker when the session's stdin closes, and exits as the worker did otherwise", async () => {
    const sleeper = remoteScript({ jig: SLEEP, env: {} }, {}, request);
    const dropped = await runScript(sleeper, { token: "t", close: true });
    expect(dropped.code).toBe(128 + 15);
    const failing = remoteScript({ jig: [process.execPath, "-e", "process.exit(3)"], env: {} }, {}, request);
    expect((await runScript(failing, { token: "t", close: false })).code).toBe(3);
    // No token line at all (stdin closed at once): the worker never starts.
    const none = await new Promise<number | null>((done) => {
      const child = spawn("sh", ["-c", failing], { stdio: ["pipe", "ignore", "ignore"] });
      child.stdin.end();
      child.on("exit", (code) => done(code));
    });
    expect(none).toBe(97);
  });
});

describe("the ssh launcher's settings", () => {
  const base = {
    remote: "origin",
    launcher: {
      kind: "ssh",
      url: "https://coord.example/mcp",
      knownHosts: "known_hosts",
      hosts: [{ host: "build-1" }],
    },
  };
  const error = (launcher: Record<string, unknown>) => {
    const parsed = ConfigSchema.safeParse({ ...base, launcher: { ...base.launcher, ...launcher } });
    return parsed.success
      ? null
      : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  };

  it("defaults: port 22, one worker per host, jig on PATH", () => {
    const config = ConfigSchema.parse(base);
    expect(config.launcher).toMatchObject({
      kind: "ssh",
      jig: ["jig"],
      env: {},
      hosts: [{ host: "build-1", port: 22, maxWorkers: 1 }],
    });
  });

  it("refuses what ssh would read as an option, a token in env, no hosts, no known_hosts", () => {
    expect(error({ hosts: [{ host: "-oProxyCommand=touch /tmp/x" }] })).toContain(
      "is not a valid host name: no leading '-'",
    );
    expect(error({ hosts: [{ host: "build-1", user: "-lroot" }] })).toContain("is not a valid user name");
    expect(error({ hosts: [{ host: "build-1", maxWorkers: 0 }] })).toContain("hosts.0.maxWorkers");
    expect(error({ env: { JIG_TOKEN: "x" } })).toContain(
      "JIG_TOKEN is sent by jig over the ssh session's stdin",
    );
    expect(error({ hosts: [] })).toContain("launcher.hosts");
    expect(error({ knownHosts: undefined })).toContain("launcher.knownHosts");
    expect(error({ kind: "rsh" })).toContain('use "local", "command" or "ssh"');
  });
});
