import { createHash } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { readJsonFile, writeFileAtomic } from "../lib/fs.js";
import { git, gitRun } from "../lib/git.js";
import { isProcessAlive } from "../lib/pid.js";
import type { JigContext } from "./context.js";
import { recordEvent } from "./events.js";
import { branchTips } from "./git-ops.js";
import { listQueue } from "./landing/queue.js";

// Warnings pushed to the agents they concern. Claude Code does not hand resource notifications to the
// model, so an agent learns of a change only through the results of the tools it calls: when a land moves
// a target and another active worker's branch now conflicts with it, a warning waits in
// `.jig/warnings/<worker>/<id>.json` and the next successful result of any jig tool that worker calls
// carries it in `structuredContent.warnings` — once: delivering it removes the file.

export const WarningSchema = z.object({
  id: z.string(),
  kind: z.literal("target-conflict"),
  /** The files your branch now conflicts in. */
  files: z.array(z.string()),
  target: z.string(),
  /** The land that caused it. */
  cause: z.object({ worker: z.string(), branch: z.string(), tip: z.string() }),
  message: z.string(),
  /** What to do, in tool terms. */
  next: z.string(),
});
export type Warning = z.infer<typeof WarningSchema>;

const dirOf = (ctx: Pick<JigContext, "paths">, worker: string) => join(ctx.paths.jigDir, "warnings", worker);

/** Where workers on other machines push their branches on the shared remote (issue 14's protocol). */
export const REMOTE_WORKER_REFS = "refs/jig/workers/";
/** What jig last fetched of them here: a namespace of its own, never a worker's branch. */
const SEEN_REMOTE_REFS = "refs/jig/remote-workers/";

/**
 * The workers' branches as pushed to the shared remote (jig.json `remote`), fetched now: worker → commit.
 * Empty without a remote, or when it cannot be reached (the local branches still count).
 */
async function pushedHeads(ctx: JigContext): Promise<Map<string, string>> {
  const remote = ctx.config.remote;
  if (!remote) return new Map();
  const fetched = await gitRun(ctx.paths.root, [
    "fetch",
    "--quiet",
    "--no-tags",
    "--prune",
    remote,
    `+${REMOTE_WORKER_REFS}*:${SEEN_REMOTE_REFS}*`,
  ]).catch(() => null);
  if (fetched?.exitCode !== 0) return new Map();
  const out = await git(ctx.paths.root, [
    "for-each-ref",
    "--format=%(objectname) %(refname)",
    SEEN_REMOTE_REFS,
  ]).catch(() => "");
  const heads = new Map<string, string>();
  for (const line of out.split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0) heads.set(line.slice(space + 1 + SEEN_REMOTE_REFS.length), line.slice(0, space));
  }
  return heads;
}

/**
 * After a land moved `target` from `base` to `tip`: every other active task worker of that target whose
 * branch conflicts with the new tip in files it did not conflict in before gets a warning naming them and
 * the land that caused them. Never throws (a land must not fail for want of a warning).
 */
