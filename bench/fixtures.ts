import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
