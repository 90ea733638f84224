// Over 300 lines on purpose: one remote session's whole life in the order it happens (token check,
// cached clone, worktree, agent config, run, final push), read top to bottom like docs/remote.md.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { loadConfig } from "../core/config.js";
import { ensureExcluded } from "../core/exclude.js";
import { assertSafeId } from "../core/ids.js";
import { workerRemoteRef } from "../core/remote-work.js";
import { workerBranch } from "../core/worktrees.js";
import { JigError } from "../errors.js";
import { writeFileAtomic } from "../lib/fs.js";
import { git, gitRun } from "../lib/git.js";
import { withLock } from "../lib/lock.js";
import { redactSecrets } from "../lib/redact.js";
import { jigArgv, PACKAGE_ROOT, VERSION } from "../version.js";
import { resolveAgent } from "./backends/index.js";
import { watchCoordinator } from "./coordinator-watch.js";
import { workerPrompt } from "./prompts.js";

// `jig worker`: a worker session on a machine that has only the coordinator's MCP URL, its own token
// and the shared git remote (docs/remote.md). It keeps one cached bare clone of the remote per remote
// URL, a worktree per worker on `_jig/<name>` started from `refs/jig/workers/<name>`, writes the agent's
// MCP config pointing at `jig worker-mcp` (the stdio→HTTP proxy that pushes before each land), runs
// the agent with its output on this process's stdout (the coordinator's log of the session), and
// pushes the branch once more when the agent ends. It never reads or names a path of the coordinator.

export interface RemoteWorkerOptions {
  url: string;
  remote: string;
  task: string;
  /** The branch the task lands on (optional: the MCP proxy learns it from claim_task otherwise). */
  target?: string;
  agent?: string;
  /** The cache of clones and worktrees (default `$JIG_WORKER_HOME`, else `~/.cache/jig/worker`). */
  dir?: string;
  /** A file holding the token, or `-` for stdin (default: the JIG_TOKEN variable). */
  tokenFile?: string;
  /**
   * Seconds the coordinator may stay unreachable before the agent is stopped (default
   * `$JIG_WORKER_COORDINATOR_TIMEOUT`, else 300).
   */
  coordinatorTimeout?: number;
}

/** Where one remote's clone, worktrees and session files live on this machine. */
export interface WorkerPlace {
  /** The bare clone shared by every worker of this remote here. */
  repo: string;
  /** This worker's worktree (its agent's working directory). */
  worktree: string;
  /** This worker's private directory (0700): MCP config with the token, CLI homes. */
  privateDir: string;
  /** Serializes fetches into the shared clone. */
  lock: string;
}

const log = (line: string) => process.stderr.write(`jig worker: ${redactSecrets(line)}\n`);

export async function runRemoteWorker(options: RemoteWorkerOptions): Promise<number> {
  // Our output may go to a coordinator that is gone (a broken pipe): lost log lines must not stop the
  // final push.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
  const token = await readToken(options.tokenFile);
  const url = checkUrl(options.url);
  const name = assertSafeId(options.task, "task id");
  const named = tokenName(token);
  if (named !== name)
    throw new JigError(
      "INVALID_INPUT",
      `the token is ${named ? `worker '${named}'s` : "not a worker token"}, not '${name}'s`,
      {
        hint: "each worker runs with its own token: pass the token jig issued for this task",
      },
    );
  await checkTask(url, token, name);
  const place = workerPlace(options, name);
  await prepareWorktree(place, { remote: options.remote, name, target: options.target });
  await checkCommitIdentity(place.worktree);
  log(`working in ${place.worktree} on ${workerBranch(name)}`);
  const mcpServer = {
    command: process.execPath,
    args: jigArgv("worker-mcp"),
    env: {
      JIG_TOKEN: token,
      JIG_MCP_URL: url,
      JIG_WORKER_DIR: place.worktree,
      JIG_WORKER_NAME: name,
      ...(options.target ? { JIG_WORKER_TARGET: options.target } : {}),
      JIG_WORKER_LOCK: place.lock,
    },
  };
  const mcpConfigPath = join(place.privateDir, "mcp.json");
  await writeFileAtomic(
    mcpConfigPath,
    `${JSON.stringify({ mcpServers: { jig: mcpServer } }, null, 2)}\n`,
    0o600,
  );
  const config = await loadConfig(place.worktree);
  const agent = resolveAgent(config, options.agent);
  const spec = await agent.backend.launch({
    name,
    role: "worker",
    cwd: place.worktree,
    prompt: workerPrompt(name, options.target ?? "the target branch claim_task names"),
    mcpConfigPath,
    mcpServer,
    privateDir: place.privateDir,
    writableRoots: [place.repo],
    instructions: await readFile(join(PACKAGE_ROOT, "skills", "jig-worker", "SKILL.md"), "utf8").catch(
      () => "",
    ),
    issue: name,
    config: agent.config,
    resume: null,
    budget: null,
  });
  // The agent's only token is its MCP server's.
  const { JIG_TOKEN: _dropped, ...env } = spec.env;
  const agentRun = runAgent(spec.command, spec.args, spec.cwd, env);
  // A worker whose coordinator is gone (dead, or this session replaced) must not run on: its agent is
  // stopped, and what it committed is pushed below like at any other end.
  const unwatch = watchCoordinator({
    url,
    token,
    timeoutMs: coordinatorTimeoutMs(options),
    gone(why) {
      log(`${why}: stopping the agent; its commits are pushed to ${workerRemoteRef(name)}`);
      agentRun.stop();
    },
  });
  const code = await agentRun.exited;
  unwatch();
  // Whatever the agent committed reaches the remote, landed or not: the coordinator can keep it.
  const off = await commitsOffBranch(place.worktree, name).catch(() => null);
  if (off) log(`${off} — they stay in ${place.worktree}, where a retried session on this machine continues`);
  const pushed = await pushWork(place.worktree, name);
  if (pushed) log(`could not push ${workerBranch(name)} when the agent ended: ${pushed}`);
  return code;
}

