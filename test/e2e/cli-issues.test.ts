import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { gitRepo, issueFile, writeFiles } from "../helpers/repo.js";

// The built bin, as a user runs it: exit codes, --json, and every problem reported in one run.
describe("jig init / issues (built CLI)", () => {
  let repo: string;
  beforeAll(() => {
    repo = gitRepo();
    expect(runCli(repo, ["init"]).code).toBe(0);
    writeFiles(repo, {
      "issues/feature-auth.md": issueFile({ target: "feature/auth" }, "# Auth epic\n"),
      "issues/feature-auth-01-jwt.md": issueFile({ epic: "feature-auth", status: "complete" }, "# Add JWT\n"),
      "issues/feature-auth-02-oauth.md": issueFile(
        { epic: "feature-auth", depends: ["feature-auth-01-jwt"] },
        "# Add OAuth\n",
      ),
      "issues/feature-auth-03-tests.md": issueFile(
        { epic: "feature-auth", depends: ["feature-auth-02-oauth"] },
        "# Tests\n",
      ),
    });
  });

  it("init is idempotent and excludes .jig/", () => {
    const again = runCli(repo, ["init", "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).done).toEqual([]);
    expect(readFileSync(join(repo, ".git", "info", "exclude"), "utf8")).toContain(".jig/");
    expect(JSON.parse(readFileSync(join(repo, ".mcp.json"), "utf8")).mcpServers.jig.args).toContain(
      "--stdio",
    );
  });

  it("lists with filters, as a table or JSON", () => {
    const table = runCli(repo, ["issues", "list"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("feature-auth-02-oauth");
    const ready = JSON.parse(runCli(repo, ["issues", "list", "--ready", "--json"]).stdout);
    expect(ready.issues.map((issue: { id: string }) => issue.id)).toEqual(["feature-auth-02-oauth"]);
    const complete = JSON.parse(runCli(repo, ["issues", "list", "--status", "complete", "--json"]).stdout);
    expect(complete.issues.map((issue: { id: string }) => issue.id)).toEqual(["feature-auth-01-jwt"]);
    const waiting = JSON.parse(runCli(repo, ["issues", "list", "--epic", "feature-auth", "--json"]).stdout);
    expect(
      waiting.issues.find((issue: { id: string }) => issue.id === "feature-auth-03-tests").waitingOn,
    ).toEqual(["feature-auth-02-oauth"]);
  });

  it("shows one issue by short reference", () => {
    const shown = runCli(repo, ["issues", "show", "feature-auth-02"]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("# Add OAuth");
    expect(JSON.parse(runCli(repo, ["issues", "show", "feature-auth-02", "--json"]).stdout).id).toBe(
      "feature-auth-02-oauth",
    );
    const missing = runCli(repo, ["issues", "show", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: no issue matches "nope"');
    expect(missing.stderr).toContain("hint:");
  });

  it("usage errors exit 2", () => {
    expect(runCli(repo, ["issues", "list", "--status", "finished"]).code).toBe(2);
    expect(runCli(repo, ["frobnicate"]).code).toBe(2);
    expect(runCli(repo, ["issues", "show"]).code).toBe(2);
  });

  it("validate passes on good files and reports every problem at once", () => {
    expect(runCli(repo, ["issues", "validate"]).code).toBe(0);
    const broken = gitRepo();
    writeFiles(broken, {
      "issues/e.md": issueFile({}, "# E\n"),
      "issues/e-01-a.md": issueFile({ epic: "e", status: "finished" }),
      "issues/e-02-b.md": issueFile({ epic: "e", depends: ["e-03-c"] }),
      "issues/e-03-c.md": issueFile({ epic: "e", depends: ["e-02-b"] }),
      "issues/e-04-d.md": "---\nepic: e\ndepends: [\n---\n",
      "issues/e-05-e.md": issueFile({ epic: "e", depends: ["e-77-missing"] }),
    });
    writeFileSync(join(broken, "issues", "bad name.md"), issueFile({ epic: "e" }));
    const result = runCli(broken, ["issues", "validate"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "e-01-a.md (status): field 'status': expected one of planned, in-progress, blocked, complete, cancelled",
    );
    expect(result.stdout).toContain("e-04-d.md: malformed YAML frontmatter");
    expect(result.stdout).toContain("e-05-e.md (depends): depends on 'e-77-missing', which does not exist");
    expect(result.stdout).toMatch(/dependency cycle: e-0[23]-[bc] → e-0[23]-[bc] → e-0[23]-[bc]/);
    expect(result.stdout).toContain("bad name.md: the file name is not a safe issue id: it contains spaces");
    expect(result.stderr).toContain("error: 5 problem(s) in 5 issue file(s)");
    const json = runCli(broken, ["issues", "validate", "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).problems).toHaveLength(5);
    // jig status names the epic's broken files instead of pretending they are not there.
    const status = runCli(broken, ["status", "e"]);
    expect(status.stdout).toContain(
      "e-01-a.md: field 'status': expected one of planned, in-progress, blocked, complete, cancelled; got \"finished\"",
    );
    expect(status.stdout).toContain("these files are left out above: fix them (jig issues validate)");
    expect(status.stdout).not.toContain("no subtasks yet");
  });

  it("outside a git repo: a clear domain error", () => {
    const result = runCli("/", ["issues", "list"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not inside a git repository");
  });
});
