import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { JigError } from "../../errors.js";
import { runShell } from "../../lib/exec.js";
import { gitRun } from "../../lib/git.js";
import { withLock } from "../../lib/lock.js";
import { redactSecrets } from "../../lib/redact.js";
import type { JigContext } from "../context.js";
import { worktreeLock } from "../worktrees.js";
import { targetKey } from "./queue.js";

// The gate: the configured command run on the exact commit that would become the target's tip, in a
// checkout jig owns (`.jig/gate/<target>`, detached, reset and cleaned before each run — never a
// worker's or a human's), with a clean environment, its output capped and scrubbed of secrets.
// On red, bisection finds the longest passing prefix of the batch.

/**
 * The longest prefix of a batch of `count` whose last commit passes `passes`, and the first that fails
 * (null when all pass), in ~log2(count)+1 calls: the whole batch first (one run when all is well), then
 * binary search. `passes` must be monotonic (a prefix of a passing prefix passes); answers are memoized.
 */
export async function bisect(
  count: number,
  passes: (prefix: number) => Promise<boolean>,
): Promise<{ good: number; firstBad: number | null }> {
  const memo = new Map<number, boolean>();
  const test = async (prefix: number) => {
    if (!memo.has(prefix)) memo.set(prefix, await passes(prefix));
    return memo.get(prefix)!;
  };
  if (count === 0 || (await test(count))) return { good: count, firstBad: null };
  let lo = 0;
  let hi = count;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await test(mid)) lo = mid;
    else hi = mid;
  }
  return { good: lo, firstBad: hi - 1 };
}

export const gateDir = (ctx: JigContext, target: string): string =>
  join(ctx.paths.jigDir, "gate", targetKey(target));

/** The target's gate checkout, detached at `commit`, reset and cleaned (ignored files kept as a cache). */
export async function prepareGateCheckout(ctx: JigContext, target: string, commit: string): Promise<string> {
  const dir = gateDir(ctx, target);
  if (existsSync(join(dir, ".git"))) {
    // Only the target's driver (whose lock we hold) uses it: a lock left there is a killed run's.
    const gitDir = await gitRun(dir, ["rev-parse", "--absolute-git-dir"]);
    if (gitDir.exitCode === 0) await rm(join(gitDir.stdout.trim(), "index.lock"), { force: true });
    const reset = await gitRun(dir, ["checkout", "--quiet", "--force", "--detach", commit]);
    const cleaned = reset.exitCode === 0 ? await gitRun(dir, ["clean", "-ffdq"]) : reset;
    if (cleaned.exitCode === 0) return dir;
  }
  await withLock(worktreeLock(ctx), async () => {
    await rm(dir, { recursive: true, force: true });
    await gitRun(ctx.paths.root, ["worktree", "prune"]);
    const added = await gitRun(ctx.paths.root, [
      "worktree",
      "add",
      "--quiet",
      "--force",
      "--detach",
      dir,
      commit,
    ]);
    if (added.exitCode !== 0)
      throw new JigError("GIT_FAILED", `could not create the gate checkout ${dir}: ${added.stderr.trim()}`, {
        hint: `remove ${dir} and run \`git worktree prune\`, then land again`,
      });
  });
  return dir;
}

// What a gate inherits from jig's environment: enough to find programs and write temp files, nothing
// else (no JIG_TOKEN, no agent variables, no API keys). jig.json's `gate.env` adds what it needs.
const INHERITED = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TERM", "TMPDIR", "TZ"];

export function gateEnv(ctx: JigContext, target: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) if (process.env[name] !== undefined) env[name] = process.env[name]!;
  return { ...env, ...(ctx.config.gate?.env ?? {}), JIG_GATE: "1", JIG_TARGET: target };
}

export interface GateRun {
  ok: boolean;
  timedOut: boolean;
  /** `gate exited N` / `gate timed out…` and the output's last 40 lines, secrets removed. */
  output: string;
}

/** Runs the gate on `commit` in the target's gate checkout. */
export async function runGate(
  ctx: JigContext,
  target: string,
  commit: string,
  onSpawn: (pid: number) => Promise<void>,
): Promise<GateRun> {
  const gate = ctx.config.gate!;
  const cwd = await prepareGateCheckout(ctx, target, commit);
  const run = await runShell(gate.command, {
    cwd,
    timeoutMs: gate.timeoutSeconds * 1000,
    env: gateEnv(ctx, target),
    cleanEnv: true,
    onSpawn,
  });
  const tail = redactSecrets(run.output.split("\n").slice(-40).join("\n").trim()).slice(-8_000);
  return {
    ok: run.exitCode === 0 && !run.timedOut,
    timedOut: run.timedOut,
    output: run.timedOut
      ? `gate timed out after ${gate.timeoutSeconds}s\n${tail}`
      : `gate exited ${run.exitCode}\n${tail}`,
  };
}
