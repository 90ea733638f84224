import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { parseIssue } from "../../src/core/issue.js";
import { JigError } from "../../src/errors.js";
import { runCli } from "../helpers/cli.js";
import { gitRepo } from "../helpers/repo.js";
import { epicFiles } from "../helpers/workers.js";
import { tally } from "./harness.js";

// Finding 4 of issue 13: 498 bytes of nested YAML aliases cost `jig issues validate` 31 s and 1.95 GB.
// Now a bad file costs milliseconds and names itself; the parser is fuzzed with anchors, aliases, tags
// and sizes, and the slowest case is recorded (test-output/reliability/yaml-fuzz.json).

/** `levels` levels of `width` aliases each: width^levels values once expanded. */
function aliasBomb(levels: number, width: number, field = "status"): string {
  const lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let i = 1; i <= levels; i++)
    lines.push(`a${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(", ")}]`);
  lines.push(`${field}: *a${levels}`);
  return `---\nepic: e\n${lines.join("\n")}\n---\n# Bomb\n`;
}

describe("YAML alias bombs and hostile frontmatter", () => {
  it("the 498-byte bomb of the attack is refused at once, naming the file", () => {
    const bomb = aliasBomb(8, 10);
    for (const field of ["status", "depends", "target", "extra"]) {
      const started = performance.now();
      let error: unknown = null;
      try {
        parseIssue("e-01-bomb", aliasBomb(8, 10, field));
      } catch (caught) {
        error = caught;
      }
      const ms = performance.now() - started;
      expect(error, field).toBeInstanceOf(JigError);
      expect((error as JigError).message).toMatch(/e-01-bomb\.md: .*(expands to more than|aliases)/);
      // Gross pathology only (the attack took 31 s): timing of a normal case lives in the fuzz report.
      expect(ms, `${field}: ${ms} ms`).toBeLessThan(2_000);
    }
    expect(bomb.length).toBeLessThan(600);
  });

  it("jig issues validate and list_tasks' loader name the bad file and keep serving the others", async () => {
    const root = gitRepo({ ...epicFiles("e", 1), "issues/e-02-bomb.md": aliasBomb(8, 10) });
    const out = runCli(root, ["issues", "validate"], { timeoutMs: 30_000 });
    expect(out.code).not.toBe(0);
    expect(out.stdout + out.stderr).toMatch(/e-02-bomb\.md/);
    const ctx = await openContext({ root });
    const { issues, problems } = await ctx.issues.load();
    expect(issues.map((i) => i.id).sort()).toEqual(["e", "e-01-t1"]);
    expect(problems.map((p) => p.file ?? JSON.stringify(p)).join()).toMatch(/e-02-bomb/);
  });

  it("an oversized frontmatter is refused before YAML parses it", () => {
    const big = `---\nepic: e\nnote: "${"x".repeat(70 * 1024)}"\n---\n# Big\n`;
    expect(() => parseIssue("e-01-big", big)).toThrow(/e-01-big\.md: the frontmatter is \d+ bytes, over/);
  });

  it("fuzz: 10,000 frontmatters of anchors, aliases, tags and sizes → issue or a JigError, none slow", () => {
    const scalar = fc.oneof(
      fc.constantFrom("planned", "e-02-y", "feature/x", "~", "null", "0x1F", "1e5", ".5", "2024-01-01", "''"),
      fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
    );
    const tag = fc.constantFrom(
      "",
      "!!str ",
      "!!int ",
      "!!binary ",
      "!!timestamp ",
      "!!set ",
      "!!omap ",
      "!!js/function ",
      "!custom ",
      "!<tag:x> ",
    );
    // Anchored lists of aliases to earlier anchors: a bomb of random depth and width.
    const bomb = fc
      .record({ levels: fc.integer({ min: 1, max: 12 }), width: fc.integer({ min: 1, max: 16 }) })
      .map(({ levels, width }) => {
        const lines = ["b0: &b0 [x, y]"];
        for (let i = 1; i <= levels; i++)
          lines.push(`b${i}: &b${i} [${Array.from({ length: width }, () => `*b${i - 1}`).join(", ")}]`);
        return { lines, top: `*b${levels}` };
      });
    const field = fc.constantFrom("epic", "status", "assigned", "target", "base", "depends", "extra", "<<");
    const line = fc.oneof(
      fc.tuple(field, tag, scalar).map(([k, t, v]) => `${k}: ${t}${v}`),
      fc.tuple(field, scalar).map(([k, v]) => `${k}: &anchor ${v}`),
      fc.tuple(field).map(([k]) => `${k}: *anchor`),
      fc.tuple(field).map(([k]) => `${k}: *missing`),
      fc.tuple(field, fc.integer({ min: 0, max: 80_000 })).map(([k, n]) => `${k}: "${"z".repeat(n)}"`),
      fc.constantFrom(
        "<<: *anchor",
        "? complex key\n: value",
        "x: [unclosed",
        "&self [*self]",
        "- list item",
        "\t tab",
      ),
    );
    const doc = fc
      .tuple(fc.array(line, { maxLength: 8 }), fc.option(fc.tuple(bomb, field), { nil: null }))
      .map(([lines, withBomb]) => {
        const all = ["epic: e", ...lines];
        if (withBomb) all.push(...withBomb[0].lines, `${withBomb[1]}: ${withBomb[0].top}`);
        return `---\n${all.join("\n")}\n---\n# Fuzz\n`;
      });
    const times: number[] = [];
    let refused = 0;
    let slowest = { ms: 0, text: "" };
    fc.assert(
      fc.property(doc, (text) => {
        const started = performance.now();
        try {
          parseIssue("e-01-fuzz", text);
        } catch (error) {
          refused++;
          expect(error).toBeInstanceOf(JigError);
          expect((error as JigError).message).toMatch(/^e-01-fuzz\.md/);
        }
        const ms = performance.now() - started;
        times.push(ms);
        if (ms > slowest.ms) slowest = { ms, text: text.slice(0, 300) };
        expect(ms, `a case took ${ms} ms:\n${text.slice(0, 500)}`).toBeLessThan(2_000);
      }),
      { numRuns: 10_000 },
    );
    times.sort((a, b) => a - b);
    const at = (q: number) => Math.round(times[Math.floor(q * (times.length - 1))]! * 1000) / 1000;
    const report = {
      cases: times.length,
      refused,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: Math.round(slowest.ms * 1000) / 1000,
      over100Ms: times.filter((t) => t > 100).length,
    };
    mkdirSync(join(import.meta.dirname, "..", "..", "test-output", "reliability"), { recursive: true });
    writeFileSync(
      join(import.meta.dirname, "..", "..", "test-output", "reliability", "yaml-fuzz-slowest.txt"),
      slowest.text,
    );
    tally("yaml-fuzz", report);
    expect(times.length).toBe(10_000);
  });
});