/** The token: from `--token-file` (a path, or `-` for stdin) or JIG_TOKEN; never from argv. */
async function readToken(file: string | undefined): Promise<string> {
  let token: string | undefined;
  if (file === "-") token = await readStdin();
  else if (file) {
    token = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new JigError(
        "INVALID_INPUT",
        `cannot read the token file ${file}: ${error.code ?? error.message}`,
        {
          hint: "pass the file jig wrote for this worker, or set JIG_TOKEN",
        },
      );
    });
  } else token = process.env.JIG_TOKEN;
  token = token?.trim();
  if (!token)
    throw new JigError("INVALID_INPUT", "no token: jig worker needs the worker's own token", {
      hint: "set JIG_TOKEN, or pass --token-file <file> (or --token-file - to read it from stdin); never on the command line",
    });
  return token;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The worker name a token carries (`jig_worker.<base64url name>.<secret>`), or null. */
export function tokenName(token: string): string | null {
  const match = /^jig_worker\.([A-Za-z0-9_-]{1,220})\.[A-Za-z0-9_-]{32}$/.exec(token);
  return match ? Buffer.from(match[1]!, "base64url").toString("utf8") : null;
}

function checkUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.username || parsed.password || parsed.search)
    throw new JigError(
      "INVALID_INPUT",
      `--url ${shownUrl(url, parsed)} is not the coordinator's MCP endpoint`,
      {
        hint: "give http(s)://host:port/mcp, as `jig serve` prints it, with no token or credentials in it",
      },
    );
  return parsed.toString();
}

/** A URL as an error may show it: never its query or credentials (they may hold a token). */
function shownUrl(url: string, parsed: URL | null): string {
  if (!parsed) return JSON.stringify(url.slice(0, 80));
  const hidden = parsed.search || parsed.username || parsed.password;
  return `${JSON.stringify(`${parsed.protocol}//${parsed.host}${parsed.pathname}`)}${hidden ? " (with credentials or a query, not shown)" : ""}`;
}

