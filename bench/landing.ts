import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { openContext } from "../src/core/context.js";
import { createWorktree } from "../src/core/worktrees.js";
import { fmt, printTable, ratio } from "./util.js";

// Landing: N workers finishing at once, jig vs the epic's shell convention (each worker loops
// `git fetch && git rebase origin/$TARGET && git push origin HEAD:$TARGET` until the push is accepted),
// both against the same kind of bare remote, with and without a gate, at 5, 20 and 50 workers, beside a
// pure-plumbing floor: the merge-tree/commit-tree work jig does, done serially by one shell script (no
// Node, no queue, no checks), one fetch, one gate run, one push. Every git process is counted by a
// `git` shim on PATH that logs its exit code and arguments; gate runs are counted by the gate itself.

const COUNTS = (process.env.JIG_BENCH_LANDING_WORKERS ?? "5,20,50").split(",").map(Number);
const GATE_SECONDS = Number(process.env.JIG_BENCH_GATE_SECONDS ?? 1);
const WORKER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "landing-worker.js");
const id = (n: number) => `e-${String(n).padStart(2, "0")}-t${n}`;

interface Scenario {
  name: string;
  workers: number;
  gate: boolean;
  /** 1-based index of a worker whose change breaks the gate, if any. */
  bad?: number;
  /** Commits per worker (default 1). */
  commits?: number;
}

interface Result {
  ms: number;
  gitOps: number;
  pushes: number;
  pushesRejected: number;
  gateRuns: number;
  landed: number;
  blocked: number;
}

const SCENARIOS: Scenario[] = [
  ...COUNTS.flatMap((workers) => [
    { name: `${workers} workers, no gate`, workers, gate: false },
    { name: `${workers} workers, gate of ${GATE_SECONDS}s`, workers, gate: true },
  ]),
  { name: "20 workers, gate, 1 bad", workers: 20, gate: true, bad: 14 },
  { name: "20 workers × 5 commits, no gate", workers: 20, gate: false, commits: 5 },
].filter((s) => !process.env.JIG_BENCH_LANDING_ONLY || s.name.includes(process.env.JIG_BENCH_LANDING_ONLY));

type Mode = "jig" | "shell" | "floor";

export async function run(): Promise<void> {
  const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  const rows: (string | number)[][] = [];
  const ratios: (string | number)[][] = [];
  for (const scenario of SCENARIOS) {
    process.stderr.write(`bench landing: ${scenario.name}…\n`);
    const shell = await measure(scenario, "shell", realGit);
    const jig = await measure(scenario, "jig", realGit);
    // The floor: jig's own git work (merge-tree + commit-tree per commit) in one serial shell script,
    // plus one fetch, one gate run and one push. Not defined when a branch must be found bad.
    const ideal = scenario.bad ? null : await measure(scenario, "floor", realGit);
    for (const [mode, r] of [
      ["shell", shell],
      ["jig", jig],
      ...(ideal ? [["plumbing floor", ideal] as const] : []),
    ] as const) {
      rows.push([
        scenario.name,
        mode,
        fmt(r.ms),
        r.gitOps,
        `${r.pushesRejected}/${r.pushes}`,
        r.gateRuns,
        `${r.landed}/${r.blocked}`,
      ]);
    }
    ratios.push([
      scenario.name,
      ratio(jig.ms, shell.ms),
      ratio(jig.gitOps, shell.gitOps),
      `${jig.pushesRejected} vs ${shell.pushesRejected}`,
      scenario.gate ? ratio(jig.gateRuns, shell.gateRuns) : "-",
      ideal ? ratio(jig.ms, ideal.ms) : "-",
      ratio(shell.ms, jig.ms),
    ]);
  }
  printTable(
    "Landing: workers finishing at once onto one target on a bare remote",
    ["scenario", "mode", "wall", "git ops", "rejected/pushes", "gate runs", "landed/blocked"],
    rows,
  );
  printTable(
    "Landing: jig ÷ shell convention (lower is better)",
    ["scenario", "wall", "git ops", "pushes rejected", "gate runs", "wall ÷ floor", "jig speed-up"],
    ratios,
  );
}

