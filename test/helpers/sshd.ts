import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./net.js";
import { tempDir } from "./repo.js";

export { freePort };

// A real OpenSSH server on loopback for the ssh launcher's tests: Debian's sshd in the foreground
// (-D -e) with a throwaway host key and user key, root allowed by key only, its own authorized_keys.
// Needs root (sshd's privilege separation) and /usr/sbin/sshd (.ci/run installs openssh-server).

export const SSHD = "/usr/sbin/sshd";

/** Why the sshd tests cannot run here, or null when they can. */
export function sshdUnavailable(): string | null {
  if (!existsSync(SSHD))
    return `${SSHD} is missing: install Debian's openssh-server (apt-get install -y openssh-server)`;
  if (process.getuid?.() !== 0) return "sshd's tests run as root (privilege separation, PermitRootLogin)";
  return null;
}

export interface Sshd {
  port: number;
  /** The user's private key (0600). */
  userKey: string;
  /** A known_hosts file naming this server's key for 127.0.0.1 and localhost on its port. */
  knownHosts: string;
  /** The host's public key line ("ssh-ed25519 AAAA…"). */
  hostKey: string;
  dir: string;
  log: () => string;
  stop: () => Promise<void>;
}

export async function startSshd(): Promise<Sshd> {
  const dir = tempDir("jig-sshd-");
  const key = (name: string) => {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", join(dir, name)]);
    return join(dir, name);
  };
  const hostKeyFile = key("host_ed25519");
  const userKey = key("user_ed25519");
  const authorized = join(dir, "authorized_keys");
  writeFileSync(authorized, readFileSync(`${userKey}.pub`));
  chmodSync(authorized, 0o600);
  // sshd refuses to start without its privilege-separation directory (created by the package's service).
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKeyFile}`,
      "PidFile none",
      `AuthorizedKeysFile ${authorized}`,
      "PermitRootLogin prohibit-password",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      // The temp dir sits under the world-writable /tmp, which StrictModes would refuse.
      "StrictModes no",
      "AllowUsers root",
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  const hostKey = readFileSync(`${hostKeyFile}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
  const knownHosts = join(dir, "known_hosts");
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey}\n[localhost]:${port} ${hostKey}\n`);
  const child: ChildProcess = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout!.on("data", (chunk) => {
    log += chunk;
  });
  child.stderr!.on("data", (chunk) => {
    log += chunk;
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`sshd did not listen within 20 s: ${log}`)), 20_000);
    const look = () => {
      if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        clearTimeout(timer);
        done();
      }
    };
    child.stderr!.on("data", look);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`sshd exited ${code}: ${log}`));
    });
  });
  return {
    port,
    userKey,
    knownHosts,
    hostKey,
    dir,
    log: () => log,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
