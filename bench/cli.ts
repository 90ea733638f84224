import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI_ENTRY } from "../src/version.js";
import { benchRepo } from "./fixtures.js";
import { fmt, printTable, ratio, sample } from "./util.js";

// Whole-command timings: jig --version start-up beside a bare `node -e ""`, and jig ps / jig status with
// 50 workers (real worktrees and branches) and 1,000 issues.
export async function run(): Promise<void> {
  const root = benchRepo(1_000);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "ignore" });
  git("branch", "feature/e0");
  mkdirSync(join(root, ".jig", "workers"), { recursive: true });
  for (let i = 1; i <= 50; i++) {
    const id = `e0-${String(i).padStart(2, "0")}-task`;
    const worktree = join(root, ".jig", "worktrees", id);
    git("worktree", "add", "-q", "-b", `_jig/${id}`, worktree, "feature/e0");
    writeFileSync(join(worktree, `w${i}.txt`), "x\n".repeat(i));
    execFileSync("git", ["add", "-A"], { cwd: worktree });
    execFileSync("git", ["commit", "-q", "-m", "w"], { cwd: worktree });
    mkdirSync(join(worktree, ".jig"), { recursive: true });
    writeFileSync(
      join(worktree, ".jig", "status.json"),
      JSON.stringify({
        status: i % 7 === 0 ? "blocked" : "working",
        message: i % 7 === 0 ? "need help" : null,
      }),
    );
    const record = {
      name: id,
      kind: "task",
      issue: id,
      epic: "e0",
      branch: `_jig/${id}`,
      target: "feature/e0",
      worktree,
      agent: "bench",
      pid: process.pid,
      started: new Date().toISOString(),
      logPath: join(root, ".jig", "logs", `${id}.log`),
      exited: null,
      attempt: 1,
      usage: { costUsd: 0.1, inputTokens: 1, outputTokens: 1, turns: 1 },
    };
    writeFileSync(join(root, ".jig", "workers", `${id}.json`), JSON.stringify(record));
  }
  const run = (args: string[]) => async () => {
    execFileSync(process.execPath, args, { cwd: root, stdio: "ignore" });
  };
  const node = await sample(run(["-e", ""]), { n: 10, warmup: 2 });
  const version = await sample(run([CLI_ENTRY, "--version"]), { n: 10, warmup: 2 });
  // Cold: no git memo (the first jig ps, or the first after every branch moved); warm: the answers kept.
  const memo = join(root, ".jig", "cache");
  const psCold = await sample(
    async () => {
      rmSync(memo, { recursive: true, force: true });
      await run([CLI_ENTRY, "ps"])();
    },
    { n: 5, warmup: 1 },
  );
  const ps = await sample(run([CLI_ENTRY, "ps"]), { n: 5, warmup: 1 });
  const psJson = await sample(run([CLI_ENTRY, "ps", "--json"]), { n: 5, warmup: 1 });
  const status = await sample(run([CLI_ENTRY, "status", "e0"]), { n: 5, warmup: 1 });
  const list = await sample(run([CLI_ENTRY, "issues", "list", "--json"]), { n: 5, warmup: 1 });
  printTable(
    "CLI (whole process, p50), 1,000 issues, 50 workers",
    ["command", "p50", "p99", "÷ node -e ''"],
    [
      ["node -e '' (baseline)", fmt(node.p50), fmt(node.p99), "1.00×"],
      ["jig --version", fmt(version.p50), fmt(version.p99), ratio(version.p50, node.p50)],
      ["jig ps, cold git memo (50 workers)", fmt(psCold.p50), fmt(psCold.p99), ratio(psCold.p50, node.p50)],
      ["jig ps, warm git memo (50 workers)", fmt(ps.p50), fmt(ps.p99), ratio(ps.p50, node.p50)],
      ["jig ps --json", fmt(psJson.p50), fmt(psJson.p99), ratio(psJson.p50, node.p50)],
      ["jig status e0", fmt(status.p50), fmt(status.p99), ratio(status.p50, node.p50)],
      ["jig issues list --json (1,000)", fmt(list.p50), fmt(list.p99), ratio(list.p50, node.p50)],
    ],
  );
  // JIG_BENCH_KEEP=1 keeps the repository, to profile a command in it (node --cpu-prof dist/src/cli.js ps).
  if (process.env.JIG_BENCH_KEEP) console.log(`kept: ${root}`);
  else rmSync(root, { recursive: true, force: true });
}
