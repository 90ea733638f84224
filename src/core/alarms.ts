import { mkdir, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { git } from "../lib/git.js";
import { budgetBook } from "./budgets.js";
import type { AlarmsConfigSchema } from "./config.js";
import type { JigContext } from "./context.js";
import { listQueue, readVerdict } from "./landing/queue.js";
import type { WorkerView } from "./worker-view.js";

// Alarms for work that is stuck: what `jig ps`, the dashboard and jig://workers put on top. Computed
// from the worker views plus a few timestamps (last tool call, last commit, when a land was queued or
// refused), by a pure function tested on its own.

export type AlarmKind = "silent" | "land-queued" | "land-blocked" | "session-died" | "budget";

export interface Alarm {
  kind: AlarmKind;
  worker: string;
  /** Since when the condition holds (ISO), where known. */
  since: string | null;
  message: string;
}

export interface AlarmInputs {
  now: number;
  limits: Pick<typeof AlarmsConfigSchema._output, "silentMinutes" | "landWaitMinutes" | "budgetFraction">;
  /** Per worker: its last jig tool call, its branch's last commit, its queued land, its refused land. */
  lastCall: Map<string, number>;
  lastCommit: Map<string, number>;
  queuedSince: Map<string, number>;
  blockedSince: Map<string, number>;
  /** Per worker, its spending cap in USD where one is set (jig budget / --budget / jig.json budget.task). */
  budgets?: Map<string, number>;
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
const iso = (ms: number) => new Date(ms).toISOString();

/** The alarms the views raise, most urgent kinds first. */
export function computeAlarms(views: readonly WorkerView[], inputs: AlarmInputs): Alarm[] {
  const { now, limits } = inputs;
  const alarms: Alarm[] = [];
  for (const w of views) {
    if (w.kind === "planner" && !w.alive) continue;
    if (w.status === "dead") {
      alarms.push({
        kind: "session-died",
        worker: w.name,
        since: null,
        message: `${w.name}: its session died without finishing (${w.exit ?? "process gone"})`,
      });
    }
    const queued = inputs.queuedSince.get(w.name);
    if (queued !== undefined && now - queued > limits.landWaitMinutes * 60_000) {
      alarms.push({
        kind: "land-queued",
        worker: w.name,
        since: iso(queued),
        message: `${w.name}: its land has waited in the queue for ${minutes(now - queued)}`,
      });
    }
    const blocked = inputs.blockedSince.get(w.name);
    if (w.status === "blocked" && blocked !== undefined && now - blocked > limits.landWaitMinutes * 60_000) {
      alarms.push({
        kind: "land-blocked",
        worker: w.name,
        since: iso(blocked),
        message: `${w.name}: its land has been refused for ${minutes(now - blocked)} and not retried`,
      });
    }
    if (w.alive && (w.status === "working" || w.status === "starting")) {
      const last = Math.max(
        Date.parse(w.started) || 0,
        w.updated ? Date.parse(w.updated) || 0 : 0,
        inputs.lastCall.get(w.name) ?? 0,
        inputs.lastCommit.get(w.name) ?? 0,
      );
      if (now - last > limits.silentMinutes * 60_000 && queued === undefined) {
        alarms.push({
          kind: "silent",
          worker: w.name,
          since: iso(last),
          message: `${w.name}: silent for ${minutes(now - last)} (no status change, commit or tool call)`,
        });
      }
    }
    const cap = inputs.budgets?.get(w.name);
    const spent = w.usage?.costUsd;
    if (cap !== undefined && spent != null && spent >= cap * limits.budgetFraction) {
      alarms.push({
        kind: "budget",
        worker: w.name,
        since: null,
        message: `${w.name}: spent $${spent.toFixed(2)} of its $${cap.toFixed(2)} budget`,
      });
    }
  }
  const order: AlarmKind[] = ["session-died", "land-blocked", "land-queued", "silent", "budget"];
  return alarms.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}

const seenFile = (ctx: Pick<JigContext, "paths">, worker: string) => join(ctx.paths.jigDir, "seen", worker);

/** Notes a worker's tool call (the file's mtime), for the silent-worker alarm. One syscall when it exists. */
export async function touchSeen(ctx: Pick<JigContext, "paths">, worker: string): Promise<void> {
  const file = seenFile(ctx, worker);
  const now = new Date();
  try {
    await utimes(file, now, now);
  } catch {
    await mkdir(join(ctx.paths.jigDir, "seen"), { recursive: true, mode: 0o700 }).catch(() => {});
    await writeFile(file, "", { mode: 0o600 }).catch(() => {});
  }
}

/** The alarms for these views, reading what the pure function needs from disk and git. */
export async function listAlarms(ctx: JigContext, views: readonly WorkerView[]): Promise<Alarm[]> {
  const active = views.filter((w) => w.kind === "task" || w.alive);
  const lastCall = new Map<string, number>();
  const lastCommit = new Map<string, number>();
  const queuedSince = new Map<string, number>();
  const blockedSince = new Map<string, number>();
  await Promise.all(
    active.map(async (w) => {
      const seen = await stat(seenFile(ctx, w.name)).catch(() => null);
      if (seen) lastCall.set(w.name, seen.mtimeMs);
      if (w.status === "blocked") {
        const verdict = await readVerdict(ctx.paths, w.name).catch(() => null);
        const at = verdict?.state === "blocked" ? verdict.at : w.updated;
        if (at) blockedSince.set(w.name, Date.parse(at));
      }
    }),
  );
  for (const target of new Set(active.map((w) => w.target))) {
    for (const entry of await listQueue(ctx.paths, target))
      queuedSince.set(entry.worker, Date.parse(entry.enqueued));
  }
  if (active.some((w) => w.alive)) {
    const out = await git(ctx.paths.root, [
      "for-each-ref",
      "--format=%(committerdate:unix) %(refname:lstrip=2)",
      "refs/heads/_jig/",
    ]).catch(() => "");
    const byBranch = new Map(
      out
        .split("\n")
        .filter(Boolean)
        .map((line) => [line.slice(line.indexOf(" ") + 1), Number(line.slice(0, line.indexOf(" "))) * 1000]),
    );
    for (const w of active) {
      const at = byBranch.get(w.branch);
      if (at) lastCommit.set(w.name, at);
    }
  }
  const book = await budgetBook(ctx);
  const budgets = new Map(
    active.flatMap((w) => {
      const usd = book.task(w.name).limit?.usd;
      return usd === undefined ? [] : [[w.name, usd] as const];
    }),
  );
  return computeAlarms(views, {
    now: Date.now(),
    limits: ctx.config.alarms,
    lastCall,
    lastCommit,
    queuedSince,
    blockedSince,
    budgets,
  });
}
