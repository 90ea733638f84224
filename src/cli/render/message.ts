import { stripVTControlCharacters } from "node:util";

// A worker's message (a blocked reason, a gate's output) as a person reads it in `jig ps`, `jig status`
// and `jig run`: real lines, the first and the last ones when it is long, each line clipped to the
// width, and no terminal escapes from whatever printed it.

export const SCREEN_WIDTH = 100;
const MAX_LINES = 20;

export function messageLines(
  message: string,
  options: { indent?: number; width?: number; maxLines?: number } = {},
): string[] {
  const indent = " ".repeat(options.indent ?? 2);
  const width = (options.width ?? SCREEN_WIDTH) - indent.length;
  const maxLines = options.maxLines ?? MAX_LINES;
  const lines = stripVTControlCharacters(message)
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "")
    .split("\n")
    .map((line) => line.trimEnd());
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  // Too long: the first line (what failed) and the tail (why: a test run's summary is at its end).
  const shown =
    lines.length > maxLines
      ? [lines[0]!, `… ${lines.length - maxLines} line(s) left out`, ...lines.slice(-(maxLines - 1))]
      : lines;
  return shown.map((line) => `${indent}${clipEnd(line, width)}`);
}

export const visibleWidth = (text: string): number => stripVTControlCharacters(text).length;

export function clipEnd(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
}

/** `very-long-epic-07-some-slug` → `very-long-ep…some-slug`: both ends of an id stay readable. */
export function clipMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  const tail = Math.floor((width - 1) / 2);
  return `${text.slice(0, width - 1 - tail)}…${text.slice(text.length - tail)}`;
}
