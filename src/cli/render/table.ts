import Table from "cli-table3";
import { clipMiddle, visibleWidth } from "./message.js";

// The only importer of cli-table3: boxed tables like the epic's `jig ps` mock-up.
export function renderTable(head: string[], rows: string[][]): string {
  const table = new Table({ head, style: { head: [], border: [] }, wordWrap: false });
  for (const row of rows) table.push(row);
  return table.toString();
}

/**
 * A borderless table that fits `maxWidth` columns (jig ps): the `shrink` column gives up its width,
 * clipped in the middle so both ends of a name stay readable.
 */
export function renderCompactTable(
  head: string[],
  rows: string[][],
  options: { maxWidth: number; shrink: number; minWidth?: number },
): string {
  const gap = 2;
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => visibleWidth(row[i] ?? ""))));
  const total = widths.reduce((sum, w) => sum + w, 0) + gap * (widths.length - 1);
  if (total > options.maxWidth)
    widths[options.shrink] = Math.max(
      options.minWidth ?? 12,
      widths[options.shrink]! - (total - options.maxWidth),
    );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const text = i === options.shrink ? clipMiddle(cell, widths[i]!) : cell;
        return i === cells.length - 1
          ? text
          : text + " ".repeat(Math.max(0, widths[i]! - visibleWidth(text)));
      })
      .join(" ".repeat(gap))
      .trimEnd();
  return [line(head.map((h) => h.toUpperCase())), ...rows.map(line)].join("\n");
}