async function measure(scenario: Scenario, mode: Mode, realGit: string): Promise<Result> {
  const workers = scenario.workers;
  const dir = mkdtempSync(join(tmpdir(), `jig-bench-landing-${mode}-`));
  try {
    const env = setupEnv(dir, realGit);
    const { root, bare, gateCommand, gateRuns } = setupRepo(dir, scenario, mode, env);
    const gitLog = env.JIG_BENCH_GITLOG!;
    const worktrees: string[] = [];
    if (mode === "jig") {
      const ctx = await openContext({ root });
      for (let i = 1; i <= workers; i++) {
        const { path, branch } = await createWorktree(ctx, { name: id(i), from: "feature/e" });
        await ctx.workers.save({
          name: id(i),
          kind: "task",
          issue: id(i),
          epic: "e",
          branch,
          target: "feature/e",
          worktree: path,
          agent: "bench",
          pid: null,
          started: new Date().toISOString(),
          logPath: join(ctx.paths.logsDir, `${id(i)}.log`),
          exited: null,
          attempt: 1,
          usage: null,
        });
        worktrees.push(path);
      }
    } else {
      for (let i = 1; i <= workers; i++) {
        const path = join(dir, "wt", id(i));
        run0(root, env, ["worktree", "add", "-q", "-b", `w/${id(i)}`, path, "origin/feature/e"]);
        worktrees.push(path);
      }
    }
    worktrees.forEach((path, index) => {
      const n = index + 1;
      for (let c = 1; c <= (scenario.commits ?? 1); c++) {
        writeFileSync(join(path, `w${n}.txt`), `worker ${n}, commit ${c}\n`);
        if (n === scenario.bad) writeFileSync(join(path, "bad.txt"), "breaks the gate\n");
        run0(path, env, ["add", "-A"]);
        run0(path, env, ["commit", "-q", "-m", `work of ${n} (${c})`]);
      }
    });

    let children: ChildProcess[];
    if (mode === "jig") {
      children = worktrees.map((_, index) =>
        spawn(process.execPath, [WORKER_SCRIPT, root, id(index + 1)], {
          env,
          stdio: ["pipe", "pipe", "inherit"],
        }),
      );
      // Node's start-up is not landing: every worker process is up before the clock starts.
      await Promise.all(children.map((child) => firstLine(child)));
    } else {
      children = [];
    }
    writeFileSync(gitLog, "");
    const start = performance.now();
    if (mode === "jig") {
      for (const child of children) child.stdin?.end("go\n");
    } else if (mode === "shell") {
      children = worktrees.map((path) =>
        // The convention's own races ("cannot lock ref") are expected: its stderr is not shown.
        spawn("sh", ["-c", shellLoop(gateCommand)], { cwd: path, env, stdio: ["ignore", "pipe", "ignore"] }),
      );
    }
    let outputs: string[];
    if (mode === "floor") {
      const branches = worktrees.map((_, i) => `w/${id(i + 1)}`);
      const out = await collect(
        spawn("sh", ["-c", floorScript(branches, gateCommand)], {
          cwd: root,
          env,
          stdio: ["ignore", "pipe", "inherit"],
        }),
      );
      outputs = branches.map(() => out);
    } else {
      outputs = await Promise.all(children.map((child) => collect(child)));
    }
    const ms = performance.now() - start;

    const calls = readFileSync(gitLog, "utf8").split("\n").filter(Boolean).map(parseCall);
    const pushes = calls.filter((call) => call.command === "push");
    if (process.env.JIG_BENCH_VERBOSE) {
      const counts = new Map<string, number>();
      for (const call of calls) counts.set(call.command, (counts.get(call.command) ?? 0) + 1);
      process.stderr.write(`${mode} ${fmt(ms)} git calls: ${JSON.stringify(Object.fromEntries(counts))}\n`);
    }
    const landed = outputs.filter((out) => /"state":"landed"|^landed/m.test(out)).length;
    const blocked = outputs.filter((out) => /"state":"blocked"|^blocked/m.test(out)).length;
    verify(bare, env, scenario, landed);
    return {
      ms,
      gitOps: calls.length,
      pushes: pushes.length,
      pushesRejected: pushes.filter((call) => call.exitCode !== 0).length,
      gateRuns: existsSync(gateRuns) ? readFileSync(gateRuns, "utf8").split("\n").filter(Boolean).length : 0,
      landed,
      blocked,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// jig's git work with nothing around it: one fetch, per commit a merge-tree (the branch up to that
// commit merged onto the tip the branch is rebuilt on, as jig's prefix merges do) and a commit-tree
// chained on the tip, one gate run in a detached checkout of the result, one push with a lease.
function floorScript(branches: string[], gate: string | null): string {
  return `
set -e
git fetch -q origin
base=$(git rev-parse origin/feature/e)
tip=$base
for b in ${branches.join(" ")}; do
  onto=$tip
  for c in $(git rev-list --reverse --first-parent $onto..$b); do
    tree=$(git merge-tree --write-tree $onto $c)
    tip=$(git commit-tree $tree -p $tip -m "work")
  done
done
${
  gate
    ? `git worktree add -q --detach ../gate $tip
(cd ../gate && sh -c '${gate}' >/dev/null 2>&1)`
    : ""
}
git push -q --force-with-lease=refs/heads/feature/e:$base origin $tip:refs/heads/feature/e
echo landed
`;
}

// The convention from the epic, verbatim, with the gate (when there is one) between rebase and push.
function shellLoop(gate: string | null): string {
  return `
attempts=0
while [ $attempts -lt 500 ]; do
  attempts=$((attempts + 1))
  if git fetch -q origin && git rebase -q origin/feature/e; then
    ${gate ? `if ! sh -c '${gate}' >/dev/null 2>&1; then echo blocked; exit 1; fi` : ":"}
    if git push -q origin HEAD:feature/e 2>/dev/null; then echo landed; exit 0; fi
  else
    git rebase --abort 2>/dev/null
  fi
done
echo gave-up
exit 1
`;
}

function setupEnv(dir: string, realGit: string): Record<string, string> {
  const shimDir = join(dir, "shim");
  mkdirSync(shimDir);
  const log = join(dir, "git-calls.log");
  writeFileSync(
    join(shimDir, "git"),
    `#!/bin/sh\n"${realGit}" "$@"\nrc=$?\nprintf '%s\\t%s\\n' "$rc" "$*" >> "$JIG_BENCH_GITLOG"\nexit $rc\n`,
  );
  chmodSync(join(shimDir, "git"), 0o755);
  const home = join(dir, "home");
  mkdirSync(home);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return {
    ...env,
    PATH: `${shimDir}:${env.PATH ?? ""}`,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_AUTHOR_NAME: "bench",
    GIT_AUTHOR_EMAIL: "bench@jig.local",
    GIT_COMMITTER_NAME: "bench",
    GIT_COMMITTER_EMAIL: "bench@jig.local",
    JIG_BENCH_GITLOG: log,
  };
}

function setupRepo(
  dir: string,
  scenario: Scenario,
  mode: Mode,
  env: Record<string, string>,
): { root: string; bare: string; gateCommand: string | null; gateRuns: string } {
  const workers = scenario.workers;
  const bare = join(dir, "remote.git");
  const root = join(dir, "repo");
  const gateRuns = join(dir, "gate-runs.log");
  const gateCommand = scenario.gate
    ? `echo run >> ${gateRuns}; sleep ${GATE_SECONDS}; test ! -f bad.txt`
    : null;
  mkdirSync(root);
  run0(root, env, ["init", "-q", "-b", "main"]);
  run0(root, env, ["config", "gc.auto", "0"]);
  const files: Record<string, string> = {
    "README.md": "# bench\n",
    "issues/e.md": "---\ntarget: feature/e\n---\n# Epic e\n",
  };
  for (let i = 1; i <= workers; i++) {
    files[`issues/${id(i)}.md`] =
      `---\nepic: e\nstatus: in-progress\nassigned: ${id(i)}\ntarget: feature/e\ndepends: []\n---\n# Task ${i}\n`;
  }
  if (mode === "jig") {
    files["jig.json"] = JSON.stringify({
      remote: "origin",
      ...(gateCommand ? { gate: { command: gateCommand, timeoutSeconds: 600 } } : {}),
    });
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  writeFileSync(join(root, ".git", "info", "exclude"), ".jig/\n");
  run0(root, env, ["add", "-A"]);
  run0(root, env, ["commit", "-q", "-m", "initial"]);
  run0(root, env, ["branch", "feature/e"]);
  run0(dir, env, ["init", "-q", "--bare", "-b", "main", bare]);
  run0(root, env, ["remote", "add", "origin", bare]);
  run0(root, env, ["push", "-q", "origin", "main", "feature/e"]);
  run0(root, env, ["fetch", "-q", "origin"]);
  return { root, bare, gateCommand, gateRuns };
}

// Every worker whose change is good must be on the remote target, in a linear history.
function verify(bare: string, env: Record<string, string>, scenario: Scenario, landed: number): void {
  const workers = scenario.workers;
  const expected = workers - (scenario.bad ? 1 : 0);
  const files = run0(bare, env, ["ls-tree", "--name-only", "feature/e"]).split("\n");
  const missing = Array.from({ length: workers }, (_, i) => i + 1).filter(
    (n) => n !== scenario.bad && !files.includes(`w${n}.txt`),
  );
  const merges = run0(bare, env, ["rev-list", "--merges", "--count", "feature/e"]).trim();
  if (missing.length > 0 || landed !== expected || merges !== "0" || files.includes("bad.txt")) {
    throw new Error(
      `bench landing (${scenario.name}): landed ${landed}/${expected}, missing ${missing.join(",")}, merges ${merges}`,
    );
  }
}

function run0(cwd: string, env: Record<string, string>, args: string[]): string {
  return execFileSync("git", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function parseCall(line: string): { exitCode: number; command: string } {
  const [code = "", args = ""] = line.split("\t");
  const words = args.split(" ");
  let command = "";
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === "-c" || word === "-C") i++;
    else if (!word.startsWith("-")) {
      command = word;
      break;
    }
  }
  return { exitCode: Number(code), command };
}

function firstLine(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) {
        child.stdout?.off("data", onData);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`bench worker exited (${code}) before it was ready: ${out}`)),
    );
  });
}

function collect(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once("close", () => resolve(out));
  });
}