/** Connects to the coordinator's HTTP endpoint with the worker's token in the Authorization header. */
export async function connectCoordinator(url: string, token: string): Promise<Client> {
  const client = new Client({ name: "jig-worker", version: VERSION });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

/**
 * The agent commits in the worktree: without a git identity on this machine (a fresh HOME, a container)
 * every commit fails, deep in the agent's session. Refused here instead, saying what to set.
 */
async function checkCommitIdentity(worktree: string): Promise<void> {
  const ident = await gitRun(worktree, ["var", "GIT_AUTHOR_IDENT"]);
  if (ident.exitCode === 0) return;
  throw new JigError(
    "PRECONDITION_FAILED",
    `git has no identity to commit with on this machine (HOME=${homedir()}): ${
      ident.stderr
        .trim()
        .split("\n")
        .find((line) => /identity|unable|empty/i.test(line)) ?? "git var failed"
    }`,
    {
      hint: 'set it for the worker\'s user: git config --global user.name "…" and git config --global user.email "…" (or GIT_AUTHOR_NAME/EMAIL and GIT_COMMITTER_NAME/EMAIL in the launcher\'s environment)',
    },
  );
}

/** Fails early, with the coordinator's own words, when the URL, the token or the task is wrong. */
async function checkTask(url: string, token: string, task: string): Promise<void> {
  let client: Client;
  try {
    client = await connectCoordinator(url, token);
  } catch (error) {
    if ((error as { code?: unknown }).code === 401)
      throw new JigError("UNAUTHORIZED", `the coordinator at ${url} refused this worker's token`, {
        hint:
          "the launcher passes each worker its own token ({token} or {tokenFile} in the template); the admin " +
          "token jig serve prints is not a worker's, and a token stops working once its task is killed, abandoned, cleaned or retried",
      });
    throw new JigError(
      "PRECONDITION_FAILED",
      `cannot reach the coordinator at ${url}: ${redactSecrets((error as Error).message).split("\n")[0]}`,
      {
        hint: "check the URL and that `jig serve` runs there; a 401 means the token is not this coordinator's",
      },
    );
  }
  try {
    const result = (await client.callTool({ name: "get_task", arguments: { id: task } })) as CallToolResult;
    if (result.isError) {
      const text = result.content.map((part) => (part.type === "text" ? part.text : "")).join(" ");
      throw new JigError("NOT_FOUND", `the coordinator does not know task '${task}': ${text}`, {
        hint: "pass the task id the coordinator spawned this worker for",
      });
    }
  } finally {
    await client.close().catch(() => {});
  }
}

export function workerPlace(options: Pick<RemoteWorkerOptions, "dir" | "remote">, name: string): WorkerPlace {
  const base =
    options.dir ??
    process.env.JIG_WORKER_HOME ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "jig", "worker");
  const slug =
    basename(options.remote.replace(/\/+$/, ""))
      .replace(/[^A-Za-z0-9._-]/g, "_")
      .slice(0, 40) || "repo";
  const home = join(
    base,
    `${slug}-${createHash("sha256").update(options.remote).digest("hex").slice(0, 12)}`,
  );
  return {
    repo: join(home, "repo.git"),
    worktree: join(home, "work", name),
    privateDir: join(home, "sessions", name),
    lock: join(home, "fetch"),
  };
}

/**
 * The cached clone (created once, fetched each time) and this worker's worktree: a worktree left by an
 * earlier session of this worker is kept as it is (its commits and files are the work so far), and
 * fast-forwarded when the remote has more of it.
 */
export async function prepareWorktree(
  place: WorkerPlace,
  work: { remote: string; name: string; target?: string },
): Promise<void> {
  const branch = workerBranch(work.name);
  const ref = workerRemoteRef(work.name);
  const fetched = `refs/remotes/jig/${work.name}`;
  await mkdir(place.privateDir, { recursive: true, mode: 0o700 });
  await withLock(place.lock, async () => {
    if (!existsSync(join(place.repo, "HEAD"))) {
      await mkdir(place.repo, { recursive: true });
      await git(place.repo, ["init", "--quiet", "--bare"]);
      // No branch is "current" in the clone, so fetching into any branch (the target too) is allowed.
      await git(place.repo, ["symbolic-ref", "HEAD", "refs/heads/_jig-none"]);
      await git(place.repo, ["remote", "add", "origin", work.remote]);
      log(`cloning ${work.remote}`);
    } else await git(place.repo, ["remote", "set-url", "origin", work.remote]);
    const out = await gitRun(place.repo, [
      "fetch",
      "--quiet",
      "--no-tags",
      "origin",
      `+${ref}:${fetched}`,
      ...(work.target ? [`+refs/heads/${work.target}:refs/heads/${work.target}`] : []),
    ]);
    if (out.exitCode !== 0)
      throw new JigError(
        "PRECONDITION_FAILED",
        `cannot fetch ${ref} and ${work.target} from ${work.remote}: ${out.stderr.trim().split("\n")[0]}`,
        {
          hint: "the coordinator creates both when it spawns the worker: check the remote URL and that this machine can read it",
        },
      );
    if (existsSync(join(place.worktree, ".git"))) {
      const local = (await git(place.worktree, ["rev-parse", "HEAD"])).trim();
      const ahead = await gitRun(place.worktree, ["merge-base", "--is-ancestor", local, fetched]);
      if (ahead.exitCode === 0) await gitRun(place.worktree, ["merge", "--ff-only", "--quiet", fetched]);
      return;
    }
    await git(place.repo, ["worktree", "prune"]);
    const existing = await gitRun(place.repo, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]);
    const keep =
      existing.exitCode === 0 &&
      (await gitRun(place.repo, ["merge-base", "--is-ancestor", fetched, `refs/heads/${branch}`]))
        .exitCode === 0;
    await mkdir(join(place.worktree, ".."), { recursive: true });
    await git(
      place.repo,
      keep
        ? ["worktree", "add", place.worktree, branch]
        : ["worktree", "add", "-B", branch, place.worktree, fetched],
    );
  });
  await ensureExcluded(place.worktree);
  const skills = join(PACKAGE_ROOT, "skills");
  for (const skill of await readdir(skills).catch(() => [] as string[]))
    await cp(join(skills, skill), join(place.worktree, ".claude", "skills", skill), {
      recursive: true,
      force: true,
    });
}

