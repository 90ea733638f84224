import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openContext } from "../src/core/context.js";
import { createWorktree } from "../src/core/worktrees.js";

// Throwaway repositories for the benchmarks: an epic with `count` subtasks (epics of 50, chained).
export function benchRepo(count: number): string {
  const root = mkdtempSync(join(tmpdir(), "jig-bench-"));
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("config", "user.name", "bench");
  git("config", "user.email", "bench@jig.local");
  mkdirSync(join(root, "issues"));
  for (let i = 0; i < count; i++) {
    const epic = `e${Math.floor(i / 50)}`;
    const n = (i % 50) + 1;
    if (n === 1)
      writeFileSync(
        join(root, "issues", `${epic}.md`),
        `---\ntarget: feature/${epic}\n---\n# Epic ${epic}\n`,
      );
    const id = `${epic}-${String(n).padStart(2, "0")}-task`;
    writeFileSync(
      join(root, "issues", `${id}.md`),
      `---\nepic: ${epic}\nstatus: planned\nassigned:\ndepends: []\n---\n\n# Task ${i}\n\n## Objective\n${"Do the thing. ".repeat(20)}\n`,
    );
  }
  writeFileSync(join(root, "README.md"), "# bench\n");
  git("add", "-A");
  git("commit", "-q", "-m", "init");
  mkdirSync(join(root, ".git", "info"), { recursive: true });
  writeFileSync(join(root, ".git", "info", "exclude"), ".jig/\n");
  return root;
}

/** Registers one task worker (worktree and branch, no agent) for e0's first task; returns its name. */
export async function benchWorker(root: string): Promise<string> {
  execFileSync("git", ["branch", "feature/e0"], { cwd: root, stdio: "ignore" });
  const ctx = await openContext({ root });
  const name = "e0-01-task";
  const { path, branch } = await createWorktree(ctx, { name, from: "feature/e0" });
  await ctx.workers.save({
    name,
    kind: "task",
    issue: name,
    epic: "e0",
    branch,
    target: "feature/e0",
    worktree: path,
    agent: "bench",
    pid: null,
    started: new Date().toISOString(),
    logPath: join(ctx.paths.logsDir, `${name}.log`),
    exited: null,
    attempt: 1,
    usage: null,
  });
  return name;
}
