import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { describeBudget, reachedBudget, reachedMessage } from "../core/budgets.js";
import type { JigContext } from "../core/context.js";
import { recordEvent } from "../core/events.js";
import { blockAtBudget as blockTaskAtBudget } from "../core/lifecycle.js";
import { sessionFile } from "../core/paths.js";
import type { WorkerRecord } from "../core/workers.js";
import { readJsonFile } from "../lib/fs.js";
import { redactSecrets } from "../lib/redact.js";
import type { Budget, LaunchSpec, SessionOutput, Usage } from "./backends/backend.js";
import { backendOf } from "./backends/index.js";

// The supervisor of one session (`jig agent-supervise <name>`, started detached by spawn): runs the agent
// with its output in the worker's log, reads that output through the backend while it runs (conversation
// id, usage against the budget: over it, the session is stopped) and when it ends (exit, usage, what the
// agent said last). A session stopped at its budget leaves its task blocked with the reason.

const POLL_MS = 1_000;

export async function superviseSession(ctx: JigContext, name: string): Promise<number> {
  const record = await ctx.workers.require(name);
  const spec = await readJsonFile<LaunchSpec & { budget?: Budget | null; stdin?: string }>(
    sessionFile(ctx.paths, name, "launch"),
  );
  if (!spec) return 1;
  const backend = backendOf(spec.type ?? "custom");
  // The log is appended to across attempts: this session's output starts here.
  const start = sizeOf(record.logPath);
  const log = openSync(record.logPath, "a", 0o600);
  const since = new Date();
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: [spec.stdin === undefined ? "ignore" : "pipe", log, log],
  });
  // A remote launcher's secret for the command (e.g. the token for `jig worker --token-file -`).
  if (spec.stdin !== undefined) child.stdin?.end(spec.stdin);
  child.stdin?.on("error", () => {});
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGTERM", () => forward("SIGTERM"));
  process.on("SIGINT", () => forward("SIGINT"));
  let overBudget = false;
  let sessionSeen = record.session;
  // Usage as it is spent, for CLIs that report it in their output only when a turn ends.
  const live = backend.liveUsage?.(spec.env, since) ?? null;
  const read = (): SessionOutput => {
    const out = backend.readOutput(readFrom(record.logPath, start));
    return { ...out, usage: larger(out.usage, live?.read(out.session ?? sessionSeen) ?? null) };
  };
  const watch = setInterval(() => {
    if (!spec.budget && sessionSeen) return;
    const out = read();
    if (out.session && out.session !== sessionSeen) {
      sessionSeen = out.session;
      void ctx.workers.update(name, (current) => ({ ...current, session: out.session })).catch(() => {});
    }
    if (!overBudget && spec.budget && exceeds(out.usage, spec.budget)) {
      overBudget = true;
      stopAgent(child);
    }
  }, POLL_MS);
  let spawnError: string | null = null;
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once("exit", (c, s) => resolve([c, s]));
    child.once("error", (error) => {
      spawnError = error.message;
      resolve([127, null]);
    });
  });
  clearInterval(watch);
  if (overBudget) stopLeftovers();
  closeSync(log);
  const out = read();
  const tail = readFrom(record.logPath, Math.max(start, sizeOf(record.logPath) - 64 * 1024));
  // What the agent said last: the backend's reading of its output, or the last line a failing agent printed.
  const said = spawnError ?? out.said ?? (signal === null && code !== 0 ? lastLine(tail) : null);
  const updated = await ctx.workers.update(name, (current: WorkerRecord) => ({
    ...current,
    exited: { code, signal, at: new Date().toISOString(), said: said ? clip(redactSecrets(said)) : null },
    usage: out.usage ? addUsage(current.usageBefore, out.usage) : current.usage,
    session: out.session ?? current.session,
  }));
  await recordEvent(ctx, {
    type: "session-ended",
    epic: updated.epic,
    worker: name,
    task: updated.issue,
    code,
    signal,
    // This session's own usage (the record's sums every attempt): stats add the sessions up.
    usage: out.usage,
  });
  if (overBudget || out.capped || (spec.budget && exceeds(out.usage, spec.budget)))
    await blockAtBudget(ctx, updated);
  return code ?? 1;
}

/** Stops the agent: SIGTERM (a CLI shuts down its own MCP servers and saves its transcript), SIGKILL after 5 s. */
function stopAgent(child: ChildProcess): void {
  child.kill("SIGTERM");
  setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
}

/**
 * After a stopped agent has exited, what it left running: a CLI may do its work in a child of its own
 * (Gemini CLI relaunches itself with a larger heap) that outlives the CLI's pid. The supervisor leads
 * the session's process group (spawn starts it detached), so SIGTERM goes to the group; the
 * supervisor's own handler only passes it on to the agent, which is gone.
 */
function stopLeftovers(): void {
  try {
    process.kill(-process.pid, "SIGTERM");
  } catch {}
}

const tokensOf = (usage: Usage): number => (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);

/** The output's usage, or the live record's when it shows more (a turn cut short reports none). */
function larger(reported: Usage | null, live: Usage | null): Usage | null {
  if (!live) return reported;
  if (!reported) return live;
  return tokensOf(live) > tokensOf(reported)
    ? { ...live, turns: reported.turns, costUsd: reported.costUsd }
    : reported;
}

/** Usage at or over the session's budget (dollars where the CLI reports them, tokens otherwise). */
function exceeds(usage: Usage | null, budget: Budget): boolean {
  if (!usage) return false;
  if (budget.usd !== null && usage.costUsd !== null && usage.costUsd >= budget.usd) return true;
  return budget.tokens !== null && tokensOf(usage) >= budget.tokens;
}

// The task waits for a human to raise the budget: blocked, with the spend and the command that raises it.
async function blockAtBudget(ctx: JigContext, record: WorkerRecord): Promise<void> {
  const task = record.kind === "planner" ? null : record.name;
  const state = await reachedBudget(ctx, { task, epic: record.epic });
  const message = state
    ? reachedMessage(state)
    : "budget reached: the session was stopped at the budget it was given";
  await blockTaskAtBudget(ctx, record, message, state ? describeBudget(state) : null);
}

export function addUsage(a: Usage | null, b: Usage): Usage {
  const add = (x: number | null | undefined, y: number | null) =>
    x == null && y == null ? null : (x ?? 0) + (y ?? 0);
  return {
    costUsd: add(a?.costUsd, b.costUsd),
    inputTokens: add(a?.inputTokens, b.inputTokens),
    outputTokens: add(a?.outputTokens, b.outputTokens),
    turns: add(a?.turns, b.turns),
  };
}

const clip = (text: string) => {
  const line = text.trim().split("\n")[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
};

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

// The log from `offset` on (bounded: a runaway log is read from its last 8 MB).
function readFrom(path: string, offset: number): string {
  try {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const from = Math.max(offset, size - 8 * 1024 * 1024);
      const buffer = Buffer.alloc(Math.max(0, size - from));
      readSync(fd, buffer, 0, buffer.length, from);
      return buffer.toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

/**
 * What a session that failed said last, for `jig ps` and `jig run`: its last error line when it printed
 * one (`error: …` from jig, git's `fatal: …`, a JavaScript `…Error: …`) — a hint or a stack frame after
 * it says less — else its last line.
 */
export function lastLine(text: string): string | null {
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--)
    if (/^(error|fatal)\b|^[A-Za-z]*Error\b.*:|internal error/i.test(lines[i]!)) return lines[i]!;
  return lines.at(-1) ?? null;
}
