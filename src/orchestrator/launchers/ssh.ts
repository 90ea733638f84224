import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { LauncherConfig } from "../../core/config.js";
import type { JigContext } from "../../core/context.js";
import { sessionRunning } from "../../core/workers.js";
import { JigError } from "../../errors.js";
import { readJsonFile, writeFileAtomic } from "../../lib/fs.js";
import { withLock } from "../../lib/lock.js";
import { jigArgv } from "../../version.js";
import { withoutJig } from "./command.js";
import { jigWorkerArgs, type RemoteLauncher, shellQuote, type WorkerLaunchRequest } from "./launcher.js";

// `ssh`: workers on plain hosts through the system ssh client. BatchMode (never a prompt), host keys
// checked against the known_hosts file the launcher names (never learned on the way), the token sent
// as the first line of the session's stdin (never argv, a URL or a file on the host). A host is picked
// in the order listed, the first below its `maxWorkers`, under a lock so parallel spawns count each
// other. The session's stdin stays open while it runs (`jig ssh-session` holds it): on the host, the
// worker is stopped when it closes, so a killed or lost ssh leaves no worker behind.

type SshConfig = Extract<LauncherConfig, { kind: "ssh" }>;
type SshHost = SshConfig["hosts"][number];

/** How a host is named in records, `jig ps` and messages: `user@host:port`. */
export const hostLabel = (host: SshHost): string =>
  `${host.user ? `${host.user}@` : ""}${host.host}:${host.port}`;

export function sshLauncher(config: SshConfig): RemoteLauncher {
  return {
    kind: "ssh",
    async launch(ctx, request) {
      const knownHosts = resolvePath(ctx, config.knownHosts);
      if (!existsSync(knownHosts))
        throw new JigError(
          "PRECONDITION_FAILED",
          `the ssh launcher's known_hosts file ${knownHosts} does not exist`,
          {
            hint: "jig checks every host's key against it and never learns one: add each host's key after checking its fingerprint (ssh-keyscan -p <port> <host> >> <file>)",
          },
        );
      const host = await reserveHost(ctx, config, request.name);
      const sshArgs = [
        "-T",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${knownHosts}`,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "ServerAliveInterval=30",
        "-o",
        "ServerAliveCountMax=4",
        ...(host.identityFile ? ["-o", "IdentitiesOnly=yes", "-i", resolvePath(ctx, host.identityFile)] : []),
        "-p",
        String(host.port),
        ...(host.user ? ["-l", host.user] : []),
        "--",
        host.host,
        remoteScript(config, host, request),
      ];
      return {
        command: process.execPath,
        args: jigArgv("ssh-session", "--", ...sshArgs),
        env: { ...withoutJig(process.env), JIG_TOKEN: request.token },
        cwd: ctx.paths.root,
        host: hostLabel(host),
      };
    },
  };
}

/**
 * What the host's shell runs: read the token line, start `jig worker` with it in its environment, and
 * stop the worker when the session's stdin closes (the ssh connection is gone); exit as the worker did.
 * Everything variable is shell-quoted; `sh -c` so the login shell's syntax does not matter.
 */
export function remoteScript(
  config: Pick<SshConfig, "jig" | "env">,
  host: Pick<SshHost, "jig">,
  request: Pick<WorkerLaunchRequest, "url" | "remote" | "task" | "target" | "agent">,
): string {
  const env = Object.entries(config.env).map(([key, value]) => `${key}=${value}`);
  const worker = [
    ...(env.length > 0 ? ["env", ...env] : []),
    ...(host.jig ?? config.jig),
    ...jigWorkerArgs(request),
  ]
    .map(shellQuote)
    .join(" ");
  const script = [
    "IFS= read -r JIG_TOKEN || exit 97",
    "export JIG_TOKEN",
    // A background job's stdin is /dev/null in a shell without job control: keep the session's as fd 3.
    "exec 3<&0",
    `${worker} </dev/null &`,
    "w=$!",
    '{ cat <&3 >/dev/null; kill -TERM "$w"; } >/dev/null 2>&1 &',
    "c=$!",
    'wait "$w"; r=$?',
    'kill "$c" 2>/dev/null',
    'exit "$r"',
  ].join("\n");
  return `sh -c ${shellQuote(script)}`;
}

/** Picks the first host below its limit and records the pick, under one lock for all spawns. */
async function reserveHost(ctx: JigContext, config: SshConfig, worker: string): Promise<SshHost> {
  const file = join(ctx.paths.jigDir, "ssh-hosts.json");
  return withLock(join(ctx.paths.locksDir, "ssh-hosts"), async () => {
    const picks = (await readJsonFile<Record<string, string>>(file)) ?? {};
    const load = new Map<string, number>();
    const kept: Record<string, string> = {};
    for (const record of await ctx.workers.list()) {
      if (record.name === worker || record.launcher !== "ssh" || !sessionRunning(record)) continue;
      // A session being launched right now has no host in its record yet: its pick counts.
      const label = record.host ?? picks[record.name];
      if (!label) continue;
      load.set(label, (load.get(label) ?? 0) + 1);
      if (picks[record.name]) kept[record.name] = picks[record.name]!;
    }
    const host = config.hosts.find((h) => (load.get(hostLabel(h)) ?? 0) < h.maxWorkers);
    if (!host)
      throw new JigError(
        "NOT_AVAILABLE",
        `every ssh host is at its worker limit: ${config.hosts
          .map((h) => `${hostLabel(h)} ${load.get(hostLabel(h)) ?? 0}/${h.maxWorkers}`)
          .join(", ")}`,
        {
          hint: "wait for a worker to finish, add a host or raise its maxWorkers in jig.json's launcher; keep maxWorkers at or below the hosts' total",
        },
      );
    kept[worker] = hostLabel(host);
    await writeFileAtomic(file, `${JSON.stringify(kept, null, 2)}\n`);
    return host;
  });
}

function resolvePath(ctx: JigContext, path: string): string {
  return isAbsolute(path) ? path : resolve(ctx.paths.root, path);
}

/**
 * `jig ssh-session -- <ssh args>` (hidden; what the supervisor runs for an ssh worker): ssh with the
 * token as the first line of its stdin, then stdin held open until ssh ends, so the host stops the
 * worker once this process or its ssh is gone. Resolves with ssh's exit code.
 */
export function runSshSession(sshArgs: string[]): Promise<number> {
  const token = process.env.JIG_TOKEN ?? "";
  if (!token)
    throw new JigError("PRECONDITION_FAILED", "JIG_TOKEN is not set", {
      hint: "jig ssh-session is what the ssh launcher runs; it takes the worker's token from its environment",
    });
  const env = { ...process.env };
  delete env.JIG_TOKEN;
  const child = spawn("ssh", sshArgs, { env, stdio: ["pipe", "inherit", "inherit"] });
  child.stdin.on("error", () => {});
  child.stdin.write(`${token}\n`);
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGTERM", forward);
  process.on("SIGINT", forward);
  process.on("SIGHUP", forward);
  return new Promise((done, fail) => {
    child.on("error", (error) =>
      fail(
        new JigError("PROCESS_FAILED", `cannot run ssh: ${error.message}`, {
          hint: "the ssh launcher needs the system OpenSSH client (ssh) on PATH",
          cause: error,
        }),
      ),
    );
    child.on("exit", (code, signal) => done(code ?? (signal ? 128 + 15 : 1)));
  });
}
