import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ISSUE_STATUSES, type IssueStatus } from "../../src/core/issue.js";
import { nextStatus, TRANSITIONS, type Transition } from "../../src/core/lifecycle.js";

// One lifecycle: the transition table in code is the one docs/lifecycle.md draws, and no module but
// lifecycle.ts writes an issue's status, a worker's status file or a land verdict.
const ROOT = join(import.meta.dirname, "..", "..");
const SRC = join(ROOT, "src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(dir, entry.name)]
        : [],
  );
}

/** The text of the call whose `(` is at `open`, up to its matching `)`. */
function callText(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth === 0) return text.slice(open, i + 1);
  }
  return text.slice(open);
}

/** `file:line` of each call to `name(` (not its definition) whose text matches `patch` (any, if omitted). */
function calls(name: RegExp, patch?: RegExp): string[] {
  const found: string[] = [];
  for (const file of sources(SRC)) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(name)) {
      const before = text.slice(Math.max(0, match.index - 20), match.index);
      if (/function\s+$/.test(before)) continue;
      const call = callText(text, match.index + match[0].length - 1);
      if (patch && !patch.test(call)) continue;
      found.push(`${relative(ROOT, file)}:${text.slice(0, match.index).split("\n").length}`);
    }
  }
  return found;
}

const STATUS_PATCH = /\bstatus\s*[:,}]/;
const lifecycleOnly = (where: string[]) => where.filter((at) => !at.startsWith("src/core/lifecycle.ts:"));

describe("the task lifecycle has one writer", () => {
  it("no module but lifecycle.ts writes a worker's status file, a land verdict or a landed record", () => {
    expect(lifecycleOnly(calls(/\bwriteWorkerStatus\(/g))).toEqual([]);
    expect(lifecycleOnly(calls(/\bwriteVerdict\(/g))).toEqual([]);
    expect(lifecycleOnly(calls(/\bwriteLanded\(/g))).toEqual([]);
    expect(lifecycleOnly(calls(/\bremoveLandRecords\(/g))).toEqual([]);
  });

  it("no module but lifecycle.ts changes an issue's status (plan.ts only creates issues, as planned)", () => {
    const writes = [
      ...calls(/\bissues\s*\.update\(/g, STATUS_PATCH),
      ...calls(/\bissues\s*\.transact\(/g, STATUS_PATCH),
      ...calls(/\bapplyPatch\(/g, STATUS_PATCH),
    ];
    expect(lifecycleOnly(writes).filter((at) => !at.startsWith("src/core/plan.ts:"))).toEqual([]);
    // The check sees the writes that are there: lifecycle.ts's own.
    expect(writes.some((at) => at.startsWith("src/core/lifecycle.ts:"))).toBe(true);
    // plan.ts's one write creates issues, and only as planned.
    const plan = readFileSync(join(SRC, "core", "plan.ts"), "utf8");
    expect([...plan.matchAll(/\bstatus:\s*"([a-z-]+)"/g)].map((m) => m[1])).toEqual(
      expect.arrayContaining(["planned"]),
    );
    expect(plan).not.toMatch(/\bstatus:\s*"(in-progress|blocked|complete|cancelled)"/);
  });
});

describe("the transition table", () => {
  it("is the table docs/lifecycle.md draws, row for row", () => {
    const doc = readFileSync(join(ROOT, "docs", "lifecycle.md"), "utf8");
    const section = doc.slice(doc.indexOf("| transition | from → to |"));
    const rows = section
      .split("\n")
      .slice(2)
      .filter((line) => line.startsWith("| "))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    const documented = Object.fromEntries(
      rows.map(([, name, moves]) => [
        name,
        Object.fromEntries(moves!.split(", ").map((move) => move.split(" → "))),
      ]),
    );
    expect(documented).toEqual(TRANSITIONS);
  });

  it("never leaves complete, never reaches a status outside the issue statuses, and every open state has a way out", () => {
    const names = Object.keys(TRANSITIONS) as Transition[];
    for (const name of names) {
      expect(nextStatus("complete", name), `${name} from complete`).toBeNull();
      for (const from of ISSUE_STATUSES) {
        const to = nextStatus(from, name);
        if (to) expect(ISSUE_STATUSES).toContain(to);
      }
    }
    // Every status but complete can move somewhere else.
    const leaves = (from: IssueStatus) => names.some((name) => (nextStatus(from, name) ?? from) !== from);
    expect(ISSUE_STATUSES.filter((status) => !leaves(status))).toEqual(["complete"]);
    // A cancelled task comes back only by a human's retry; a blocked one only by its worker, a human, or a land.
    expect(names.filter((name) => nextStatus("cancelled", name))).toEqual(["retry"]);
    expect(
      names.filter((name) => nextStatus("blocked", name) && nextStatus("blocked", name) !== "blocked"),
    ).toEqual(["assign", "claim", "work", "land", "unblock", "release", "retry", "abandon"]);
  });
});
