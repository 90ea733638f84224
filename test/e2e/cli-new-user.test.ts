// What a new user meets, through the built CLI and the scripted agent: honest exit codes, next steps that
// keep the options given, user errors that are not "internal error", and hints that name the real fix.

import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, runCliAsync } from "../helpers/cli.js";
import { background, epicRepo, waitFor, writeAndLand } from "../helpers/epic.js";
import { gitIn, gitRepo, issueFile, tempDir, writeFiles } from "../helpers/repo.js";

const json = (stdout: string) => JSON.parse(stdout);

describe("exit codes and next steps", () => {
  it("the scripted agent's own exit code is recorded, not 0", async () => {
    const root = epicRepo([{ slug: "a", steps: [{ exit: 5 }] }], { agent: "scripted", maxRetries: 0 });
    expect(runCli(root, ["plan", "ep"]).code).toBe(0);
    expect(runCli(root, ["spawn", "--issue", "ep-01-a"]).code).toBe(0);
    const exitOf = () => json(runCli(root, ["ps", "--json"]).stdout).workers[0]?.exit ?? null;
    await waitFor(() => exitOf() !== null, "the session to end", { dump: () => String(exitOf()) });
    expect(exitOf()).toMatch(/^exit code 5/);
  });

  it("jig plan --agent X prints next steps with --agent X", () => {
    const root = epicRepo([{ slug: "a" }, { slug: "b", depends: ["a"] }], { maxRetries: 0 });
    const planned = runCli(root, ["plan", "ep", "--agent", "scripted"]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain("jig run ep --agent scripted");
    expect(planned.stdout).toContain("jig spawn --issue ep-01-a --agent scripted");
  });

  it("Ctrl-C in jig run exits 130 and the resume line keeps --agent", async () => {
    const root = epicRepo([{ slug: "a", steps: [{ hang: true }] }], { maxRetries: 0 });
    expect(runCli(root, ["plan", "ep", "--agent", "scripted"]).code).toBe(0);
    const run = background(root, ["run", "ep", "--agent", "scripted"]);
    await waitFor(() => /spawned|started/i.test(run.output()), "jig run to spawn the worker", {
      dump: run.output,
    });
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(run.output()).toContain("resume with jig run ep --agent scripted");
    runCli(root, ["kill", "ep-01-a"]);
  });
});

describe("user errors are the user's to fix, not internal errors", () => {
  it("jig serve on a busy port names the port and what to do", async () => {
    const root = gitRepo();
    expect(runCli(root, ["init"]).code).toBe(0);
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const served = await runCliAsync(root, ["serve", "--port", String(port)]);
      expect(served.code).toBe(1);
      expect(served.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(served.stderr).toContain("--port");
      expect(served.stderr).not.toContain("internal error");
    } finally {
      busy.close();
    }
  });

  it("jig init with a broken .mcp.json refuses it and writes nothing", () => {
    const root = gitRepo({ "README.md": "x\n", ".mcp.json": "{ not json" });
    const init = runCli(root, ["init"]);
    expect(init.code).toBe(1);
    expect(init.stderr).toContain(".mcp.json is not valid JSON");
    expect(init.stderr).not.toContain("internal error");
    expect(existsSync(join(root, "issues"))).toBe(false);
    expect(existsSync(join(root, ".claude"))).toBe(false);
    expect(readFileSync(join(root, ".mcp.json"), "utf8")).toBe("{ not json");
  });

  it("--json commands print their errors as JSON", () => {
    const root = gitRepo();
    expect(runCli(root, ["init"]).code).toBe(0);
    const shown = runCli(root, ["issues", "show", "nope", "--json"]);
    expect(shown.code).toBe(1);
    const error = json(shown.stdout).error;
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toContain("nope");
    expect(error.hint).toBeTruthy();
  });

  it("jig serve --stdio outside an initialised repo says so and writes nothing", () => {
    const root = gitRepo();
    const served = runCli(root, ["serve", "--stdio"]);
    expect(served.code).toBe(1);
    expect(served.stdout).toBe("");
    expect(served.stderr).toContain("is not set up for jig");
    expect(served.stderr).toContain("jig init");
    expect(existsSync(join(root, "issues"))).toBe(false);
    expect(existsSync(join(root, ".jig"))).toBe(false);
  });

  it("jig issues validate reports every problem of one file", () => {
    const root = gitRepo({
      "README.md": "x\n",
      "issues/e.md": issueFile({}, "# E\n"),
      "issues/e-01-a.md": issueFile({
        epic: "e",
        status: "finished",
        target: "'a..b'",
        depends: "7",
      } as never),
    });
    const checked = runCli(root, ["issues", "validate", "--json"]);
    expect(checked.code).toBe(1);
    const fields = json(checked.stdout).problems.map((p: { field: string }) => p.field);
    expect(fields).toEqual(expect.arrayContaining(["status", "target", "depends"]));
    const text = runCli(root, ["issues", "validate"]);
    expect(text.stdout).toContain("e-01-a.md (status)");
    expect(text.stdout).toContain("e-01-a.md (target)");
    expect(text.stdout).toContain("e-01-a.md (depends)");
    expect(text.stderr).toContain("3 problem(s) in 1 issue file(s)");
  });
});

describe("planning from what a person writes", () => {
  it("an epic without frontmatter is planned from its '## Subtasks' headings", () => {
    const root = gitRepo({
      "README.md": "x\n",
      "issues/ep.md":
        "# Epic\n\n## Subtasks\n\n### 1. First\nDo the first.\n\n### 2. Second\nDo the second.\n",
    });
    expect(runCli(root, ["init"]).code).toBe(0);
    const planned = runCli(root, ["plan", "ep", "--agent", "scripted"]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain("Plan for ep → feature/ep");
    expect(planned.stdout).toContain("First");
    expect(readFileSync(join(root, "issues", "ep.md"), "utf8")).toContain("## Subtasks");
  });

  it("the scripted planner's reason for planning nothing reaches jig plan, not only the log", () => {
    const root = gitRepo({
      "README.md": "x\n",
      "issues/ep.md": issueFile({}, "# Epic\n\n### Orphan heading\n"),
    });
    expect(runCli(root, ["init"]).code).toBe(0);
    const planned = runCli(root, ["plan", "ep", "--agent", "scripted"]);
    expect(planned.code).toBe(1);
    expect(planned.stderr).toContain("ended without writing a plan");
    expect(planned.stderr).toContain("'### ' headings under a '## Subtasks' heading");
  });

  it("an epic outside the issues directory gets a hint to move it there", () => {
    const root = gitRepo({ "README.md": "x\n", "docs/big.md": issueFile({}, "# Big\n") });
    expect(runCli(root, ["init"]).code).toBe(0);
    const planned = runCli(root, ["plan", "docs/big.md", "--agent", "scripted"]);
    expect(planned.code).toBe(1);
    expect(planned.stderr).toContain("docs/big.md is not in the issues directory (issues/)");
    expect(planned.stderr).toContain("mv docs/big.md issues/big.md && jig plan big");
  });

  it("in a repository without a commit, the hint is to make a first commit", () => {
    const root = tempDir("jig-empty-");
    gitIn(root, "init", "-q", "-b", "main");
    writeFiles(root, { "issues/ep.md": issueFile({}, "# Epic\n\n## Subtasks\n### One\nDo it.\n") });
    expect(runCli(root, ["init"]).code).toBe(0);
    const planned = runCli(root, ["plan", "ep", "--agent", "scripted"]);
    expect(planned.code).toBe(1);
    expect(planned.stderr).toContain("no commits yet");
    expect(planned.stderr).toContain("make a first commit");
    expect(planned.stderr).not.toContain("set `base:`");
  });
});

describe("epic status in jig issues list", () => {
  it("reaches complete when every subtask landed, and merged after jig merge", () => {
    const root = epicRepo([{ slug: "a", steps: writeAndLand("a.txt", "a\n") }], {
      agent: "scripted",
      maxRetries: 0,
    });
    const epicStatus = () =>
      json(runCli(root, ["issues", "list", "--json"]).stdout).issues.find(
        (i: { id: string }) => i.id === "ep",
      ).status;
    expect(epicStatus()).toBe("planned");
    const ran = runCli(root, ["plan", "ep", "--auto"], { timeoutMs: 120_000 });
    expect(ran.code, ran.stderr).toBe(0);
    expect(epicStatus()).toBe("complete");
    const merged = runCli(root, ["merge", "ep"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(epicStatus()).toBe("merged");
    expect(runCli(root, ["issues", "list", "--status", "merged"]).stdout).toContain("ep");
  });
});
