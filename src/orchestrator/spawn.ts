import { spawn as spawnProcess } from "node:child_process";
import { appendFile, chmod, cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { budgetStates, headroom, isReached, reachedMessage } from "../core/budgets.js";
import type { JigContext } from "../core/context.js";
import { currentBranch, epicBranches, taskTarget } from "../core/epics.js";
import { recordEvent } from "../core/events.js";
import { ensureExcluded } from "../core/exclude.js";
import { branchCommit } from "../core/git-ops.js";
import { ADMIN, assertWorkerName, issueToken, plannerName } from "../core/identity.js";
import { assertSafeId } from "../core/ids.js";
import { readVerdict } from "../core/landing/queue.js";
import { assignTask, reviveTask, startTransition } from "../core/lifecycle.js";
import { sessionFile, stateBase, stateDir } from "../core/paths.js";
import { describeExit, readWorkerStatus, sessionRunning, type WorkerRecord } from "../core/workers.js";
import { createWorktree } from "../core/worktrees.js";
import { JigError } from "../errors.js";
import { mkdirState, writeFileAtomic } from "../lib/fs.js";
import { git } from "../lib/git.js";
import { CLI_ENTRY, jigArgv, PACKAGE_ROOT } from "../version.js";
import type { Budget, LaunchRequest, LaunchSpec, McpServerLaunch } from "./backends/backend.js";
import { resolveAgent } from "./backends/index.js";
import type { WorkerLaunch } from "./launchers/index.js";
import { remoteLauncher } from "./launchers/index.js";
import { adhocPrompt, plannerPrompt, resumePrompt, workerPrompt } from "./prompts.js";
import { startRemoteWorker } from "./remote-spawn.js";
import { writeSessionSettings } from "./session-settings.js";

// Starting sessions: a worktree and branch, an identity and MCP config, the skills, a registry record,
// and the agent itself under a detached supervisor, so `jig spawn` returns at once.
// Over 300 lines on purpose: the three kinds of session (task, ad-hoc, planner) share one start
// (startSession) and one worker sequence (startWorkerSession); split, each would reach into the other.

/** How a session starts jig's MCP server: over stdio, with the session's own identity. */
export function mcpServer(ctx: JigContext, token: string): McpServerLaunch {
  return {
    command: process.execPath,
    args: jigArgv("serve", "--stdio"),
    // The agent may run with another HOME: its jig server is told where the state is.
    env: { JIG_ROOT: ctx.paths.root, JIG_TOKEN: token, JIG_STATE_DIR: stateBase() },
  };
}

/** Where a session's MCP config lives: beside the secrets, outside the repository (docs/security.md). */
export const mcpConfigFile = (ctx: JigContext, name: string): string =>
  sessionFile(ctx.paths, assertSafeId(name, "worker name"), "mcp");

/** The MCP config a session gets (Claude Code's `--mcp-config` format): jig over stdio, with the session's own identity. */
export async function writeMcpConfig(ctx: JigContext, name: string, token: string): Promise<string> {
  // No other session's tools can read this token: it is outside every worktree's reach.
  const file = mcpConfigFile(ctx, name);
  const config = { mcpServers: { jig: mcpServer(ctx, token) } };
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await chmod(dirname(file), 0o700);
  await writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  return file;
}

async function installSkills(ctx: JigContext, dir: string): Promise<void> {
  await ensureExcluded(ctx.paths.root);
  const source = join(PACKAGE_ROOT, "skills");
  for (const name of await readdir(source).catch(() => [] as string[])) {
    await cp(join(source, name), join(dir, ".claude", "skills", name), { recursive: true, force: true });
  }
}

/** Starts the supervisor (detached) that runs the agent and records how it ended. */
async function startSupervised(
  ctx: JigContext,
  record: WorkerRecord,
  spec: LaunchSpec & { budget: Budget | null; stdin?: string },
): Promise<number> {
  await writeFileAtomic(
    // Its environment holds the user's API keys: kept outside the repository, with the tokens.
    sessionFile(ctx.paths, record.name, "launch"),
    JSON.stringify(spec),
    0o600,
  );
  await mkdirState(ctx.paths.logsDir);
  // The log exists before spawn returns, so `jig logs -f` right after `jig spawn` follows it
  // instead of racing the supervisor's start-up.
  // A planner's log holds its own session only (a re-plan starts a new one); a retried worker's log keeps
  // every attempt, one after the other.
  if (record.kind === "planner") await writeFile(record.logPath, "", { mode: 0o600 });
  else await appendFile(record.logPath, "", { mode: 0o600 });
  const child = spawnProcess(process.execPath, jigArgv("agent-supervise", record.name), {
    cwd: ctx.paths.root,
    env: { ...withoutJigToken(process.env), JIG_ROOT: ctx.paths.root },
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  if (!child.pid)
    throw new JigError("PROCESS_FAILED", `could not start the session of '${record.name}'`, {
      hint: `its supervisor (${process.execPath} ${CLI_ENTRY} agent-supervise ${record.name}) did not start: check that node can spawn processes here, then ${
        record.kind === "task"
          ? `\`jig retry ${record.issue}\``
          : record.kind === "planner"
            ? `\`jig plan ${record.epic}\``
            : `\`jig spawn ${record.name} --context "…"\` again`
      }`,
    });
  return child.pid;
}

/** The environment without a jig token: a session's only token is its own MCP server's. */
function withoutJigToken<T extends Record<string, string | undefined>>(env: T): T {
  const { JIG_TOKEN: _dropped, ...rest } = env;
  return rest as T;
}

export type Agent = ReturnType<typeof resolveAgent>;

/**
 * Registers a session (its record, attempt and status file), then starts its agent under a supervisor —
 * or, with `placement`, the remote launcher's command that runs `jig worker` elsewhere (remote-spawn.ts).
 */
export async function startSession(
  ctx: JigContext,
  who: Pick<WorkerRecord, "name" | "kind" | "issue" | "epic" | "branch" | "target" | "worktree">,
  agent: Agent,
  launch: Pick<LaunchRequest, "role" | "cwd" | "prompt" | "mcpConfigPath" | "mcpServer" | "issue">,
  options: SpawnOptions = {},
  placement?: Placement,
): Promise<WorkerRecord> {
  const previous = await ctx.workers.get(who.name);
  const budgets = await budgetStates(ctx, { task: who.kind === "planner" ? null : who.name, epic: who.epic });
  const reached = budgets.find(isReached);
  if (reached)
    throw new JigError("PRECONDITION_FAILED", `${who.name}: ${reachedMessage(reached)}`, {
      hint: `raise it with \`jig budget ${reached.id} <amount>\``,
    });
  // A retry continues the earlier conversation where the CLI can (same agent, a conversation id recorded).
  const resume =
    !placement &&
    !options.fresh &&
    previous?.session &&
    previous.agent === agent.name &&
    agent.backend.resumes
      ? previous.session
      : null;
  const prompt = resume
    ? resumePrompt(options.note ?? (await whatHappened(ctx, previous!)), launch.prompt)
    : launch.prompt;
  const record: WorkerRecord = {
    ...who,
    agent: agent.name,
    pid: null,
    started: new Date().toISOString(),
    logPath: join(ctx.paths.logsDir, `${who.name}.log`),
    exited: null,
    attempt: (previous?.attempt ?? 0) + 1,
    usage: previous?.usage ?? null,
    usageBefore: previous?.usage ?? null,
    session: resume,
    launcher: placement?.kind ?? "local",
    host: null,
  };
  await startTransition(ctx, record);
  // CLI homes hold the session's MCP config, token included: outside the repository, like the secrets.
  const privateDir = join(stateDir(ctx.paths.root), "agents", who.name);
  await mkdir(privateDir, { recursive: true, mode: 0o700 });
  const budget = headroom(budgets);
  if (placement) {
    // A launch refused before anything started (every ssh host full, a bad template) must not leave
    // this attempt's record behind: it would read as a session starting for a minute and refuse the
    // next spawn of the task. The earlier record comes back, or none.
    const launched = await placement.launch(privateDir).catch(async (error: unknown) => {
      if (previous) await ctx.workers.save(previous);
      else await ctx.workers.remove(who.name);
      throw error;
    });
    const { host = null, stdin, ...spec } = launched;
    const pid = await startSupervised(ctx, record, { ...spec, type: agent.backend.type, stdin, budget });
    await recordSpawned(ctx, record);
    return ctx.workers.update(who.name, (current) => ({ ...current, pid, host }));
  }
  const spec = await agent.backend.launch({
    ...launch,
    prompt,
    name: who.name,
    config: agent.config,
    privateDir,
    writableRoots: [await gitCommonDir(ctx.paths.root)],
    instructions: await readSkill(launch.role === "planner" ? "jig-planner" : "jig-worker"),
    resume,
    budget,
    settingsPath: await writeSessionSettings(ctx, who.name, agent.config),
  });
  // Never a token inherited from whoever ran jig (a human with JIG_TOKEN set in their shell).
  spec.env = withoutJigToken(spec.env) as Record<string, string>;
  const pid = await startSupervised(ctx, record, { ...spec, budget });
  await recordSpawned(ctx, record);
  return ctx.workers.update(who.name, (current) => ({ ...current, pid }));
}

/** A remote session's launch: the launcher's command for this attempt (given the session's private dir). */
export interface Placement {
  kind: string;
  launch(privateDir: string): Promise<WorkerLaunch>;
}

async function recordSpawned(ctx: JigContext, record: WorkerRecord): Promise<void> {
  if (record.kind === "task")
    await recordEvent(ctx, {
      type: "spawned",
      epic: record.epic,
      worker: record.name,
      task: record.issue,
      attempt: record.attempt,
      agent: record.agent,
    });
}

/** What ended the previous session, in a line for the resumed one: its exit, or why its land was refused. */
async function whatHappened(ctx: JigContext, previous: WorkerRecord): Promise<string> {
  const status = await readWorkerStatus(previous.worktree);
  const verdict = await readVerdict(ctx.paths, previous.name);
  // The verdict of this session's last land (one from an earlier session says nothing about this one).
  if (verdict?.state === "blocked" && verdict.reason && verdict.at >= previous.started)
    return `your land was refused: ${verdict.reason}`;
  if (status?.status === "blocked" && status.message) return `you were blocked: ${status.message}`;
  return `the session ended (${describeExit(previous)})`;
}

async function readSkill(name: string): Promise<string> {
  return readFile(join(PACKAGE_ROOT, "skills", name, "SKILL.md"), "utf8").catch(() => "");
}

async function gitCommonDir(root: string): Promise<string> {
  return (await git(root, ["rev-parse", "--path-format=absolute", "--git-common-dir"])).trim();
}

/**
 * A worker's session (a task's or an ad-hoc one) in its own worktree: the worktree and branch from `from`,
 * the skills, an identity and its MCP config, then the agent under its supervisor.
 */
async function startWorkerSession(
  ctx: JigContext,
  agent: ReturnType<typeof resolveAgent>,
  worker: {
    name: string;
    kind: "task" | "adhoc";
    issue: string | null;
    epic: string | null;
    from: string;
    target: string;
  },
  prompt: string,
  options: SpawnOptions,
): Promise<WorkerRecord> {
  const { name, kind, issue, epic, from, target } = worker;
  const { path, branch } = await createWorktree(ctx, { name, from });
  await installSkills(ctx, path);
  const token = await issueToken(ctx.paths, name);
  const mcpConfigPath = await writeMcpConfig(ctx, name, token);
  return startSession(
    ctx,
    { name, kind, issue, epic, branch, target, worktree: path },
    agent,
    {
      role: kind === "task" ? "worker" : "adhoc",
      cwd: path,
      prompt,
      mcpConfigPath,
      mcpServer: mcpServer(ctx, token),
      issue,
    },
    options,
  );
}

export interface SpawnOptions {
  agent?: string;
  /** Start a new conversation even where the last one could be resumed. */
  fresh?: boolean;
  /** For a resumed session: what happened since it stopped (default: read from its exit and status). */
  note?: string;
  /** On this machine, whatever jig.json's launcher says. */
  local?: boolean;
}

/** One worker for one subtask. Refuses a task that is complete, or assigned to a live worker. */
export async function spawnTaskWorker(
  ctx: JigContext,
  ref: string,
  options: SpawnOptions = {},
): Promise<WorkerRecord> {
  const issue = await ctx.issues.get(ref);
  if (issue.kind !== "subtask")
    throw new JigError("INVALID_INPUT", `'${issue.id}' is an epic; spawn workers for its subtasks`, {
      hint: `run \`jig plan ${relative(ctx.paths.root, ctx.issues.fileOf(issue.id))}\``,
    });
  const name = issue.id;
  const agent = resolveAgent(ctx.config, options.agent);
  const existing = await ctx.workers.get(name);
  if (existing && sessionRunning(existing)) {
    throw new JigError("CONFLICT", `task '${issue.id}' already has a running worker (pid ${existing.pid})`, {
      hint: `see \`jig ps\`; stop it with \`jig kill ${name}\` first`,
    });
  }
  const target = await taskTarget(ctx, issue);
  if ((await branchCommit(ctx.paths.root, target)) === null) {
    throw new JigError("PRECONDITION_FAILED", `the target branch '${target}' does not exist`, {
      hint: `run \`jig plan ${issue.epic}\` first (it creates the target), then \`jig spawn --issue ${issue.id}\``,
    });
  }
  // Take the task for this worker before starting anything (compare-and-set: open, and unassigned or ours).
  await assignTask(ctx, ADMIN, issue.id, name);
  const remote = options.local ? null : remoteLauncher(ctx.config.launcher);
  if (remote) return startRemoteWorker(ctx, remote, { issue, target, agent }, options);
  return startWorkerSession(
    ctx,
    agent,
    { name, kind: "task", issue: issue.id, epic: issue.epic, from: target, target },
    workerPrompt(issue.id, target),
    options,
  );
}

/**
 * `jig retry`: a blocked, dead or abandoned task respawned in its kept worktree (commits and all), with its
 * retry count reset. The scheduler's own retries take the same path (spawnTaskWorker), so whatever a
 * respawn carries over (such as resuming the agent's conversation) applies to both.
 */
export async function retryTask(
  ctx: JigContext,
  ref: string,
  options: SpawnOptions = {},
): Promise<WorkerRecord> {
  const task = await reviveTask(ctx, ADMIN, ref);
  const previous = await ctx.workers.get(task.id);
  return spawnTaskWorker(ctx, task.id, { agent: options.agent ?? previous?.agent });
}

/** An ad-hoc worker: `_jig/<name>` from the current branch, its task in the prompt, reviewed and merged by hand. */
export async function spawnAdhocWorker(
  ctx: JigContext,
  name: string,
  context: string,
  options: SpawnOptions = {},
): Promise<WorkerRecord> {
  assertWorkerName(name);
  if (!context.trim())
    throw new JigError("INVALID_INPUT", "--context is empty", {
      hint: `describe the task: jig spawn ${name} --context "Fix the typo in README"`,
    });
  const existing = await ctx.workers.get(name);
  if (existing && sessionRunning(existing)) {
    throw new JigError("CONFLICT", `worker '${name}' is already running (pid ${existing.pid})`, {
      hint: `pick another name, or \`jig kill ${name}\``,
    });
  }
  const agent = resolveAgent(ctx.config, options.agent);
  const from = (await currentBranch(ctx.paths.root)) ?? "HEAD";
  return startWorkerSession(
    ctx,
    agent,
    { name, kind: "adhoc", issue: null, epic: null, from, target: from },
    adhocPrompt(name, context),
    options,
  );
}

/** The planner session for an epic: runs in the repo root with a planner identity that may only plan this epic. */
export async function spawnPlanner(
  ctx: JigContext,
  epicId: string,
  options: SpawnOptions & { keep?: string[] } = {},
): Promise<WorkerRecord> {
  const { epic, target } = await epicBranches(ctx, epicId);
  const name = plannerName(epic.id);
  const agent = resolveAgent(ctx.config, options.agent);
  const statusDir = join(ctx.paths.jigDir, "planners", name);
  await mkdirState(statusDir);
  const token = await issueToken(ctx.paths, name, { epic: epic.id });
  const mcpConfigPath = await writeMcpConfig(ctx, name, token);
  const epicFile = relative(ctx.paths.root, ctx.issues.fileOf(epic.id));
  return startSession(
    ctx,
    { name, kind: "planner", issue: epic.id, epic: epic.id, branch: target, target, worktree: statusDir },
    agent,
    {
      role: "planner",
      cwd: ctx.paths.root,
      prompt: plannerPrompt(epic.id, epicFile, options.keep),
      mcpConfigPath,
      mcpServer: mcpServer(ctx, token),
      issue: epic.id,
    },
    options,
  );
}
