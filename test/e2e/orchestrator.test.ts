import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { dashboardSnapshot } from "../../src/server/dashboard/snapshot.js";
import { CLI_ENTRY } from "../../src/version.js";
import { runCli } from "../helpers/cli.js";
import { background, epicRepo, planAndSpawn, taskIs, waitFor, writeAndLand } from "../helpers/epic.js";
import { gitIn, gitRepo, issueFile, tempDir, testEnv } from "../helpers/repo.js";

// The orchestrator end to end: the built CLI, the scripted agent as real child processes, real git.

describe("jig plan / run with the scripted agent", () => {
  it("plans, runs in dependency order, retries a crashed worker, and lands everything", async () => {
    const root = epicRepo([
      { slug: "one", steps: writeAndLand("one.txt", "1\n") },
      { slug: "two", steps: writeAndLand("two.txt", "2\n", [{ crashOnce: true }]) },
      { slug: "three", steps: writeAndLand("three.txt", "3\n"), depends: ["one", "two"] },
    ]);
    const result = runCli(root, ["plan", "issues/ep.md", "--auto"], { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("ep-02-two session ended (killed by SIGKILL); retrying (attempt 2)");
    expect(result.stdout).toContain("Epic: ep (3/3 complete)");
    // The progress reads in the order things happened: a dependant starts after its dependencies landed.
    const at = (line: string) => result.stderr.indexOf(line);
    expect(at("ep-03-three started")).toBeGreaterThan(at("✓ ep-01-one landed"));
    expect(at("ep-03-three started")).toBeGreaterThan(at("✓ ep-02-two landed"));
    expect(at("✓ ep-01-one landed")).toBeGreaterThan(-1);
    const log = gitIn(root, "log", "--format=%s", "feature/ep").split("\n");
    expect(log.indexOf("write three.txt")).toBeLessThan(log.indexOf("write one.txt"));
    expect(log.indexOf("write three.txt")).toBeLessThan(log.indexOf("write two.txt"));
    const status = JSON.parse(runCli(root, ["status", "ep", "--json"]).stdout);
    expect(status.subtasks.map((s: { state: string }) => s.state)).toEqual([
      "complete",
      "complete",
      "complete",
    ]);
    const ps = JSON.parse(runCli(root, ["ps", "--all", "--json"]).stdout);
    expect(ps.workers.map((w: { name: string; status: string }) => `${w.name}:${w.status}`).sort()).toEqual([
      "ep-01-one:done",
      "ep-02-two:done",
      "ep-03-three:done",
    ]);
    // Re-running a finished epic resumes (nothing to do) rather than planning again.
    const again = runCli(root, ["plan", "issues/ep.md", "--auto"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("already planned");
  });

  it("without --auto prints the plan and the spawn commands; jig spawn --issue runs one worker", async () => {
    const go = join(tempDir(), "go");
    const root = epicRepo([
      { slug: "solo", steps: writeAndLand("solo.txt", "s\n", [{ waitForFile: go }]) },
      { slug: "after", depends: ["solo"] },
    ]);
    const planned = runCli(root, ["plan", "ep"], { timeoutMs: 60_000 });
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain("jig spawn --issue ep-01-solo");
    expect(planned.stdout).toMatch(/02-after\s+Task after\s+\(after 01-solo\)/);
    const spawned = runCli(root, ["spawn", "--issue", "ep-01", "--json"]);
    expect(spawned.code, spawned.stderr).toBe(0);
    expect(JSON.parse(spawned.stdout)).toMatchObject({
      name: "ep-01-solo",
      kind: "task",
      branch: "_jig/ep-01-solo",
      target: "feature/ep",
    });
    // jig logs -f prints the session as it goes, and ends when the session does.
    const follow = background(root, ["logs", "ep-01-solo", "-f"]);
    await waitFor(() => follow.output().includes(`waiting for ${go}`), "the worker to wait", {
      dump: () => `jig logs -f printed: ${follow.output()}`,
    });
    writeFileSync(go, "");
    expect(await follow.exited).toBe(0);
    expect(follow.output()).toMatch(/\[scripted\] land → .*landed/i);
    await waitFor(taskIs(root, "ep-01-solo", "complete"), "the worker to land");
    expect(gitIn(root, "show", "feature/ep:solo.txt")).toBe("s");
    const logs = runCli(root, ["logs", "ep-01-solo"]);
    expect(logs.stdout).toContain("[scripted] claim_task → Claimed task ep-01-solo");
    const again = runCli(root, ["spawn", "--issue", "ep-01-solo"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("task 'ep-01-solo' is complete; there is nothing to spawn");
    const epic = runCli(root, ["spawn", "--issue", "ep"]);
    expect(epic.stderr).toContain("'ep' is an epic");
  });

  it("jig itself killed with SIGKILL mid-run: the rerun resumes — the live worker is kept, not restarted", async () => {
    const go = join(tempDir(), "go");
    const root = epicRepo([
      { slug: "one", steps: writeAndLand("one.txt", "1\n", [{ waitForFile: go }]) },
      { slug: "two", steps: writeAndLand("two.txt", "2\n"), depends: ["one"] },
    ]);
    const first = background(root, ["plan", "issues/ep.md", "--auto"]);
    await waitFor(() => first.output().includes("ep-01-one started"), `a worker to start: ${first.output()}`);
    first.child.kill("SIGKILL");
    await first.exited;
    writeFileSync(go, "");
    const rerun = runCli(root, ["run", "ep"], { timeoutMs: 120_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/the previous run of ep \(pid \d+\) is gone; taking over/);
    expect(rerun.stderr).not.toContain("ep-01-one started");
    expect(rerun.stderr).toContain("ep-02-two started");
    expect(rerun.stdout).toContain("Epic: ep (2/2 complete)");
    const one = JSON.parse(readFileSync(join(root, ".jig", "workers", "ep-01-one.json"), "utf8"));
    expect(one.attempt).toBe(1);
    expect(gitIn(root, "log", "--format=%s", "feature/ep").split("\n").slice(0, 2)).toEqual([
      "write two.txt",
      "write one.txt",
    ]);
  });

  it.skipIf(!existsSync("/usr/bin/script"))(
    "on a terminal, jig plan shows the plan and asks: no prints the commands, yes runs it",
    () => {
      // util-linux `script` gives jig a real pseudo-terminal, as a person's shell would.
      const onTerminal = (root: string, answer: string) =>
        spawnSync("script", ["-qec", `${process.execPath} ${CLI_ENTRY} plan ep`, "/dev/null"], {
          cwd: root,
          env: { ...process.env, ...testEnv },
          input: answer,
          encoding: "utf8",
          timeout: 60_000,
        }).stdout;
      const steps = writeAndLand("one.txt", "1\n");
      const declined = epicRepo([{ slug: "one", steps }]);
      const no = onTerminal(declined, "n\n");
      expect(no).toContain("Run it now (spawn workers as tasks become ready, land their work)? [y/N]");
      expect(no).toContain("jig spawn --issue ep-01-one");
      expect(no).not.toContain("ep-01-one started");
      expect(JSON.parse(runCli(declined, ["ps", "--json"]).stdout).workers).toEqual([]);
      const accepted = epicRepo([{ slug: "one", steps }]);
      const yes = onTerminal(accepted, "y\n");
      expect(yes).toContain("ep-01-one started");
      expect(yes).toContain("Epic: ep (1/1 complete)");
      expect(gitIn(accepted, "show", "feature/ep:one.txt")).toBe("1");
    },
  );

  it("a second run of the same epic is refused while the first is running; kill stops a hanging worker", async () => {
    const root = epicRepo([{ slug: "hang", steps: [{ hang: true }] }]);
    expect(runCli(root, ["plan", "ep"]).code).toBe(0);
    const first = background(root, ["run", "ep"]);
    await waitFor(
      () => first.output().includes("ep-01-hang started"),
      `the first run to start a worker: ${first.output()}`,
    );
    const second = runCli(root, ["run", "ep"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("another jig process is already running epic 'ep'");
    await waitFor(
      () =>
        existsSync(join(root, ".jig", "logs", "ep-01-hang.log")) &&
        readFileSync(join(root, ".jig", "logs", "ep-01-hang.log"), "utf8").includes("hanging on purpose"),
      "the agent to hang",
    );
    // Stop the run first (its workers go on), or it would retry the worker we kill.
    first.child.kill("SIGINT");
    expect(await first.exited).toBe(130);
    expect(first.output()).toContain("interrupted: running workers go on; resume with jig run ep");
    const killed = runCli(root, ["kill", "ep-01-hang"]);
    expect(killed.code, killed.stderr).toBe(0);
    const ps = JSON.parse(runCli(root, ["ps", "--json"]).stdout);
    expect(ps.workers[0]).toMatchObject({ name: "ep-01-hang", alive: false });
    expect(["dead", "exited"]).toContain(ps.workers[0].status);
  });

  it("an agent that exits without doing anything is retried, then its task is blocked with why", async () => {
    const root = epicRepo([{ slug: "idle" }], {
      agent: "idle",
      maxRetries: 1,
      agents: { idle: { type: "custom", command: "echo 'idle-agent: out of credits' >&2; exit 3" } },
    });
    expect(runCli(root, ["plan", "ep", "--agent", "scripted"]).code).toBe(0);
    const run = runCli(root, ["run", "ep"], { timeoutMs: 60_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "ep-01-idle is blocked: the agent session ended 2 time(s) without landing (exit code 3: idle-agent: out of credits)",
    );
    expect(runCli(root, ["ps"]).stdout).toContain("ep-01-idle blocked:");
  });

  it("names a missing agent binary and how to install it", async () => {
    const root = epicRepo([{ slug: "a" }], {
      agent: "scripted",
      agents: { cc: { type: "claude", command: "claude-not-installed-here" } },
    });
    expect(runCli(root, ["plan", "ep"]).code).toBe(0);
    const result = runCli(root, ["spawn", "--issue", "ep-01", "--agent", "cc"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("'claude-not-installed-here' is not installed or not on PATH");
    expect(result.stderr).toContain("npm install -g @anthropic-ai/claude-code");
  });

  it("a planner that writes an invalid plan gets the error through the tool, and jig plan says so", async () => {
    const root = gitRepo({
      "README.md": "# r\n",
      "jig.json": JSON.stringify({ agent: "scripted" }),
      "issues/ep.md": issueFile(
        {},
        `# Epic\n\n\`\`\`jig-plan\n${JSON.stringify({
          subtasks: [
            { title: "Loop A", slug: "a", objective: "x", acceptanceCriteria: ["y"], depends: ["b"] },
            { title: "Loop B", slug: "b", objective: "x", acceptanceCriteria: ["y"], depends: ["a"] },
          ],
        })}\n\`\`\`\n`,
      ),
    });
    const result = runCli(root, ["plan", "ep"], { timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the planner of ep ended without writing a plan");
    // The planner's exit code is recorded truly, so its last word (the tool's refusal) reaches jig plan.
    expect(result.stderr).toContain("exit code 1: [scripted] plan_epic → ERROR");
    expect(result.stderr).toContain("dependency cycle");
    expect(runCli(root, ["logs", "planner-ep"]).stdout).toContain(
      "dependency cycle: ep-01-a → ep-02-b → ep-01-a",
    );
  });

  it("a human takes over a blocked worker: jig land names the conflict, then lands the resolution", async () => {
    const root = epicRepo([
      { slug: "one", steps: writeAndLand("shared.txt", "one\n") },
      {
        slug: "two",
        steps: writeAndLand("shared.txt", "two\n", [
          { waitForTask: { id: "ep-01-one", status: ["complete"] } },
        ]),
      },
    ]);
    planAndSpawn(root, ["ep-01-one", "ep-02-two"]);
    await waitFor(taskIs(root, "ep-02-two", "blocked"), "two to be blocked by the conflict");
    expect(runCli(root, ["ps"]).stdout).toContain(
      "ep-02-two blocked:\n  your branch conflicts with feature/ep in shared.txt",
    );
    const refused = runCli(root, ["land", "ep-02-two"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "error: ep-02-two could not land: your branch conflicts with feature/ep in shared.txt",
    );
    expect(refused.stderr).toContain(
      "hint: resolve shared.txt in the worker's worktree, commit, and land again",
    );
    // The human resolves it in the worker's worktree, as the hint says.
    const worktree = join(root, ".jig", "worktrees", "ep-02-two");
    expect(() => gitIn(worktree, "rebase", "feature/ep")).toThrow();
    writeFileSync(join(worktree, "shared.txt"), "one\ntwo\n");
    gitIn(worktree, "add", "shared.txt");
    gitIn(worktree, "-c", "core.editor=true", "rebase", "--continue");
    const landed = runCli(root, ["land", "ep-02-two"]);
    expect(landed.code, landed.stderr).toBe(0);
    expect(landed.stdout).toMatch(/landed ep-02-two: 1 commit\(s\) on feature\/ep/);
    expect(gitIn(root, "show", "feature/ep:shared.txt")).toBe("one\ntwo");
    expect(JSON.parse(runCli(root, ["issues", "show", "ep-02-two", "--json"]).stdout).status).toBe(
      "complete",
    );
  });

  it("review and merge of an epic: commits per task, refused while incomplete, --force stops the rest and cleans up", async () => {
    const root = epicRepo([
      { slug: "one", steps: writeAndLand("one.txt", "1\n") },
      { slug: "two", steps: [{ hang: true }] },
    ]);
    planAndSpawn(root, ["ep-01-one", "ep-02-two"]);
    await waitFor(taskIs(root, "ep-01-one", "complete"), "task one to land");
    await waitFor(
      () => runCli(root, ["logs", "ep-02-two"]).stdout.includes("hanging on purpose"),
      "two to hang",
    );
    const partial = JSON.parse(runCli(root, ["review", "ep", "--json"]).stdout);
    expect(partial).toMatchObject({
      kind: "epic",
      branch: "feature/ep",
      into: "main",
      incomplete: ["ep-02-two"],
    });
    expect(partial.diff).toMatchObject({ added: 1, files: 1 });
    const review = runCli(root, ["review", "ep"]);
    expect(review.stdout).toContain("Epic ep: feature/ep → main");
    expect(review.stdout).toMatch(/✓ ep-01-one \(complete\)\n\s+[0-9a-f]{10} write one.txt/);
    expect(review.stdout).toContain("not complete: ep-02-two");

    const refused = runCli(root, ["merge", "ep"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("epic ep has tasks that are not complete: ep-02-two");
    expect(refused.stderr).toContain("--force");
    expect(gitIn(root, "log", "--format=%s", "main")).not.toContain("Merge");

    const hanging = JSON.parse(readFileSync(join(root, ".jig", "workers", "ep-02-two.json"), "utf8")).pid;
    const merged = runCli(root, ["merge", "ep", "--force", "--json"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(JSON.parse(merged.stdout)).toMatchObject({ merged: "feature/ep", into: "main" });
    expect(gitIn(root, "log", "-1", "--format=%s", "main")).toBe("Merge epic ep (feature/ep) into main");
    expect(readFileSync(join(root, "one.txt"), "utf8")).toBe("1\n");
    expect(() => process.kill(hanging, 0)).toThrow(); // the hanging session was stopped, not orphaned
    expect(gitIn(root, "branch", "--list", "_jig/*")).toBe("");
    expect(gitIn(root, "worktree", "list").split("\n")).toHaveLength(1);
    expect(JSON.parse(runCli(root, ["ps", "--json"]).stdout).workers).toEqual([]);
  });

  it("jig ps warns early of conflicts between workers and with the target, and stays true as branches move", async () => {
    const go = join(tempDir(), "go");
    const commitShared = (content: string) => [
      { write: { path: "shared.txt", content } },
      { commit: `shared ${content.trim()}` },
      { waitForFile: go },
    ];
    const root = epicRepo([
      { slug: "a", steps: commitShared("a\n") },
      { slug: "b", steps: commitShared("b\n") },
    ]);
    planAndSpawn(root, ["ep-01", "ep-02"]);
    const waiting = (name: string) => () =>
      readFileSync(join(root, ".jig", "logs", `${name}.log`), "utf8").includes("waiting for");
    await waitFor(waiting("ep-01-a"), "a to commit");
    await waitFor(waiting("ep-02-b"), "b to commit");
    const ps = () => stripVTControlCharacters(runCli(root, ["ps"]).stdout);
    try {
      expect(ps()).toContain("ep-01-a would conflict with ep-02-b: shared.txt");
      expect(JSON.parse(runCli(root, ["ps", "--json"]).stdout).conflicts).toEqual([
        { name: "ep-01-a", with: "ep-02-b", files: ["shared.txt"] },
      ]);
      // The dashboard shows the same warning on both workers' rows.
      const snapshot = await dashboardSnapshot(await openContext({ root }));
      expect(snapshot.workers.map((w) => [w.name, w.conflicts])).toEqual([
        ["ep-01-a", [{ kind: "worker", with: "ep-02-b", files: ["shared.txt"] }]],
        ["ep-02-b", [{ kind: "worker", with: "ep-01-a", files: ["shared.txt"] }]],
      ]);
      expect(existsSync(join(root, ".jig", "cache", "git.json"))).toBe(true);
      expect(ps()).toContain("ep-01-a would conflict with ep-02-b: shared.txt"); // from the memo, the same

      // b's branch moves (its work redone on another file): the warning goes.
      const b = join(root, ".jig", "worktrees", "ep-02-b");
      gitIn(b, "reset", "-q", "--hard", "HEAD~1");
      writeFileSync(join(b, "other.txt"), "b\n");
      gitIn(b, "add", "other.txt");
      gitIn(b, "commit", "-q", "-m", "other b");
      expect(ps()).not.toContain("would conflict");

      // The target moves with its own shared.txt: now a conflicts with the target.
      const human = join(tempDir(), "human");
      gitIn(root, "worktree", "add", "-q", human, "feature/ep");
      writeFileSync(join(human, "shared.txt"), "target\n");
      gitIn(human, "add", "shared.txt");
      gitIn(human, "commit", "-q", "-m", "shared on the target");
      const now = ps();
      expect(now).toContain("ep-01-a would conflict with feature/ep: shared.txt");
      expect(now).not.toContain("ep-02-b would conflict");
    } finally {
      for (const name of ["ep-01-a", "ep-02-b"]) runCli(root, ["kill", name]);
    }
  });

  it("ad-hoc workers: spawn with --context, review and merge by hand (base checked out or not)", async () => {
    const root = gitRepo({
      "README.md": "# r\n",
      "jig.json": JSON.stringify({
        agent: "adhoc",
        agents: {
          adhoc: {
            type: "custom",
            command: "echo done > {worker}.txt && git add {worker}.txt && git commit -qm 'ad-hoc work'",
          },
        },
      }),
    });
    const committed = (name: string) => () =>
      runCli(root, ["review", name, "--json"]).stdout.includes("ad-hoc work");
    expect(runCli(root, ["spawn", "fix-typo", "--context", "Fix the typo in README"]).code).toBe(0);
    expect(runCli(root, ["spawn", "second", "--context", "Another small thing"]).code).toBe(0);
    await waitFor(committed("fix-typo"), "the first ad-hoc commit");
    await waitFor(committed("second"), "the second ad-hoc commit");
    // main is checked out here: the merge runs in this checkout.
    const merged = runCli(root, ["merge", "fix-typo"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(readFileSync(join(root, "fix-typo.txt"), "utf8")).toBe("done\n");
    // main is checked out nowhere: the merge is built in the object store and main moves by compare-and-swap.
    gitIn(root, "switch", "-q", "-c", "elsewhere");
    const again = runCli(root, ["merge", "second"]);
    expect(again.code, again.stderr).toBe(0);
    expect(gitIn(root, "show", "main:second.txt")).toBe("done");
    expect(gitIn(root, "log", "-1", "--format=%s%n%P", "main").split("\n")[0]).toBe(
      "Merge worker second (_jig/second) into main",
    );
    expect(gitIn(root, "rev-parse", "--abbrev-ref", "HEAD")).toBe("elsewhere");
    expect(existsSync(join(root, "second.txt"))).toBe(false);
    expect(gitIn(root, "branch", "--list", "_jig/*")).toBe("");
  });
});

describe("jig demo", () => {
  it("runs the whole pipeline on the sample epic", () => {
    const result = runCli("/", ["demo", "--json", "--keep"], { timeoutMs: 170_000 });
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.progress.complete).toBe(4);
    expect(result.stderr).toContain("✓ mathlib-04-cli landed");
    // add and multiply collide on src/index.js by design: one of them resolved the conflict and landed again.
    const logs = ["mathlib-01-add", "mathlib-02-multiply"]
      .map((w) => readFileSync(join(out.dir, ".jig", "logs", `${w}.log`), "utf8"))
      .join("\n");
    expect(logs).toContain("resolving the conflict in src/index.js");
    expect(gitIn(out.dir, "show", "feature/mathlib:src/index.js")).toContain(
      "export { multiply } from './multiply.js';",
    );
    expect(gitIn(out.dir, "show", "feature/mathlib:src/index.js")).toContain(
      "export { add } from './add.js';",
    );
    rmSync(out.dir, { recursive: true, force: true });
  });
});