/**
 * Pushes the worker's branch to its ref on the remote (the worker owns that ref: `+`, a rebase is
 * fine). Returns null, or why it failed.
 */
export async function pushWork(worktree: string, name: string): Promise<string | null> {
  const out = await gitRun(worktree, [
    "push",
    "--quiet",
    "--porcelain",
    "origin",
    `+refs/heads/${workerBranch(name)}:${workerRemoteRef(name)}`,
  ]);
  return out.exitCode === 0 ? null : out.stderr.trim().split("\n")[0] || `git push exited ${out.exitCode}`;
}

/**
 * Why pushing the worker's branch would leave out commits the agent made — a rebase stopped half way,
 * or HEAD detached or on another branch with commits that are not on `_jig/<name>` — with what to do;
 * null when HEAD's commits are all on the branch.
 */
export async function commitsOffBranch(worktree: string, name: string): Promise<string | null> {
  const branch = workerBranch(name);
  const gitDir = (await gitRun(worktree, ["rev-parse", "--absolute-git-dir"])).stdout.trim();
  if (gitDir && ["rebase-merge", "rebase-apply"].some((dir) => existsSync(join(gitDir, dir))))
    return `a rebase is in progress in ${worktree}: finish it (resolve, git add, git rebase --continue) or undo it (git rebase --abort)`;
  const symbolic = await gitRun(worktree, ["symbolic-ref", "-q", "HEAD"]);
  const on = symbolic.stdout.trim();
  if (symbolic.exitCode === 0 && on === `refs/heads/${branch}`) return null;
  const head = (await gitRun(worktree, ["rev-parse", "--verify", "--quiet", "HEAD"])).stdout.trim();
  if (!head) return null;
  const count = async (range: string) =>
    Number((await gitRun(worktree, ["rev-list", "--count", range])).stdout.trim()) || 0;
  const ahead = await count(`refs/heads/${branch}..${head}`);
  if (ahead === 0) return null;
  const where =
    symbolic.exitCode === 0
      ? `HEAD is on the branch ${on.replace(/^refs\/heads\//, "")}`
      : `HEAD is detached at ${head.slice(0, 10)}`;
  const fix =
    (await count(`${head}..refs/heads/${branch}`)) === 0
      ? `git checkout -B ${branch} (your branch moves to HEAD and keeps them)`
      : `git checkout ${branch} && git cherry-pick ${branch}..${head.slice(0, 10)} (your branch has other commits too)`;
  return `${where}, with ${ahead} commit(s) that are not on your branch ${branch} — land pushes only ${branch}, so they would be left out. Put them on it: ${fix}`;
}

/** Runs the agent with its output on ours; signals that end us are passed on. Its exit code is ours. */
function runAgent(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): { exited: Promise<number>; stop: () => void } {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "inherit", "inherit"] });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, forward(signal));
  const exited = new Promise<number>((resolve) => {
    child.once("error", (error) => {
      log(`the agent could not start: ${error.message}`);
      resolve(127);
    });
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
  return {
    exited,
    // SIGTERM, then SIGKILL if it has not ended 10 s later.
    stop() {
      child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
      kill.unref();
      void exited.then(() => clearTimeout(kill));
    },
  };
}

function coordinatorTimeoutMs(options: Pick<RemoteWorkerOptions, "coordinatorTimeout">): number {
  const fromEnv = Number(process.env.JIG_WORKER_COORDINATOR_TIMEOUT);
  const seconds =
    options.coordinatorTimeout ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_TIMEOUT_S);
  return seconds * 1000;
}

const DEFAULT_TIMEOUT_S = 300;

const signalNumber = (signal: NodeJS.Signals): number =>
  ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 })[signal as string] ?? 0;
