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

  it("a retried scripted session runs its script again in the kept worktree: a commit already made is skipped, not a failure", async () => {
    const root = epicRepo(
      [
        {
          slug: "a",
          steps: [{ write: { path: "a.txt", content: "a\n" } }, { commit: "a" }, { crash: true }],
        },
      ],
      { agent: "scripted", maxRetries: 0 },
    );
    expect(runCli(root, ["plan", "ep", "--auto"], { timeoutMs: 120_000 }).code).toBe(1);
    // The same steps again, then land: what a person's `jig retry` of the demo agent does.
    rewriteScript(root, "ep-01-a", writeAndLand("a.txt", "a\n"));
    expect(runCli(root, ["retry", "ep-01-a"]).code).toBe(0);
    await waitFor(taskIs(root, "ep-01-a", "complete"), "the retried task to land", {
      dump: () => runCli(root, ["logs", "ep-01-a"]).stdout,
    });
    expect(runCli(root, ["logs", "ep-01-a"]).stdout).toContain("an earlier attempt committed it");
    expect(gitIn(root, "show", "feature/ep:a.txt")).toBe("a");
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
    const run = runCli(root, ["plan", "ep", "--auto"], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("epic ep is complete");
    expect(gitIn(root, "show", "feature/ep:a.txt")).toBe("a");
    // Unblocking what is not blocked says so.
    const again = runCli(root, ["unblock", "ep-01-a"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("task 'ep-01-a' is complete, not blocked");
  });

  it("jig unblock of a task whose session still runs resets its retry count too", async () => {
    const hold = join(tempDir(), "go-on");
    // maxRetries 1: after two sessions the count is used up, and jig run would block the task for good.
    const root = epicRepo([{ slug: "a", steps: [{ crash: true }] }], { agent: "scripted", maxRetries: 1 });
    planAndSpawn(root, ["ep-01-a"]);
    await waitFor(sessionEnded(root, "ep-01-a"), "the first session to crash");
    rewriteScript(root, "ep-01-a", [
      { status: "blocked", message: "need the API key" },
      { waitForFile: hold },
      { exit: 0 },
    ]);
    expect(runCli(root, ["spawn", "--issue", "ep-01-a"]).code).toBe(0);
    await waitFor(taskIs(root, "ep-01-a", "blocked"), "the second session to block");
    expect(workerJson(root, "ep-01-a").attempt).toBe(2);
    expect(alive(workerJson(root, "ep-01-a").pid)).toBe(true);

    const released = runCli(root, ["unblock", "ep-01-a"]);
    expect(released.code, released.stderr).toBe(0);
    expect(released.stdout).toContain("its session is still running and goes on (retries reset)");
    expect(taskIs(root, "ep-01-a", "in-progress")()).toBe(true);
    expect(workerJson(root, "ep-01-a").attempt).toBe(1); // the live session is the first of the fresh count
    // The session then ends without landing: jig run retries it (fresh count) instead of blocking it.
    rewriteScript(root, "ep-01-a", writeAndLand("a.txt", "a\n"));
    writeFileSync(hold, "");
    await waitFor(sessionEnded(root, "ep-01-a"), "the released session to end");
    const run = runCli(root, ["plan", "ep", "--auto"], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("↻ ep-01-a session ended");
    expect(run.stderr).toContain("retrying (attempt 2)");
    expect(gitIn(root, "show", "feature/ep:a.txt")).toBe("a");
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
    // Its land verdict and landed record go with it (a later worker of that name starts with neither).
    expect(existsSync(join(root, ".jig", "land", "verdicts", "ep-01-a.json"))).toBe(false);
    expect(existsSync(join(root, ".jig", "land", "landed", "ep-01-a.json"))).toBe(false);
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
    const run = runCli(root, ["plan", "ep", "--auto"], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(gitIn(root, "show", "feature/ep:c.txt")).toBe("c");
  });
});

/** The states of docs/lifecycle.md's table, as the first column names them. */
function documentedStates(): string[] {
  const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "lifecycle.md"), "utf8");
  const table = doc.slice(doc.indexOf("| state | what it means |"));
  return table
    .split("\n")
    .slice(2)
    .filter((line, i, lines) => line.startsWith("| ") && lines.slice(0, i).every((l) => l.startsWith("| ")))
    .map((line) => line.split("|")[1]!.trim());
}

describe("the documented state machine, walked on a real repository", () => {
  it("every state in docs/lifecycle.md has a way out, and the documented one works", async () => {
    const holdR = join(tempDir(), "r-go-on");
    const holdS = join(tempDir(), "s-go-on");
    const root = epicRepo(
      [
        { slug: "p", steps: writeAndLand("p.txt", "p\n") },
        { slug: "q", steps: writeAndLand("q.txt", "q\n") },
        { slug: "r", steps: [{ waitForFile: holdR }] },
        {
          slug: "s",
          steps: [
            { status: "blocked", message: "need a decision" },
            { waitForFile: holdS },
            ...writeAndLand("s.txt", "s\n"),
          ],
        },
        { slug: "t", steps: [{ status: "blocked", message: "need the key" }, { exit: 0 }] },
      ],
      {
        agent: "scripted",
        maxRetries: 1,
        // An agent whose session dies before it claims anything.
        agents: { dud: { type: "custom", command: "echo 'dud: no credits' >&2; exit 3" } },
      },
    );
    const walked: string[] = [];
    const assigned = (id: string) =>
      JSON.parse(runCli(root, ["issues", "show", id, "--json"]).stdout).assigned;
    expect(runCli(root, ["plan", "ep"]).code).toBe(0);

    // planned → jig abandon (cancelled); cancelled → jig retry (planned, respawned) → complete.
    expect(taskIs(root, "ep-01-p", "planned")()).toBe(true);
    expect(runCli(root, ["abandon", "ep-01-p"]).code).toBe(0);
    expect(taskIs(root, "ep-01-p", "cancelled")()).toBe(true);
    walked.push("planned");
    const revived = runCli(root, ["retry", "ep-01-p"]);
    expect(revived.code, revived.stderr).toBe(0);
    walked.push("cancelled");

    // planned + assigned, its session dead before it claimed → jig retry.
    expect(runCli(root, ["spawn", "--issue", "ep-02-q", "--agent", "dud"]).code).toBe(0);
    await waitFor(sessionEnded(root, "ep-02-q"), "q's dud session to end");
    expect(taskIs(root, "ep-02-q", "planned")()).toBe(true);
    expect(assigned("ep-02-q")).toBe("ep-02-q");
    const retried = runCli(root, ["retry", "ep-02-q", "--agent", "scripted"]);
    expect(retried.code, retried.stderr).toBe(0);
    walked.push("planned + assigned");

    // in-progress, session alive → jig kill; in-progress, session dead → jig run respawns it (below).
    expect(runCli(root, ["spawn", "--issue", "ep-03-r"]).code).toBe(0);
    await waitFor(taskIs(root, "ep-03-r", "in-progress"), "r to claim");
    expect(alive(workerJson(root, "ep-03-r").pid)).toBe(true);
    expect(runCli(root, ["kill", "ep-03-r"]).code).toBe(0);
    await waitFor(sessionEnded(root, "ep-03-r"), "r's session to end");
    expect(taskIs(root, "ep-03-r", "in-progress")()).toBe(true);
    walked.push("in-progress, session alive");
    rewriteScript(root, "ep-03-r", writeAndLand("r.txt", "r\n"));

    // blocked, session alive → jig unblock (in-progress); the worker goes on and lands.
    expect(runCli(root, ["spawn", "--issue", "ep-04-s"]).code).toBe(0);
    await waitFor(taskIs(root, "ep-04-s", "blocked"), "s to block");
    expect(alive(workerJson(root, "ep-04-s").pid)).toBe(true);
    expect(runCli(root, ["unblock", "ep-04-s"]).code).toBe(0);
    expect(taskIs(root, "ep-04-s", "in-progress")()).toBe(true);
    writeFileSync(holdS, "");
    walked.push("blocked, session alive");

    // blocked, session dead → jig unblock (planned); jig run respawns it with fresh retries (below).
    expect(runCli(root, ["spawn", "--issue", "ep-05-t"]).code).toBe(0);
    await waitFor(taskIs(root, "ep-05-t", "blocked"), "t to block");
    await waitFor(sessionEnded(root, "ep-05-t"), "t's session to end");
    expect(runCli(root, ["unblock", "ep-05-t"]).code).toBe(0);
    expect(taskIs(root, "ep-05-t", "planned")()).toBe(true);
    rewriteScript(root, "ep-05-t", writeAndLand("t.txt", "t\n"));

    // The automatic paths: jig run respawns r (in-progress, session dead) and t, and waits for all.
    const run = runCli(root, ["run", "ep"], { timeoutMs: 180_000 });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain("epic ep is complete");
    walked.push("in-progress, session dead", "blocked, session dead");
    for (const file of ["p", "q", "r", "s", "t"])
      expect(gitIn(root, "show", `feature/ep:${file}.txt`)).toBe(file);

    // complete, and the epic: jig merge merges it and retires its workers; jig issues list says merged.
    const merged = runCli(root, ["merge", "ep"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain("merged feature/ep into main: 5 commit(s)");
    expect(existsSync(join(root, ".jig", "workers", "ep-03-r.json"))).toBe(false);
    walked.push("complete");
    expect(runCli(root, ["issues", "list", "--status", "merged"]).stdout).toContain("ep");
    walked.push("epic planned → merged");

    expect(walked.sort()).toEqual(documentedStates().sort());
  }, 480_000);
});

describe("merge goes where the epic came from, and never drops work", () => {
  it("records the base at plan time and merges there, not into the branch checked out at merge time", async () => {
    const root = epicRepo([{ slug: "a", steps: writeAndLand("a.txt", "a\n") }]);
    expect(runCli(root, ["plan", "ep", "--auto"], { timeoutMs: 120_000 }).code).toBe(0);
    expect(readFileSync(issuePath(root, "ep"), "utf8")).toMatch(/^base: main$/m);
    gitIn(root, "checkout", "-q", "-b", "wip");
    expect(existsSync(join(root, ".jig", "land", "verdicts", "ep-01-a.json"))).toBe(true);
    const merged = runCli(root, ["merge", "ep"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain("merged feature/ep into main: 1 commit(s)");
    // The merge retired the worker: no verdict of it lingers.
    expect(existsSync(join(root, ".jig", "land", "verdicts", "ep-01-a.json"))).toBe(false);
    expect(gitIn(root, "show", "main:a.txt")).toBe("a");
    expect(sh(root, "git", ["ls-tree", "--name-only", "wip"])).not.toContain("a.txt");
    expect(merged.stdout).not.toContain("push it");
  });

  it("with a shared remote, landing pushes the target and merge says the base is still to push", async () => {
    const remote = tempDir("remote-");
    gitIn(remote, "init", "-q", "--bare");
    const root = epicRepo([{ slug: "a", steps: writeAndLand("a.txt", "a\n") }], {
      agent: "scripted",
      maxRetries: 0,
      remote: "origin",
    });
    gitIn(root, "remote", "add", "origin", `file://${remote}`);
    gitIn(root, "push", "-q", "origin", "main");
    const run = runCli(root, ["plan", "ep", "--auto"], { timeoutMs: 120_000 });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(gitIn(remote, "show", "feature/ep:a.txt")).toBe("a");
    const merged = runCli(root, ["merge", "ep"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain("main is merged here only: push it when ready (git push origin main)");
    // It was not pushed: the remote's main is still the first commit.
    expect(() => gitIn(remote, "show", "main:a.txt")).toThrow();
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

describe("every error and stuck message names the task or branch and the exact command out", () => {
  it("jig run's stuck message shows a blocked task's whole reason, terminal escapes made harmless", async () => {
    const reason = [
      "npm test failed:",
      "  FAIL test/a.test.ts > adds",
      "\u001b]0;pwned\u0007  expected 3, got 4",
      "  1 failed, 9 passed",
    ].join("\n");
    const root = epicRepo([{ slug: "a", steps: [{ status: "blocked", message: reason }, { exit: 0 }] }], {
      agent: "scripted",
      maxRetries: 0,
    });
    const stuck = runCli(root, ["plan", "ep", "--auto"], { timeoutMs: 120_000 });
    expect(stuck.code, stuck.stderr).toBe(1);
    expect(stuck.stderr).toContain("epic ep is stuck: ep-01-a is blocked: npm test failed:");
    const hint = stuck.stderr.slice(stuck.stderr.indexOf("hint:"));
    expect(hint).toContain("why it is blocked:");
    for (const line of ["FAIL test/a.test.ts > adds", "expected 3, got 4", "1 failed, 9 passed"])
      expect(hint).toContain(line);
    expect(stuck.stderr).not.toContain("\u001b]0;"); // no terminal title set by a worker's message
    expect(hint).toContain("jig retry ep-01-a");
  });

  it("review, merge and spawn refusals name the task, the branch and the command", async () => {
    const root = epicRepo([
      { slug: "a", steps: writeAndLand("a.txt", "a\n") },
      { slug: "b", steps: [{ exit: 0 }] },
    ]);
    expect(runCli(root, ["plan", "ep"]).code).toBe(0);
    const task = runCli(root, ["review", "ep-01-a"]);
    expect(task.code).toBe(1);
    expect(task.stderr).toContain("'ep-01-a' is a task of epic ep");
    expect(task.stderr).toContain("`jig review ep`, then `jig merge ep`");
    const unknown = runCli(root, ["review", "nope"]);
    expect(unknown.stderr).toContain("'nope' is in neither");
    const open = runCli(root, ["merge", "ep"]);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain("`jig run ep`");
    expect(open.stderr).toContain("`jig merge ep --force`");
    const noContext = runCli(root, ["spawn", "fixer"]);
    expect(noContext.code).toBe(1);
    expect(noContext.stderr).toContain("worker 'fixer' needs --context");
    expect(noContext.stderr).toContain('jig spawn fixer --context "');
    const both = runCli(root, ["spawn", "fixer", "--issue", "ep-01-a", "--context", "x"]);
    expect(both.stderr).toContain("jig spawn --issue ep-01-a");

    // A merge that conflicts with the base names where the base is checked out and the commands.
    expect(runCli(root, ["spawn", "--issue", "ep-01-a"]).code).toBe(0);
    await waitFor(taskIs(root, "ep-01-a", "complete"), "a to land");
    writeFileSync(join(root, "a.txt"), "someone else's a\n");
    gitIn(root, "add", "a.txt");
    gitIn(root, "commit", "-q", "-m", "a on main");
    const conflict = runCli(root, ["merge", "ep", "--force"]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain("merging feature/ep into main failed");
    expect(conflict.stderr).toContain(`main is checked out at ${root}`);
    expect(conflict.stderr).toContain("`git rebase main feature/ep`");
    expect(conflict.stderr).toContain("run `jig merge ep` again");
  });
});
