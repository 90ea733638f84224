import { mkdir, readdir, stat, unlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { ConfigSchema, type JigConfig, loadConfig } from "../core/config.js";
import type { JigContext } from "../core/context.js";
import type { JigPaths } from "../core/paths.js";
import { isJigError, JigError } from "../errors.js";
import { gitRun } from "../lib/git.js";
import { STALE_AFTER_MS } from "../lib/lock.js";
import { isProcessAlive } from "../lib/pid.js";
import { which } from "./backends/which.js";
import { bad, type Check, ok } from "./check.js";
import { checkAgent } from "./preflight-agent.js";

// What `jig doctor` checks (the agent's own checks are preflight-agent.ts), and the blockers `jig plan`/`jig run` check before they spawn anything.
// Each check says what it saw and, when something is wrong, the one thing to do about it.

/** The oldest git whose `merge-tree --write-tree` jig's landing and conflict checks use. */
export const MIN_GIT = [2, 38] as const;

export async function checkGit(cwd: string): Promise<Check> {
  let version: string;
  try {
    const out = await gitRun(cwd, ["--version"]);
    version = out.stdout.trim().replace(/^git version\s*/, "");
  } catch {
    return bad("git", true, "git", "git is not installed or not on PATH", "install git ≥ 2.38");
  }
  // Ask git itself (a build can report a version and still lack the mode): merge HEAD with itself.
  const probe = await gitRun(cwd, ["merge-tree", "--write-tree", "HEAD", "HEAD"]).catch(() => null);
  const numbers = version.split(".").map((n) => Number.parseInt(n, 10));
  const newEnough =
    (numbers[0] ?? 0) > MIN_GIT[0] || ((numbers[0] ?? 0) === MIN_GIT[0] && (numbers[1] ?? 0) >= MIN_GIT[1]);
  const probed = probe !== null && probe.exitCode === 0 && /^[0-9a-f]{40,64}\s*$/.test(probe.stdout);
  // No commit yet (a fresh repo) leaves only the version to go by.
  const noHead =
    probe !== null && /HEAD|not something we can merge|bad revision|not a git repository/i.test(probe.stderr);
  if (probed || (noHead && newEnough)) return ok("git", `git ${version} (merge-tree --write-tree)`);
  return bad(
    "git",
    true,
    `git ${version}`,
    "this git has no `git merge-tree --write-tree` (git ≥ 2.38), which landing and conflict checks use",
    "upgrade git to 2.38 or newer (e.g. from your distribution's backports, or git-scm.com)",
  );
}

// Words a shell runs itself: nothing to find on PATH.
const SHELL_WORDS = new Set(
  "! { ( [ [[ : . break cd command continue echo eval exec exit export false if for printf read return set shift test times trap true type ulimit umask unset wait while case source".split(
    " ",
  ),
);

export function checkGate(root: string, config: JigConfig): Check {
  if (!config.gate) return ok("gate", "gate: none configured (landing runs no check)");
  const words = config.gate.command.trim().split(/\s+/);
  const first = words.find((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) ?? "";
  const found =
    SHELL_WORDS.has(first) ||
    first.startsWith("$") ||
    which(first.startsWith("./") ? join(root, first) : first);
  return found
    ? ok("gate", `gate: ${config.gate.command}`)
    : bad(
        "gate",
        true,
        `gate: ${config.gate.command}`,
        `'${first}' is not installed or not on PATH, so every land would fail its gate`,
        `install ${first}, or fix gate.command in jig.json`,
      );
}

export async function checkJigDir(paths: JigPaths): Promise<Check[]> {
  const probe = join(paths.jigDir, `.doctor-${process.pid}`);
  let writable: Check;
  try {
    await mkdir(paths.jigDir, { recursive: true });
    await writeFile(probe, "");
    await unlink(probe);
    writable = ok("jig-dir", ".jig/ is writable");
  } catch (error) {
    writable = bad(
      "jig-dir",
      true,
      ".jig/",
      `cannot write ${paths.jigDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      "make .jig/ a directory you can write (check its owner and permissions, or remove a file in its way)",
    );
  }
  const ignored = await gitRun(paths.root, ["check-ignore", "-q", "--no-index", ".jig/probe"]).catch(
    () => null,
  );
  const excluded =
    ignored?.exitCode === 0
      ? ok("jig-excluded", ".jig/ is git-excluded")
      : bad(
          "jig-excluded",
          false,
          ".jig/ excluded from git",
          ".jig/ (tokens, logs, worktrees) is not git-ignored",
          "run jig init (it adds .jig/ to .git/info/exclude)",
        );
  return [writable, excluded];
}

/** Whether the HTTP port `jig serve` would use is free on its host. */
export async function checkPort(port: number, host = "127.0.0.1"): Promise<Check> {
  const free = await new Promise<string | null>((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen(port, host, () => server.close(() => resolve(null)));
  });
  return free === null
    ? ok("port", `port ${port} on ${host} is free for jig serve`)
    : bad(
        "port",
        false,
        `port ${port} on ${host}`,
        `jig serve could not listen on ${host}:${port} (${free})`,
        `stop what uses it, or run jig serve --port <another> (0 picks a free one)`,
      );
}

/**
 * A launcher that places workers elsewhere: does its coordinator URL answer, and can its git remote be
 * read — from here. Warnings, not blockers: workers may reach both by names this machine cannot (a
 * cluster's DNS), but when this machine cannot either, every session would die at start.
 */
export async function checkLauncher(root: string, config: JigConfig): Promise<Check[]> {
  const launcher = config.launcher;
  if (launcher.kind === "local") return [];
  const { url } = launcher as { url: string };
  const checks: Check[] = [];
  try {
    const response = await fetch(url, { method: "GET", signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    checks.push(ok("launcher-url", `the launcher's coordinator ${url} answers (HTTP ${response.status})`));
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    checks.push(
      bad(
        "launcher-url",
        false,
        `the launcher's coordinator ${url}`,
        `no answer from here (${cause?.code ?? cause?.message ?? (error as Error).message})`,
        "start jig serve there (jig serve --port <the URL's port>), or fix launcher.url in jig.json",
      ),
    );
  }
  const remoteUrl =
    (launcher as { remoteUrl?: string }).remoteUrl ??
    (config.remote ? (await gitRun(root, ["remote", "get-url", config.remote])).stdout.trim() : "");
  if (remoteUrl) {
    const listed = await gitRun(root, ["ls-remote", "--exit-code", "--heads", remoteUrl], {
      timeoutMs: 15_000,
    }).catch((error: Error) => ({ exitCode: -1, stdout: "", stderr: error.message }));
    // Exit code 2: readable, and no branch on it yet.
    checks.push(
      listed.exitCode === 0 || listed.exitCode === 2
        ? ok("launcher-remote", `the workers' git remote ${remoteUrl} can be read from here`)
        : bad(
            "launcher-remote",
            false,
            `the workers' git remote ${remoteUrl}`,
            `git cannot read it from here: ${listed.stderr.trim().split("\n")[0] ?? `exit code ${listed.exitCode}`}`,
            "fix launcher.remoteUrl (or the URL of jig.json's remote) in jig.json",
          ),
    );
  }
  return checks;
}

/** Lock directories whose holder stopped refreshing them, and sessions whose process is gone. */
export async function checkLeftovers(ctx: JigContext): Promise<Check[]> {
  const stale: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name === "worktrees") continue;
      const path = join(dir, entry.name);
      if (entry.name.endsWith(".lock")) {
        const info = await stat(path).catch(() => null);
        if (info && Date.now() - info.mtimeMs > STALE_AFTER_MS * 2)
          stale.push(path.slice(ctx.paths.root.length + 1));
      } else if (depth < 4) await walk(path, depth + 1);
    }
  };
  await walk(ctx.paths.jigDir, 0);
  const records = await ctx.workers.list().catch(() => []);
  const dead = records.filter((r) => r.exited === null && r.pid !== null && !isProcessAlive(r.pid));
  return [
    stale.length === 0
      ? ok("locks", "no stale locks")
      : bad(
          "locks",
          false,
          "stale locks",
          `${stale.length} lock${stale.length === 1 ? "" : "s"} left by a process that died: ${stale.slice(0, 5).join(", ")}${stale.length > 5 ? ", …" : ""}`,
          "nothing to do if no jig runs: the next jig that needs one takes it over; or remove them (rm -r)",
        ),
    dead.length === 0
      ? ok("sessions", `no dead sessions (${records.length} recorded)`)
      : bad(
          "sessions",
          false,
          "dead sessions",
          `${dead.map((r) => r.name).join(", ")}: the session process is gone without recording an exit`,
          `jig run <epic> respawns their tasks (jig ps shows them)`,
        ),
  ];
}

