import { describe, expect, it } from "vitest";
import {
  explainBadSlug,
  explainUnsafeId,
  formatSubtaskId,
  parseSubtaskId,
  resolveReference,
  slugify,
} from "../../src/core/ids.js";
import { JigError } from "../../src/errors.js";

describe("safe ids", () => {
  it.each([
    ["feature-auth", null],
    ["feature-auth-01-jwt", null],
    ["v1.2_x", null],
    ["", "it is empty"],
    ["../etc", "it contains '..'"],
    ["a/b", "it contains a path separator"],
    ["-rf", "it starts with '-'"],
    ["has space", "it contains spaces"],
    ["ctl\u0007", "it contains control characters"],
    ["x.lock", "it ends with '.lock' or '.'"],
    ["ünïcode", "it may contain only letters, digits, '.', '_' and '-'"],
    ["a".repeat(121), "it is longer than 120 characters"],
  ])("%j → %j", (id, why) => {
    expect(explainUnsafeId(id)).toBe(why);
  });

  it("slugs are lowercase words joined by single dashes", () => {
    expect(explainBadSlug("add-jwt")).toBeNull();
    expect(explainBadSlug("Add-JWT")).not.toBeNull();
    expect(explainBadSlug("a--b")).not.toBeNull();
    expect(explainBadSlug("-a")).not.toBeNull();
    expect(slugify("Add JWT Token Generation!")).toBe("add-jwt-token-generation");
    expect(slugify("  ")).toBe("task");
    expect(slugify("x".repeat(100)).length).toBeLessThanOrEqual(48);
  });

  it("formats and parses subtask ids", () => {
    const id = formatSubtaskId("feature-auth", 3, "jwt");
    expect(id).toBe("feature-auth-03-jwt");
    expect(parseSubtaskId(id, "feature-auth")).toEqual({ epic: "feature-auth", number: 3, slug: "jwt" });
    expect(parseSubtaskId("feature-auth-jwt", "feature-auth")).toBeNull();
    expect(parseSubtaskId("other-01-jwt", "feature-auth")).toBeNull();
  });
});

describe("short references", () => {
  const ids = [
    "feature-auth",
    "feature-auth-01-jwt",
    "feature-auth-02-oauth",
    "feature-auth-10-tests",
    "billing-01-jwt",
  ];

  it("resolves full ids, paths, <epic>-NN and NN within an epic", () => {
    expect(resolveReference("feature-auth-01-jwt", ids)).toBe("feature-auth-01-jwt");
    expect(resolveReference("issues/feature-auth-02-oauth.md", ids)).toBe("feature-auth-02-oauth");
    expect(resolveReference("feature-auth-01", ids)).toBe("feature-auth-01-jwt");
    expect(resolveReference("01", ids, { epic: "feature-auth" })).toBe("feature-auth-01-jwt");
    expect(resolveReference("1", ids, { epic: "feature-auth" })).toBe("feature-auth-01-jwt");
    expect(resolveReference("10", ids, { epic: "feature-auth" })).toBe("feature-auth-10-tests");
    expect(resolveReference("02-oauth", ids, { epic: "feature-auth" })).toBe("feature-auth-02-oauth");
  });

  it("refuses ambiguous and unknown references, never guessing", () => {
    const dup = [...ids, "feature-auth-01-jwt2"];
    expect(() => resolveReference("feature-auth-01", dup)).toThrowError(
      /ambiguous: it matches feature-auth-01-jwt, feature-auth-01-jwt2/,
    );
    expect(() => resolveReference("01", ids)).toThrowError(/no issue matches "01"/);
    expect(() => resolveReference("feature", ids)).toThrowError(JigError);
  });

  it("refuses path tricks", () => {
    for (const ref of ["../secret", "/etc/passwd", "a/../../b", "%2e%2e", "-x"]) {
      expect(() => resolveReference(ref, ids)).toThrowError(JigError);
    }
  });
});
