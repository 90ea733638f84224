import { performance } from "node:perf_hooks";

// Small measuring helpers shared by the benchmarks: timings, percentiles, and ratio tables.

export interface Stats {
  n: number;
  p50: number;
  p99: number;
  mean: number;
}

export async function timeOnce<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Runs `fn` `n` times after `warmup` runs and returns latency statistics in milliseconds. */
export async function sample(
  fn: () => Promise<unknown>,
  options: { n: number; warmup?: number },
): Promise<Stats> {
  for (let i = 0; i < (options.warmup ?? Math.min(10, options.n)); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < options.n; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return stats(times);
}

export function stats(times: number[]): Stats {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    n: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
  };
}

export const fmt = (ms: number): string =>
  ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
export const ratio = (a: number, b: number): string => (b === 0 ? "n/a" : `${(a / b).toFixed(2)}×`);

/** Prints an aligned table: a title, a header row and rows. */
export function printTable(title: string, head: string[], rows: (string | number)[][]): void {
  const cells = [head, ...rows.map((row) => row.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ");
  process.stdout.write(`\n## ${title}\n${line(head)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n`);
  for (const row of cells.slice(1)) process.stdout.write(`${line(row)}\n`);
}
