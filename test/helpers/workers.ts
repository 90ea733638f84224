import { join } from "node:path";
import type { JigContext } from "../../src/core/context.js";
import { taskTarget } from "../../src/core/epics.js";
import type { Caller } from "../../src/core/identity.js";
import { issueToken } from "../../src/core/identity.js";
import { writeWorkerStatus } from "../../src/core/workers.js";
import { createWorktree } from "../../src/core/worktrees.js";
import { gitIn, issueFile, writeFiles } from "./repo.js";

// A registered worker with its worktree and branch but no agent process: the test drives it directly.
export async function makeWorker(
  ctx: JigContext,
  issueId: string,
): Promise<{ caller: Caller; worktree: string; token: string }> {
  const issue = await ctx.issues.get(issueId);
  const target = await taskTarget(ctx, issue);
  const { path, branch } = await createWorktree(ctx, { name: issue.id, from: target });
  await ctx.workers.save({
    name: issue.id,
    kind: "task",
    issue: issue.id,
    epic: issue.epic,
    branch,
    target,
    worktree: path,
    agent: "test",
    pid: null,
    started: new Date().toISOString(),
    logPath: join(ctx.paths.logsDir, `${issue.id}.log`),
    exited: null,
    attempt: 1,
    usage: null,
  });
  await ctx.issues.update(issue.id, () => ({ assigned: issue.id }));
  await writeWorkerStatus(path, { status: "working", message: null });
  const token = await issueToken(ctx.paths, issue.id);
  return { caller: { role: "worker", name: issue.id }, worktree: path, token };
}

/** Writes files in a worktree and commits them. */
export function commitIn(worktree: string, files: Record<string, string>, message = "work"): string {
  writeFiles(worktree, files);
  gitIn(worktree, "add", "-A");
  gitIn(worktree, "commit", "-q", "-m", message);
  return gitIn(worktree, "rev-parse", "HEAD");
}

/** An epic with `count` independent subtasks (or the given depends), and its target branch created. */
export function epicFiles(
  epic: string,
  count: number,
  depends: Record<number, number[]> = {},
): Record<string, string> {
  const files: Record<string, string> = {
    [`issues/${epic}.md`]: issueFile({ target: `feature/${epic}` }, `# Epic ${epic}\n`),
  };
  for (let i = 1; i <= count; i++) {
    const id = `${epic}-${String(i).padStart(2, "0")}-t${i}`;
    const deps = (depends[i] ?? []).map((d) => `${epic}-${String(d).padStart(2, "0")}-t${d}`);
    files[`issues/${id}.md`] = issueFile(
      { epic, status: "planned", assigned: null, target: `feature/${epic}`, depends: deps },
      `# Task ${i}\n\n## Objective\nDo task ${i}.\n`,
    );
  }
  return files;
}