/** The checks that stop `jig plan`/`jig run` when they fail. */
export async function blockerChecks(
  root: string,
  config: JigConfig,
  paths: JigPaths,
  options: { agent?: string } = {},
): Promise<Check[]> {
  const [git, agent, jigDir] = await Promise.all([
    checkGit(root),
    checkAgent(root, config, options.agent, paths),
    checkJigDir(paths),
  ]);
  return [git, ...agent, checkGate(root, config), ...jigDir];
}

/** Runs the blocker checks and throws one error naming every failed blocker and its fix. */
export async function assertReady(ctx: JigContext, options: { agent?: string } = {}): Promise<void> {
  const failed = (await blockerChecks(ctx.paths.root, ctx.config, ctx.paths, options)).filter(
    (c) => !c.ok && c.blocker,
  );
  if (failed.length === 0) return;
  throw new JigError(
    "PRECONDITION_FAILED",
    `not started — ${failed.map((c) => `${c.title}: ${c.problem}`).join("; ")}`,
    {
      hint: `${failed.map((c) => c.fix).join("; ")} (jig doctor shows every check)`,
      details: { checks: failed.map((c) => c.id) },
    },
  );
}

/** jig.json, read for the doctor: a broken file is a failed check, not an exception. */
export async function loadConfigCheck(root: string): Promise<{ config: JigConfig; check: Check }> {
  try {
    return { config: await loadConfig(root), check: ok("config", "jig.json is valid (or absent: defaults)") };
  } catch (error) {
    if (!isJigError(error)) throw error;
    return {
      config: ConfigSchema.parse({}),
      check: bad("config", true, "jig.json", error.message, error.hint ?? "fix jig.json"),
    };
  }
}
