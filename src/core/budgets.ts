import { join } from "node:path";
import { z } from "zod";
import { JigError } from "../errors.js";
import { readJsonFile, writeFileAtomic } from "../lib/fs.js";
import { withLock } from "../lib/lock.js";
import { BudgetSchema } from "./config.js";
import type { JigContext } from "./context.js";
import type { WorkerRecord } from "./workers.js";

// Spending limits per task and per epic, in USD and/or tokens. Defaults come from jig.json `budget`;
// `--budget` and `jig budget <id> <amount>` set one task's or epic's in .jig/budgets.json (runtime state,
// so raising a limit never touches the issue files). Spend is what the sessions reported (worker records).

export type BudgetLimit = z.infer<typeof BudgetSchema>;

const BudgetFileSchema = z.object({
  epics: z.record(z.string(), BudgetSchema).default({}),
  tasks: z.record(z.string(), BudgetSchema).default({}),
});

export interface Spend {
  usd: number;
  tokens: number;
}

export interface BudgetState {
  scope: "task" | "epic";
  id: string;
  limit: BudgetLimit | null;
  spent: Spend;
}

const fileOf = (ctx: JigContext) => join(ctx.paths.jigDir, "budgets.json");

/**
 * "$5", "5usd", "200k" (tokens), "1.5m tokens", or both joined by a comma: "$5,200k".
 * Throws a JigError naming the bad part.
 */
export function parseBudget(text: string): BudgetLimit {
  const limit: BudgetLimit = {};
  for (const part of text.split(",").map((p) => p.trim().toLowerCase())) {
    const usd = /^\$\s*(\d+(?:\.\d+)?)$|^(\d+(?:\.\d+)?)\s*(?:usd|\$)$/.exec(part);
    const tokens = /^(\d+(?:\.\d+)?)\s*([km]?)\s*(?:tokens?)?$/.exec(part);
    if (usd) limit.usd = Number(usd[1] ?? usd[2]);
    else if (tokens)
      limit.tokens = Math.round(Number(tokens[1]) * { "": 1, k: 1e3, m: 1e6 }[tokens[2] as "" | "k" | "m"]);
    else
      throw new JigError("INVALID_INPUT", `'${part}' is not a budget`, {
        hint: 'use dollars ("$5", "5usd"), tokens ("200k", "1.5m tokens"), or both: "$5,200k"',
      });
  }
  const parsed = BudgetSchema.safeParse(limit);
  if (!parsed.success || (limit.usd === undefined && limit.tokens === undefined))
    throw new JigError("INVALID_INPUT", `'${text}' is not a positive budget`, {
      hint: 'e.g. "$5", "200k", or "$5,200k"',
    });
  return parsed.data;
}

export const formatUsd = (usd: number): string => `$${usd.toFixed(2)}`;
const formatTokens = (n: number): string =>
  n >= 1e6 ? `${+(n / 1e6).toFixed(2)}m` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(n);

/** "$1.20 of $5.00, 12.5k of 200k tokens" — spend against each limit that is set. */
export function describeBudget(state: Pick<BudgetState, "limit" | "spent">): string {
  const parts: string[] = [];
  if (state.limit?.usd !== undefined)
    parts.push(`${formatUsd(state.spent.usd)} of ${formatUsd(state.limit.usd)}`);
  if (state.limit?.tokens !== undefined)
    parts.push(`${formatTokens(state.spent.tokens)} of ${formatTokens(state.limit.tokens)} tokens`);
  return parts.join(", ");
}

/** Whether spend has reached a limit (either of them). */
export const isReached = (state: Pick<BudgetState, "limit" | "spent">): boolean =>
  (state.limit?.usd !== undefined && state.spent.usd >= state.limit.usd) ||
  (state.limit?.tokens !== undefined && state.spent.tokens >= state.limit.tokens);

/** The message a task is blocked with, and how to raise the limit. */
export const reachedMessage = (state: BudgetState): string =>
  `budget reached: ${describeBudget(state)} (${state.scope} ${state.id}); raise it with \`jig budget ${state.id} <amount>\``;

/** What sessions reported, summed: dollars and input+output tokens. */
export function spendOf(records: Pick<WorkerRecord, "usage">[]): Spend {
  let usd = 0;
  let tokens = 0;
  for (const { usage } of records) {
    usd += usage?.costUsd ?? 0;
    tokens += (usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0);
  }
  return { usd, tokens };
}

async function readBudgets(ctx: JigContext): Promise<z.infer<typeof BudgetFileSchema>> {
  const parsed = BudgetFileSchema.safeParse((await readJsonFile(fileOf(ctx))) ?? {});
  return parsed.success ? parsed.data : { epics: {}, tasks: {} };
}

/** Sets one task's or epic's limit (replacing the fields given). */
export async function setBudget(
  ctx: JigContext,
  scope: "task" | "epic",
  id: string,
  limit: BudgetLimit,
): Promise<void> {
  await withLock(join(ctx.paths.locksDir, "budgets"), async () => {
    const budgets = await readBudgets(ctx);
    const key = scope === "task" ? "tasks" : "epics";
    budgets[key][id] = { ...budgets[key][id], ...limit };
    await writeFileAtomic(fileOf(ctx), `${JSON.stringify(budgets, null, 2)}\n`);
  });
}

/** Every limit and spend, read once: for views that show many tasks (`jig ps`, the dashboard). */
export async function budgetBook(
  ctx: JigContext,
): Promise<{ task(id: string): BudgetState; epic(id: string): BudgetState }> {
  const budgets = await readBudgets(ctx);
  const records = await ctx.workers.list();
  return {
    task: (id) => ({
      scope: "task",
      id,
      limit: budgets.tasks[id] ?? ctx.config.budget?.task ?? null,
      spent: spendOf(records.filter((r) => r.name === id)),
    }),
    epic: (id) => ({
      scope: "epic",
      id,
      limit: budgets.epics[id] ?? ctx.config.budget?.epic ?? null,
      spent: spendOf(records.filter((r) => r.epic === id)),
    }),
  };
}

/** The limit and spend of a task (its worker's sessions, every attempt) and of its epic (every session of the epic). */
export async function budgetStates(
  ctx: JigContext,
  who: { task: string | null; epic: string | null },
): Promise<BudgetState[]> {
  const book = await budgetBook(ctx);
  return [...(who.task ? [book.task(who.task)] : []), ...(who.epic ? [book.epic(who.epic)] : [])];
}

/** What a view shows: spend against the limit, or null when there is no limit. */
export const budgetSummary = (state: BudgetState): { text: string; reached: boolean } | null =>
  state.limit && (state.limit.usd !== undefined || state.limit.tokens !== undefined)
    ? { text: describeBudget(state), reached: isReached(state) }
    : null;

/** The first limit already reached, if any. */
export async function reachedBudget(
  ctx: JigContext,
  who: { task: string | null; epic: string | null },
): Promise<BudgetState | null> {
  return (await budgetStates(ctx, who)).find(isReached) ?? null;
}

/** What a new session may still spend: the smallest headroom over the limits that are set, or null. */
export function headroom(states: BudgetState[]): { usd: number | null; tokens: number | null } | null {
  let usd: number | null = null;
  let tokens: number | null = null;
  for (const { limit, spent } of states) {
    if (limit?.usd !== undefined) usd = Math.min(usd ?? Number.POSITIVE_INFINITY, limit.usd - spent.usd);
    if (limit?.tokens !== undefined)
      tokens = Math.min(tokens ?? Number.POSITIVE_INFINITY, limit.tokens - spent.tokens);
  }
  return usd === null && tokens === null ? null : { usd, tokens };
}
