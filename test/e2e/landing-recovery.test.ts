import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { requestLand, settleDrivers } from "../../src/core/landing/index.js";
import { enqueue } from "../../src/core/landing/queue.js";
import { runCli } from "../helpers/cli.js";
import { gitIn, gitRepo, tempDir, testEnv } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";

// Regressions found in review: a batch that does not land must leave every branch as its worker left it
// (never carrying another worker's unlanded commits), also across a SIGKILL; a crash after the target
// moved still reports what landed; a crash while the gate runs does not leave the gate running.

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "land-worker.mjs");
const id = (n: number) => `e-${String(n).padStart(2, "0")}-t${n}`;

function landInProcess(
  root: string,
  worker: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FIXTURE, root, worker], {
      env: { ...process.env, ...testEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.stderr.on("data", (chunk) => {
      out += chunk;
    });
    child.on("exit", (code, signal) => resolve({ code, signal, out }));
  });
}

async function setup(count: number, config: Record<string, unknown> = {}) {
  const files: Record<string, string> = { "README.md": "# r\n", ...epicFiles("e", count) };
  if (Object.keys(config).length) files["jig.json"] = JSON.stringify(config);
  const root = gitRepo(files);
  gitIn(root, "branch", "feature/e");
  const ctx = await openContext({ root });
  const workers = [];
  for (let i = 1; i <= count; i++) {
    const w = await makeWorker(ctx, id(i));
    commitIn(w.worktree, { [`w${i}.txt`]: `worker ${i}\n` }, `work of ${i}`);
    workers.push(w);
  }
  return { root, ctx, workers };
}

const subjects = (cwd: string, ref: string) => gitIn(cwd, "log", "--format=%s", ref).split("\n");

function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  // A zombie nobody reaped (PID 1 in a container may not) is dead too.
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? false;
  } catch {
    return true;
  }
}

describe("landing recovery", () => {
  it("a batch refused because the target's checkout is dirty leaves each branch with only its own commits", async () => {
    const { root, ctx } = await setup(2);
    gitIn(root, "checkout", "-q", "feature/e");
    writeFileSync(join(root, "README.md"), "edited by the human\n");
    const verdicts = await Promise.all([requestLand(ctx, id(1)), requestLand(ctx, id(2))]);
    await settleDrivers();
    expect(verdicts.map((v) => v.state)).toEqual(["blocked", "blocked"]);
    expect(subjects(root, `_jig/${id(2)}`)).not.toContain("work of 1");
    gitIn(root, "checkout", "-q", "README.md");
    expect(await requestLand(ctx, id(2))).toMatchObject({ state: "landed" });
    expect(subjects(root, "feature/e")).toEqual(["work of 2", "initial"]);
    expect(await requestLand(ctx, id(1))).toMatchObject({ state: "landed" });
    expect(subjects(root, "feature/e")).toEqual(["work of 1", "work of 2", "initial"]);
  });

  it("SIGKILL after a batch was rebased: no branch changed, the next land lands each commit once", async () => {
    const { root, ctx } = await setup(3);
    const branches = [1, 2, 3].map((n) => gitIn(root, "rev-parse", `_jig/${id(n)}`));
    // All three wait in the queue; one driver takes them as one batch and dies after rebasing them.
    await enqueue(ctx.paths, id(1), "feature/e");
    await enqueue(ctx.paths, id(2), "feature/e");
    const crashed = await landInProcess(root, id(3), { JIG_TEST_CRASH_AT: "after-rebase" });
    expect(crashed.signal, crashed.out).toBe("SIGKILL");
    // The rebase happened in the object store: no worker's branch was touched, and the target did not move.
    expect([1, 2, 3].map((n) => gitIn(root, "rev-parse", `_jig/${id(n)}`))).toEqual(branches);
    expect(subjects(root, "feature/e")).toEqual(["initial"]);
    const next = await landInProcess(root, id(3));
    expect(next.out).toContain('"state":"landed"');
    await Promise.all([requestLand(ctx, id(1)), requestLand(ctx, id(2))]);
    await settleDrivers();
    const landed = subjects(root, "feature/e");
    expect(landed.sort()).toEqual(["initial", "work of 1", "work of 2", "work of 3"]);
    expect([1, 2, 3].map((n) => gitIn(root, "rev-parse", `_jig/${id(n)}`))).toEqual(branches);
  });

  it("SIGKILL right after the target moved: the next call reports the commits that landed", async () => {
    const { root, ctx } = await setup(1);
    const sha = gitIn(root, "rev-parse", `_jig/${id(1)}`);
    const crashed = await landInProcess(root, id(1), { JIG_TEST_CRASH_AT: "after-cas" });
    expect(crashed.signal).toBe("SIGKILL");
    expect(gitIn(root, "rev-parse", "feature/e")).toBe(sha);
    const verdict = await requestLand(ctx, id(1), { waitMs: 30_000 });
    expect(verdict).toMatchObject({ state: "landed", commits: [sha], tip: sha });
    expect((await ctx.issues.get(id(1))).status).toBe("complete");
  });

  it("SIGKILL while the gate runs: the orphaned gate is killed and the next land works", async () => {
    const dir = tempDir();
    const pids = join(dir, "gate-pids");
    const slow = join(dir, "slow");
    writeFileSync(slow, "");
    const { root, ctx } = await setup(1, {
      gate: { command: `echo $$ >> ${pids}; [ -f ${slow} ] && sleep 300; true`, timeoutSeconds: 600 },
    });
    const crashed = await landInProcess(root, id(1), { JIG_TEST_CRASH_AT: "gate-started" });
    expect(crashed.signal).toBe("SIGKILL");
    // The gate is its own process group: it outlives the driver until someone kills it.
    const deadline = Date.now() + 10_000;
    while (!existsSync(pids) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const orphan = Number(readFileSync(pids, "utf8").trim().split("\n")[0]);
    expect(orphan).toBeGreaterThan(0);
    expect(isDead(orphan)).toBe(false);
    rmSync(slow);
    const verdict = await requestLand(ctx, id(1), { waitMs: 60_000 });
    expect(verdict.state).toBe("landed");
    expect(isDead(orphan)).toBe(true);
  });

  it("refuses a remote name that git would read as an option, naming it, before anything runs", async () => {
    const marker = join(tempDir(), "pwned");
    const root = gitRepo({
      "README.md": "# r\n",
      "jig.json": JSON.stringify({ remote: `--upload-pack=touch ${marker};` }),
    });
    await expect(openContext({ root })).rejects.toThrow(/remote.*is not a valid remote name/);
    const cli = runCli(root, ["issues", "list"]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain("--upload-pack");
    expect(existsSync(marker)).toBe(false);
  });
});
