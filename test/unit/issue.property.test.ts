import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyPatch, ISSUE_STATUSES, parseIssue } from "../../src/core/issue.js";
import { JigError } from "../../src/errors.js";

// Random input never crashes the parser: it yields an issue or a typed JigError, nothing else.
describe("issue parser (property-based)", () => {
  it("arbitrary text → issue or JigError", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        try {
          parseIssue("e-01-x", text);
        } catch (error) {
          expect(error).toBeInstanceOf(JigError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("arbitrary frontmatter lines → issue or JigError", () => {
    const line = fc.oneof(
      fc.constantFrom(
        "epic: e",
        "status: planned",
        "status: bogus",
        "depends: [e-02-y]",
        "depends:",
        "assigned: ~",
        "target: a/b",
        "  - x",
        ":",
        "- -",
        "{",
        "&a x",
        "*a",
        "? x",
        "!!js/function 'f'",
        "<<: *a",
      ),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.string({ maxLength: 60 }), (lines, body) => {
        try {
          parseIssue("e-01-x", `---\n${lines.join("\n")}\n---\n${body}`);
        } catch (error) {
          expect(error).toBeInstanceOf(JigError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("a patch changes the patched fields and nothing else", () => {
    const unknownField = fc.tuple(
      fc.constantFrom("note", "owner", "x_y", "labels"),
      fc.stringMatching(/^[A-Za-z0-9 #:"'-]{0,20}$/),
    );
    fc.assert(
      fc.property(
        fc.array(unknownField, { maxLength: 4 }),
        fc.string({ maxLength: 200 }),
        fc.constantFrom(...ISSUE_STATUSES),
        fc.option(fc.stringMatching(/^[A-Za-z0-9 ._:#-]{1,30}$/), { nil: null }),
        (extra, body, status, assigned) => {
          const fields = [
            "epic: e",
            "status: planned",
            ...extra.map(([k, v]) => `${k}: ${JSON.stringify(v)}`),
          ];
          const raw = `---\n${[...new Map(fields.map((f) => [f.split(":")[0], f])).values()].join("\n")}\n---\n${body}`;
          const before = parseIssue("e-01-x", raw);
          const after = parseIssue("e-01-x", applyPatch(before, { status, assigned }));
          expect(after.status).toBe(status);
          expect(after.assigned).toBe(assigned === null || assigned.trim() === "" ? null : assigned.trim());
          expect(after.body).toBe(before.body);
          for (const [key] of extra)
            expect(after.raw).toContain(raw.split("\n").find((l) => l.startsWith(`${key}:`))!);
          expect(applyPatch(before, {})).toBe(raw);
        },
      ),
      { numRuns: 500 },
    );
  });
});
