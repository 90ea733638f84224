import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { JigContext } from "../core/context.js";
import { branchCommit } from "../core/git-ops.js";
import { issueToken } from "../core/identity.js";
import type { Issue } from "../core/issue.js";
import { remoteStatusDir, workerRemoteRef } from "../core/remote-work.js";
import type { WorkerRecord } from "../core/workers.js";
import { workerBranch } from "../core/worktrees.js";
import { JigError } from "../errors.js";
import { writeFileAtomic } from "../lib/fs.js";
import { git, gitRun } from "../lib/git.js";
import type { RemoteLauncher } from "./launchers/index.js";
import { workerPrompt } from "./prompts.js";
import { type Agent, type SpawnOptions, startSession } from "./spawn.js";

// A task worker placed by a remote launcher (docs/remote.md): no worktree here. The coordinator makes
// sure the shared remote has the target and the worker's ref (`refs/jig/workers/<name>`, created at the
// target; kept as the worker last pushed it on a respawn), gives the worker its own token, and starts
// the launcher's command under the usual supervisor; the worker clones, works and pushes on its side.

export async function startRemoteWorker(
  ctx: JigContext,
  launcher: RemoteLauncher,
  task: { issue: Issue; target: string; agent: Agent },
  options: SpawnOptions,
): Promise<WorkerRecord> {
  const { issue, target, agent } = task;
  const name = issue.id;
  const root = ctx.paths.root;
  const remote = ctx.config.remote!; // the config schema requires it for a remote launcher
  const config = ctx.config.launcher as Extract<typeof ctx.config.launcher, { url: string }>;
  const remoteUrl = config.remoteUrl ?? (await git(root, ["remote", "get-url", remote])).trim();
  const branch = workerBranch(name);
  if ((await branchCommit(root, branch)) === null)
    await git(root, ["branch", branch, `refs/heads/${target}`]);
  await publishStart(ctx, remote, { target, branch, ref: workerRemoteRef(name) });
  const statusDir = remoteStatusDir(ctx.paths, name);
  await mkdir(statusDir, { recursive: true, mode: 0o700 });
  const token = await issueToken(ctx.paths, name);
  const prompt = workerPrompt(issue.id, target);
  return startSession(
    ctx,
    { name, kind: "task", issue: issue.id, epic: issue.epic, branch, target, worktree: statusDir },
    agent,
    // The agent's own launch happens on the worker's machine (jig worker); only the prompt is used here.
    {
      role: "worker",
      cwd: statusDir,
      prompt,
      mcpConfigPath: "",
      mcpServer: { command: "", args: [], env: {} },
      issue: issue.id,
    },
    options,
    {
      kind: launcher.kind,
      async launch(privateDir) {
        // For engines that take a secret from a file (a Kubernetes Secret, scp): 0600, beside the session.
        const tokenFile = join(privateDir, "token");
        await writeFileAtomic(tokenFile, token, 0o600);
        return launcher.launch(ctx, {
          name,
          task: issue.id,
          target,
          agent: agent.name,
          agentType: agent.backend.type,
          url: config.url,
          remote: remoteUrl,
          token,
          tokenFile,
          privateDir,
        });
      },
    },
  );
}

/**
 * What a worker starts from, on the shared remote: the target (created there when only this repository
 * has it) and the worker's ref (created at the worker's branch here; one the worker already pushed is
 * kept, so a respawned worker continues its own work). Only refs the remote lacks are pushed, each with
 * a lease that expects it absent.
 */
async function publishStart(
  ctx: JigContext,
  remote: string,
  refs: { target: string; branch: string; ref: string },
): Promise<void> {
  const root = ctx.paths.root;
  const listed = await gitRun(root, ["ls-remote", remote, `refs/heads/${refs.target}`, refs.ref]);
  if (listed.exitCode !== 0)
    throw new JigError(
      "PRECONDITION_FAILED",
      `the remote '${remote}' cannot be read: ${firstLine(listed.stderr)}`,
      {
        hint: `remote workers fetch and push through it: check \`git ls-remote ${remote}\` here`,
      },
    );
  const has = new Set(
    listed.stdout
      .split("\n")
      .map((line) => line.split("\t")[1])
      .filter(Boolean),
  );
  const push: string[] = [];
  const leases: string[] = [];
  if (!has.has(`refs/heads/${refs.target}`)) {
    push.push(`refs/heads/${refs.target}:refs/heads/${refs.target}`);
    leases.push(`--force-with-lease=refs/heads/${refs.target}:`);
  }
  if (!has.has(refs.ref)) {
    push.push(`refs/heads/${refs.branch}:${refs.ref}`);
    leases.push(`--force-with-lease=${refs.ref}:`);
  }
  if (push.length === 0) return;
  const pushed = await gitRun(root, ["push", "--quiet", "--porcelain", ...leases, remote, ...push]);
  // Rejected because another spawn created the same ref meanwhile is fine; any other failure is not.
  if (pushed.exitCode !== 0 && !/stale info|fetch first|already exists/.test(pushed.stdout + pushed.stderr))
    throw new JigError(
      "PRECONDITION_FAILED",
      `could not push to the remote '${remote}': ${firstLine(pushed.stderr)}`,
      {
        hint: "remote workers start from the target there: check that this machine can push to it",
      },
    );
}

const firstLine = (text: string): string => text.trim().split("\n")[0] ?? "";
