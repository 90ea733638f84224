import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { epicRepo, planAndSpawn, script, taskIs, waitFor, writeAndLand } from "../helpers/epic.js";
import { gitIn, gitRepo, sh, tempDir } from "../helpers/repo.js";

// A way out of every state, end to end: the built CLI, the scripted agent as real sessions, real git.

const issuePath = (root: string, id: string) => join(root, "issues", `${id}.md`);

/** What a human does after reading why a task failed: rewrites its task text (here, its script). */
function rewriteScript(root: string, id: string, steps: unknown[]): void {
  const file = issuePath(root, id);
  const text = readFileSync(file, "utf8");
  writeFileSync(file, text.replace(/```jig-script\n[\s\S]*?\n```/, script(steps)));
}

const workerJson = (root: string, name: string) =>
  JSON.parse(readFileSync(join(root, ".jig", "workers", `${name}.json`), "utf8")) as {
    pid: number | null;
    attempt: number;
    exited: unknown;
  };

const sessionEnded = (root: string, name: string) => () => {
  const file = join(root, ".jig", "workers", `${name}.json`);
  return existsSync(file) && workerJson(root, name).exited !== null;
};

const alive = (pid: number | null) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("a way out of every state", () => {
  it("jig run stops on a task that keeps failing and names the commands; jig retry respawns it with its commits", async () => {
    const root = epicRepo(
      [
        {
          slug: "a",
          steps: [{ write: { path: "first.txt", content: "1\n" } }, { commit: "first" }, { crash: true }],
        },
      ],
      { agent: "scripted", maxRetries: 0 },
    );
    const stuck = runCli(root, ["plan", "ep", "--auto"], { timeoutMs: 120_000 });
    expect(stuck.code, stuck.stderr).toBe(1);
    expect(stuck.stderr).toContain("epic ep is stuck");
    for (const command of ["jig retry ep-01-a", "jig unblock ep-01-a", "jig abandon ep-01-a"])
      expect(stuck.stderr).toContain(command);
    expect(taskIs(root, "ep-01-a", "blocked")()).toBe(true);

    rewriteScript(root, "ep-01-a", writeAndLand("second.txt", "2\n"));
    const retried = runCli(root, ["retry", "ep-01-a"]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain("respawned ep-01-a");
    expect(workerJson(root, "ep-01-a").attempt).toBe(1); // the retry count starts again
    await waitFor(taskIs(root, "ep-01-a", "complete"), "the retried task to land");
    // The first session's commit was kept in the worktree and landed with the second.
    expect(gitIn(root, "show", "feature/ep:first.txt")).toBe("1");
    expect(gitIn(root, "show", "feature/ep:second.txt")).toBe("2");
  });

  it("jig unblock releases a blocked task and jig run respawns it instead of blocking it again", async () => {
    const root = epicRepo([{ slug: "a", steps: [{ crash: true }] }], { agent: "scripted", maxRetries: 0 });
    expect(runCli(root, ["plan", "ep", "--auto"], { timeoutMs: 120_000 }).code).toBe(1);
    expect(taskIs(root, "ep-01-a", "blocked")()).toBe(true);
    // The session already used up its retries: without the release, jig run would block it again at once.
    expect(workerJson(root, "ep-01-a").attempt).toBe(1);
    const released = runCli(root, ["unblock", "ep-01-a"]);
    expect(released.code, released.stderr).toBe(0);
    expect(released.stdout).toContain("unblocked ep-01-a (now planned, retries reset)");
    expect(taskIs(root, "ep-01-a", "planned")()).toBe(true);
    rewriteScript(root, "ep-01-a", writeAndLand("a.txt", "a\n"));
    const run = runCli(root, ["run", "ep"], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("epic ep is complete");
    expect(gitIn(root, "show", "feature/ep:a.txt")).toBe("a");
    // Unblocking what is not blocked says so.
    const again = runCli(root, ["unblock", "ep-01-a"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("task 'ep-01-a' is complete, not blocked");
  });

  it("jig abandon stops the session, keeps commits and uncommitted files at a backup ref; jig retry brings it back", async () => {
    const hold = join(tempDir(), "never");
    const root = epicRepo([
      {
        slug: "a",
        steps: [
          { write: { path: "one.txt", content: "1\n" } },
          { commit: "one" },
          { write: { path: "two.txt", content: "2\n" } },
          { commit: "two" },
          { write: { path: "draft.txt", content: "not committed\n" } },
          { waitForFile: hold },
        ],
      },
      { slug: "b", depends: ["a"] },
    ]);
    planAndSpawn(root, ["ep-01-a"]);
    await waitFor(() => existsSync(join(root, ".jig", "worktrees", "ep-01-a", "draft.txt")), "the draft");
    const pid = workerJson(root, "ep-01-a").pid;
    expect(alive(pid)).toBe(true);

    const abandoned = runCli(root, ["abandon", "ep-01-a"]);
    expect(abandoned.code, abandoned.stderr).toBe(0);
    expect(abandoned.stdout).toContain("stopped ep-01-a");
    const ref = /kept at (refs\/jig\/backup\/ep-01-a\/\S+)/.exec(abandoned.stdout)?.[1];
    expect(ref, abandoned.stdout).toBeTruthy();
    expect(abandoned.stdout).toContain("2 unlanded commit(s) and uncommitted draft.txt");
    expect(alive(pid)).toBe(false);
    expect(taskIs(root, "ep-01-a", "cancelled")()).toBe(true);
    // Everything is reachable from the backup ref: both commits and the uncommitted file.
    expect(gitIn(root, "show", `${ref}:draft.txt`)).toBe("not committed");
    expect(gitIn(root, "log", "--format=%s", ref!)).toContain("two\none");

    // A cancelled task comes back with jig retry.
    rewriteScript(root, "ep-01-a", writeAndLand("three.txt", "3\n"));
    expect(runCli(root, ["retry", "ep-01-a"]).code).toBe(0);
    await waitFor(taskIs(root, "ep-01-a", "complete"), "the revived task to land");
    expect(gitIn(root, "show", "feature/ep:one.txt")).toBe("1");
  });

  it("jig abandon <epic> stops every session, cancels its open tasks and the epic", async () => {
    const hold = join(tempDir(), "never");
    const root = epicRepo([
      {
        slug: "a",
        steps: [{ write: { path: "a.txt", content: "a\n" } }, { commit: "a" }, { waitForFile: hold }],
      },
      { slug: "b", steps: [{ waitForFile: hold }] },
    ]);
    planAndSpawn(root, ["ep-01-a", "ep-02-b"]);
    await waitFor(taskIs(root, "ep-01-a", "in-progress"), "a to start");
    await waitFor(taskIs(root, "ep-02-b", "in-progress"), "b to start");
    await waitFor(() => gitIn(root, "log", "--format=%s", "_jig/ep-01-a").startsWith("a"), "a's commit");
    const result = runCli(root, ["abandon", "ep", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.tasks.sort()).toEqual(["ep-01-a", "ep-02-b"]);
    expect(json.stopped.sort()).toEqual(["ep-01-a", "ep-02-b"]);
    expect(json.kept.map((k: { worker: string }) => k.worker)).toEqual(["ep-01-a"]);
    expect(taskIs(root, "ep", "cancelled")()).toBe(true);
    expect(taskIs(root, "ep-02-b", "cancelled")()).toBe(true);
  });

  it("jig clean removes finished workers and keeps (and names) one with unlanded work until --force", async () => {
    const root = epicRepo([
      { slug: "a", steps: writeAndLand("a.txt", "a\n") },
      { slug: "b", steps: [{ write: { path: "b.txt", content: "b\n" } }, { commit: "b" }, { exit: 0 }] },
    ]);
    planAndSpawn(root, ["ep-01-a", "ep-02-b"]);
    await waitFor(taskIs(root, "ep-01-a", "complete"), "a to land");
    await waitFor(sessionEnded(root, "ep-02-b"), "b's session to end");
    expect(runCli(root, ["abandon", "ep-02-b"]).code).toBe(0);
    // Pretend the backup ref is gone: clean must still not drop b's commit silently.
    for (const ref of gitIn(root, "for-each-ref", "--format=%(refname)", "refs/jig/backup/").split("\n"))
      if (ref) gitIn(root, "update-ref", "-d", ref);

    const clean = runCli(root, ["clean"]);
    expect(clean.code, clean.stderr).toBe(0);
    const removed = clean.stdout.split("\n")[0]!;
    expect(removed).toContain("ep-01-a"); // and the planner's record, whose session ended too
    expect(removed).not.toContain("ep-02-b");
    expect(clean.stdout).toContain("kept ep-02-b: 1 commit(s) not on its target");
    expect(existsSync(join(root, ".jig", "worktrees", "ep-01-a"))).toBe(false);
    expect(gitIn(root, "branch", "--list", "_jig/ep-01-a")).toBe("");
    expect(existsSync(join(root, ".jig", "workers", "ep-01-a.json"))).toBe(false);
    expect(gitIn(root, "branch", "--list", "_jig/ep-02-b")).toContain("_jig/ep-02-b");

    const forced = runCli(root, ["clean", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    const ref = /kept at (refs\/jig\/backup\/ep-02-b\/\S+)/.exec(forced.stdout)?.[1];
    expect(ref, forced.stdout).toBeTruthy();
    expect(gitIn(root, "show", `${ref}:b.txt`)).toBe("b");
    expect(gitIn(root, "branch", "--list", "_jig/ep-02-b")).toBe("");
  });

  it("jig plan --replan replaces the subtasks not started and keeps the completed ones", async () => {
    const root = epicRepo([
      { slug: "a", steps: writeAndLand("a.txt", "a\n") },
      { slug: "b", depends: ["a"] },
    ]);
    planAndSpawn(root, ["ep-01-a"]);
    await waitFor(taskIs(root, "ep-01-a", "complete"), "a to land");
    // The human rewrites the epic's plan: b is replaced by c, which builds on a.
    const epicFile = issuePath(root, "ep");
    const plan = {
      subtasks: [
        {
          title: "Task c",
          slug: "c",
          objective: "Do c.",
          acceptanceCriteria: ["done"],
          depends: ["ep-01-a"],
          context: script(writeAndLand("c.txt", "c\n")),
        },
      ],
    };
    writeFileSync(
      epicFile,
      readFileSync(epicFile, "utf8").replace(
        /```jig-plan\n[\s\S]*?\n```/,
        `\`\`\`jig-plan\n${JSON.stringify(plan)}\n\`\`\``,
      ),
    );
    const again = runCli(root, ["plan", "ep"]);
    expect(again.stderr).toContain("already planned");
    const replan = runCli(root, ["plan", "ep", "--replan", "--json"], { timeoutMs: 120_000 });
    expect(replan.code, replan.stderr).toBe(0);
    const json = JSON.parse(replan.stdout);
    expect(json.plan.replaced).toEqual(["ep-02-b"]);
    expect(json.plan.subtasks.map((t: { id: string }) => t.id)).toEqual(["ep-01-a", "ep-03-c"]);
    expect(taskIs(root, "ep-01-a", "complete")()).toBe(true);
    expect(taskIs(root, "ep-02-b", "cancelled")()).toBe(true);
    const run = runCli(root, ["run", "ep"], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(gitIn(root, "show", "feature/ep:c.txt")).toBe("c");
  });
});

describe("merge goes where the epic came from, and never drops work", () => {
  it("records the base at plan time and merges there, not into the branch checked out at merge time", async () => {
    const root = epicRepo([{ slug: "a", steps: writeAndLand("a.txt", "a\n") }]);
    expect(runCli(root, ["plan", "ep", "--auto"], { timeoutMs: 120_000 }).code).toBe(0);
    expect(readFileSync(issuePath(root, "ep"), "utf8")).toMatch(/^base: main$/m);
    gitIn(root, "checkout", "-q", "-b", "wip");
    const merged = runCli(root, ["merge", "ep"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain("merged feature/ep into main: 1 commit(s)");
    expect(gitIn(root, "show", "main:a.txt")).toBe("a");
    expect(sh(root, "git", ["ls-tree", "--name-only", "wip"])).not.toContain("a.txt");
  });

  it("jig merge --force lists unlanded work, keeps it at a backup ref, stops the session and updates the state", async () => {
    const hold = join(tempDir(), "never");
    const root = epicRepo([
      { slug: "a", steps: writeAndLand("a.txt", "a\n") },
      {
        slug: "b",
        steps: [
          { write: { path: "b1.txt", content: "1\n" } },
          { commit: "b one" },
          { write: { path: "b2.txt", content: "2\n" } },
          { commit: "b two" },
          { write: { path: "wip.txt", content: "uncommitted\n" } },
          { waitForFile: hold },
        ],
      },
    ]);
    planAndSpawn(root, ["ep-01-a", "ep-02-b"]);
    await waitFor(taskIs(root, "ep-01-a", "complete"), "a to land");
    await waitFor(() => existsSync(join(root, ".jig", "worktrees", "ep-02-b", "wip.txt")), "b's draft");
    const pid = workerJson(root, "ep-02-b").pid;
    const b2 = gitIn(root, "rev-parse", "_jig/ep-02-b");

    const refused = runCli(root, ["merge", "ep"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("ep-02-b");

    const merged = runCli(root, ["merge", "ep", "--force"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain("abandoned (not complete): ep-02-b");
    expect(merged.stdout).toContain(
      "ep-02-b: 2 unlanded commit(s) and uncommitted wip.txt kept at refs/jig/backup/ep-02-b/",
    );
    expect(merged.stdout).toContain("restore: git branch ep-02-b-restored refs/jig/backup/ep-02-b/");
    const ref = /kept at (refs\/jig\/backup\/ep-02-b\/\S+)/.exec(merged.stdout)![1]!;
    expect(gitIn(root, "merge-base", "--is-ancestor", b2, ref)).toBe(""); // both commits reachable
    expect(gitIn(root, "show", `${ref}:wip.txt`)).toBe("uncommitted");
    expect(alive(pid)).toBe(false);
    expect(taskIs(root, "ep-02-b", "cancelled")()).toBe(true);
    const status = JSON.parse(runCli(root, ["status", "ep", "--json"]).stdout);
    expect(status.subtasks.map((s: { state: string }) => s.state)).not.toContain("running");
    expect(gitIn(root, "show", "main:a.txt")).toBe("a");
  });

  it("refuses a foreign target branch, naming its commits, unless told to reuse it", async () => {
    const root = epicRepo([{ slug: "a", steps: writeAndLand("a.txt", "a\n") }]);
    gitIn(root, "checkout", "-q", "-b", "feature/ep");
    writeFileSync(join(root, "theirs.txt"), "someone else's\n");
    gitIn(root, "add", "theirs.txt");
    gitIn(root, "commit", "-q", "-m", "someone else's work");
    gitIn(root, "checkout", "-q", "main");
    const refused = runCli(root, ["plan", "ep"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("the target branch 'feature/ep' already exists");
    expect(refused.stderr).toContain("someone else's work");
    expect(refused.stderr).toContain("--reuse-target");
    expect(existsSync(issuePath(root, "ep-01-a"))).toBe(false);
    const reused = runCli(root, ["plan", "ep", "--reuse-target", "--auto"], { timeoutMs: 120_000 });
    expect(reused.code, reused.stderr).toBe(0);
    // Once adopted, the target is jig's: planning or running again does not ask again.
    expect(runCli(root, ["plan", "ep"]).code).toBe(0);
  });

  it("the documented ad-hoc example works with the scripted agent; an ad-hoc branch with nothing on it is not 'merged'", async () => {
    const root = gitRepo({ "README.md": "# r\n", "jig.json": JSON.stringify({ agent: "scripted" }) });
    expect(runCli(root, ["init"]).code).toBe(0);
    expect(runCli(root, ["spawn", "fix-typo", "--context", "Fix the typo in README"]).code).toBe(0);
    await waitFor(sessionEnded(root, "fix-typo"), "the ad-hoc session to end");
    expect(workerJson(root, "fix-typo").exited).toMatchObject({ code: 0 });
    const review = runCli(root, ["review", "fix-typo", "--json"]);
    expect(JSON.parse(review.stdout).commits).toHaveLength(1);
    const merged = runCli(root, ["merge", "fix-typo"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain("merged _jig/fix-typo into main: 1 commit(s)");
    expect(gitIn(root, "show", "main:notes/fix-typo.md")).toContain("Fix the typo in README");

    const idle = `Look around.\n\n${script([{ exit: 0 }])}`;
    expect(runCli(root, ["spawn", "idle", "--context", idle]).code).toBe(0);
    await waitFor(sessionEnded(root, "idle"), "the idle session to end");
    const nothing = runCli(root, ["merge", "idle"]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain("nothing to merge: _jig/idle has no commits that are not on main");
  });
});
