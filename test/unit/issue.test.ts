import { describe, expect, it } from "vitest";
import { applyPatch, parseIssue } from "../../src/core/issue.js";
import { JigError } from "../../src/errors.js";

const subtask = `---
epic: feature-auth
status: planned   # set by jig
assigned:
target: feature/auth
depends: [feature-auth-01-jwt]
reviewer: "alice"   # unknown field, kept as is
labels:
  - security
  - backend
---

# Add OAuth

## Objective
Body with --- inside
---
and trailing spaces   
`;

function errorOf(fn: () => unknown): JigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof JigError) return error;
    throw error;
  }
  throw new Error("expected a JigError");
}

describe("parseIssue", () => {
  it("reads a subtask", () => {
    const issue = parseIssue("feature-auth-02-oauth", subtask);
    expect(issue).toMatchObject({
      id: "feature-auth-02-oauth",
      kind: "subtask",
      epic: "feature-auth",
      status: "planned",
      assigned: null,
      target: "feature/auth",
      depends: ["feature-auth-01-jwt"],
      title: "Add OAuth",
      number: 2,
    });
    expect(issue.body.startsWith("\n# Add OAuth")).toBe(true);
  });

  it("reads an epic (no epic field) with target and base", () => {
    const issue = parseIssue("feature-auth", "---\ntarget: feature/auth\nbase: develop\n---\n# Auth\n");
    expect(issue).toMatchObject({
      kind: "epic",
      epic: "feature-auth",
      status: "planned",
      target: "feature/auth",
      base: "develop",
    });
  });

  it.each([
    ["unclosed frontmatter", "---\nepic: x\n", /never closed/],
    [
      "malformed YAML",
      "---\nepic: x\ntitle: [unclosed\n---\n",
      /malformed YAML frontmatter: .*\(line \d+, column \d+\)$/,
    ],
    [
      "unknown status",
      "---\nepic: feature-auth\nstatus: done\n---\n",
      /field 'status': expected one of planned, in-progress, blocked, complete, cancelled; got "done"/,
    ],
    [
      "wrong-typed depends",
      "---\nepic: feature-auth\ndepends: 7\n---\n",
      /field 'depends': expected array; got 7/,
    ],
    [
      "unsafe dependency id",
      "---\nepic: feature-auth\ndepends: [../x]\n---\n",
      /field 'depends.0'.*not a safe issue id/,
    ],
    [
      "bad target branch",
      "---\nepic: feature-auth\ntarget: 'a..b'\n---\n",
      /field 'target'.*not a valid branch name/,
    ],
    ["js frontmatter", "---js\n{ epic: require('fs') }\n---\n", /only YAML frontmatter is allowed/],
    ["a list instead of a mapping", "---\n- a\n- b\n---\n", /must be a mapping/],
  ])("refuses %s with the file and field named", (_name, raw, message) => {
    const error = errorOf(() => parseIssue("feature-auth-02-oauth", raw));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toMatch(/^feature-auth-02-oauth\.md: /);
    expect(error.message).toMatch(message);
  });

  it("refuses a subtask file not named <epic>-NN-<slug>", () => {
    expect(errorOf(() => parseIssue("oauth", subtask)).message).toMatch(
      /must be named feature-auth-NN-<slug>\.md/,
    );
  });

  it("refuses a self-dependency", () => {
    expect(
      errorOf(() =>
        parseIssue("feature-auth-01-jwt", "---\nepic: feature-auth\ndepends: [feature-auth-01-jwt]\n---\n"),
      ).message,
    ).toMatch(/depends on itself/);
  });
});

describe("applyPatch", () => {
  it("changes only the patched fields; comments, unknown fields and body stay byte for byte", () => {
    const issue = parseIssue("feature-auth-02-oauth", subtask);
    const next = applyPatch(issue, { status: "in-progress", assigned: "feature-auth-02-oauth" });
    expect(next).toBe(
      subtask
        .replace("status: planned   # set by jig", "status: in-progress")
        .replace("assigned:\n", "assigned: feature-auth-02-oauth\n"),
    );
    const reparsed = parseIssue("feature-auth-02-oauth", next);
    expect(reparsed.status).toBe("in-progress");
    expect(reparsed.body).toBe(issue.body);
  });

  it("replaces a multi-line list and appends missing fields", () => {
    const raw = "---\nepic: e\ndepends:\n  - e-01-a\n  - e-02-b\nx: 1\n---\nbody";
    const next = applyPatch(parseIssue("e-03-c", raw.replace("depends", "depends")), {
      depends: ["e-01-a"],
      assigned: "w",
    });
    expect(next).toBe("---\nepic: e\ndepends: [e-01-a]\nx: 1\nassigned: w\n---\nbody");
  });

  it("keeps CRLF files CRLF", () => {
    const raw = "---\r\nepic: e\r\nstatus: planned\r\n---\r\nbody\r\n";
    expect(applyPatch(parseIssue("e-01-a", raw), { status: "blocked" })).toBe(
      "---\r\nepic: e\r\nstatus: blocked\r\n---\r\nbody\r\n",
    );
  });

  it("quotes values YAML would misread", () => {
    const raw = "---\nepic: e\n---\n";
    const next = applyPatch(parseIssue("e-01-a", raw), { assigned: "yes" });
    expect(next).toContain('assigned: "yes"');
    expect(parseIssue("e-01-a", next).assigned).toBe("yes");
    // Numbers and dates in disguise (fast-check found "0e0" written plain and read back as 0).
    for (const value of ["0e0", "1e5", "0x1F", "0o17", ".5", ".inf", "2026-11-24", "12", "n", "Null"]) {
      const patched = applyPatch(parseIssue("e-01-a", raw), { assigned: value });
      expect(patched).toContain(`assigned: ${JSON.stringify(value)}`);
      expect(parseIssue("e-01-a", patched).assigned).toBe(value);
    }
    expect(applyPatch(parseIssue("e-01-a", raw), { assigned: "w-01_x.y" })).toContain("assigned: w-01_x.y");
  });
});

describe("an issue file without frontmatter", () => {
  it("is an epic with every field defaulted, and jig's first write adds the block, body kept", () => {
    const raw = "# Hand-written epic\n\nSome text.\n";
    const issue = parseIssue("big-thing", raw);
    expect(issue).toMatchObject({
      kind: "epic",
      epic: "big-thing",
      status: "planned",
      title: "Hand-written epic",
    });
    const written = applyPatch(issue, { status: "in-progress" });
    expect(written).toBe(`---\nstatus: in-progress\n---\n${raw}`);
    expect(parseIssue("big-thing", written).status).toBe("in-progress");
  });
});
