import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { requestLand } from "../../src/core/landing/index.js";
import { gitIn, gitRepo, testEnv } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";

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

async function setup(count: number) {
  const root = gitRepo({ "README.md": "# r\n", "shared.txt": "a\nb\nc\n", ...epicFiles("e", count) });
  gitIn(root, "branch", "feature/e");
  const ctx = await openContext({ root });
  return { root, ctx };
}

describe("landing under concurrency and crashes (separate OS processes)", () => {
  it("20 workers landing at once from 20 processes: all land, linear history, nothing lost", async () => {
    const count = 20;
    const { root, ctx } = await setup(count);
    const shas: string[] = [];
    for (let i = 1; i <= count; i++) {
      const w = await makeWorker(ctx, id(i));
      commitIn(w.worktree, { [`w${i}.txt`]: `worker ${i}\n` }, `work of ${i}`);
      shas.push(gitIn(w.worktree, "rev-parse", "HEAD"));
    }
    const results = await Promise.all(
      Array.from({ length: count }, (_, i) => landInProcess(root, id(i + 1))),
    );
    for (const result of results) expect(result.out, result.out).toContain('"state":"landed"');
    const files = gitIn(root, "ls-tree", "--name-only", "feature/e").split("\n");
    for (let i = 1; i <= count; i++) expect(files).toContain(`w${i}.txt`);
    expect(gitIn(root, "rev-list", "--count", "feature/e")).toBe(String(count + 1));
    expect(gitIn(root, "rev-list", "--merges", "--count", "feature/e")).toBe("0");
    const subjects = gitIn(root, "log", "--format=%s", "feature/e").split("\n");
    for (let i = 1; i <= count; i++) expect(subjects).toContain(`work of ${i}`);
    for (let i = 1; i <= count; i++) expect((await ctx.issues.get(id(i))).status).toBe("complete");
  });

  it("two workers editing the same lines: exactly one lands, the other is blocked with the file named", async () => {
    const { root, ctx } = await setup(2);
    const a = await makeWorker(ctx, id(1));
    const b = await makeWorker(ctx, id(2));
    commitIn(a.worktree, { "shared.txt": "a\nFROM A\nc\n" });
    commitIn(b.worktree, { "shared.txt": "a\nFROM B\nc\n" });
    const results = await Promise.all([landInProcess(root, id(1)), landInProcess(root, id(2))]);
    const verdicts = results.map((r) => JSON.parse(r.out.trim().split("\n").pop()!));
    expect(verdicts.map((v) => v.state).sort()).toEqual(["blocked", "landed"]);
    expect(verdicts.find((v) => v.state === "blocked").conflicts).toEqual(["shared.txt"]);
    void root;
  });

  it.each(["after-rebase", "after-gate", "after-cas", "after-verdict"])(
    "jig killed with SIGKILL %s: the target is a valid old or new tip, nothing is lost, the next land works",
    async (step) => {
      const { root, ctx } = await setup(2);
      const a = await makeWorker(ctx, id(1));
      const b = await makeWorker(ctx, id(2));
      const shaA = commitIn(a.worktree, { "a.txt": "a\n" }, "work a");
      commitIn(b.worktree, { "b.txt": "b\n" }, "work b");
      const before = gitIn(root, "rev-parse", "feature/e");
      const crashed = await landInProcess(root, id(1), { JIG_TEST_CRASH_AT: step });
      expect(crashed.signal).toBe("SIGKILL");
      const tip = gitIn(root, "rev-parse", "feature/e");
      // The target is either untouched or exactly the landed commit — never anything else.
      expect([before, shaA].includes(tip) || gitIn(root, "log", "--format=%s", "-1", tip) === "work a").toBe(
        true,
      );
      expect(gitIn(root, "fsck", "--no-dangling")).toBe("");
      // The next land (another process) recovers the lock and lands both, losing nothing.
      const next = await landInProcess(root, id(2));
      expect(next.out).toContain('"state":"landed"');
      const again = await requestLand(ctx, id(1), { waitMs: 30_000 });
      expect(again.state).toBe("landed");
      const subjects = gitIn(root, "log", "--format=%s", "feature/e").split("\n");
      expect(subjects.filter((s) => s === "work a")).toHaveLength(1);
      expect(subjects).toContain("work b");
      expect(gitIn(a.worktree, "status", "--porcelain")).toBe("");
      const queue = join(ctx.paths.landDir, "feature%2Fe", "queue");
      expect(existsSync(queue) ? readdirSync(queue) : []).toEqual([]);
    },
  );
});