export async function warnOfNewConflicts(
  ctx: JigContext,
  land: { target: string; base: string; tip: string; landed: { worker: string; commits: string[] }[] },
): Promise<void> {
  try {
    const landedNames = new Set(land.landed.map((l) => l.worker));
    const queued = new Set((await listQueue(ctx.paths, land.target)).map((e) => e.worker));
    const all = await ctx.workers.list();
    const others = all.filter(
      (w) =>
        w.kind === "task" &&
        w.target === land.target &&
        !landedNames.has(w.name) &&
        !queued.has(w.name) &&
        w.exited === null &&
        (w.pid === null || isProcessAlive(w.pid)),
    );
    if (others.length === 0) return;
    const changedByLand = new Set((await ctx.git.changes(land.base, land.tip)).names);
    // Which landed branch changed which files (the batch is one linear chain from base to tip): read
    // only when a warning is to be written, so a land that warns nobody pays no diff per branch.
    let byWorker: { worker: string; files: Set<string> }[] | null = null;
    const causes = async () => {
      if (byWorker) return byWorker;
      byWorker = [];
      let from = land.base;
      for (const l of land.landed) {
        const last = l.commits.at(-1);
        if (!last) continue;
        byWorker.push({ worker: l.worker, files: new Set((await ctx.git.changes(from, last)).names) });
        from = last;
      }
      return byWorker;
    };
    const [tips, pushed] = await Promise.all([branchTips(ctx.paths.root), pushedHeads(ctx)]);
    for (const w of others) {
      // The branch here, and what the worker pushed to the shared remote (a worker on another machine
      // works there): a conflict in either is the worker's to hear about.
      const local = tips.get(w.branch);
      const remote = pushed.get(w.name);
      const heads = [
        ...(local ? [{ head: local, pushed: false }] : []),
        ...(remote && remote !== local ? [{ head: remote, pushed: true }] : []),
      ];
      const fresh: string[] = [];
      let viaPush = false;
      for (const { head, pushed: isPushed } of heads) {
        const mine = (await ctx.git.changes(land.base, head)).names;
        if (!mine.some((file) => changedByLand.has(file))) continue;
        const [after, before] = await Promise.all([
          ctx.git.conflicts(land.tip, head),
          ctx.git.conflicts(land.base, head),
        ]);
        const found = after.filter((file) => !before.includes(file) && !fresh.includes(file));
        if (found.length && isPushed && fresh.length === 0) viaPush = true;
        fresh.push(...found);
      }
      if (fresh.length === 0) continue;
      fresh.sort();
      const causeWorker =
        (await causes()).find((b) => fresh.some((f) => b.files.has(f)))?.worker ?? land.landed[0]!.worker;
      const causeBranch = all.find((r) => r.name === causeWorker)?.branch ?? causeWorker;
      const id = createHash("sha256").update(`${w.name}\0${land.tip}`).digest("hex").slice(0, 16);
      const warning: Warning = {
        id,
        kind: "target-conflict",
        files: fresh,
        target: land.target,
        cause: { worker: causeWorker, branch: causeBranch, tip: land.tip },
        message: `${causeWorker} just landed on ${land.target}, and your branch ${w.branch}${viaPush ? " (as you pushed it to the shared remote)" : ""} now conflicts with it in ${fresh.join(", ")}.`,
        next: `Resolve it now, before you build more on top: rebase onto ${land.target} in your worktree (git rebase ${land.target}), fix ${fresh.join(", ")} keeping both changes' intent, git add them and git rebase --continue; then call check_conflicts to confirm nothing is left, and land when your task is done.`,
      };
      await writeFileAtomic(join(dirOf(ctx, w.name), `${id}.json`), JSON.stringify(warning));
      await recordEvent(ctx, {
        type: "warning",
        epic: w.epic,
        worker: w.name,
        task: w.issue,
        id,
        files: fresh,
        cause: warning.cause,
      });
    }
    await ctx.git.flush();
  } catch {
    // A warning is advice; the land it follows has already happened.
  }
}

/**
 * The warnings waiting for `worker`, taken: each is removed once read (and its delivery recorded), so it
 * reaches the agent once. Costs one readdir when there are none.
 */
export async function takeWarnings(ctx: JigContext, worker: string, tool: string): Promise<Warning[]> {
  const dir = dirOf(ctx, worker);
  const names = await readdir(dir).catch(() => [] as string[]);
  const warnings: Warning[] = [];
  for (const name of names.filter((n) => n.endsWith(".json") && !n.startsWith(".")).sort()) {
    const parsed = WarningSchema.safeParse(await readJsonFile(join(dir, name)).catch(() => null));
    await rm(join(dir, name), { force: true });
    if (!parsed.success) continue;
    warnings.push(parsed.data);
    await recordEvent(ctx, { type: "warning-delivered", worker, task: null, id: parsed.data.id, tool });
  }
  return warnings;
}
