import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_ENTRY } from "../../src/version.js";
import { runCli } from "../helpers/cli.js";
import { background, epicRepo, taskIs, waitFor } from "../helpers/epic.js";
import { freePort } from "../helpers/net.js";
import { gitIn, tempDir } from "../helpers/repo.js";

// The end of a remote worker's life, with real processes: a coordinator (`jig serve` on 127.0.0.1, a
// repository whose `origin` is a bare file:// remote) and workers run by the `command` launcher as
// `jig worker` with their own HOME, in a session of their own (setsid under sh), so stopping the
// launcher does not reach them — as with a Kubernetes Job or an ssh connection that is lost. They check the
// coordinator every 0.75 s here (JIG_WORKER_COORDINATOR_TIMEOUT=3).

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pid of this coordinator's `jig worker --task <task>` (setsid and env exec into it). */
function workerPid(remote: string, task: string): number | null {
  const ps = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  const fields = ps
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .find(
      (f) =>
        f[1] === process.execPath &&
        f[2] === CLI_ENTRY &&
        f[3] === "worker" &&
        f.includes(task) &&
        f.includes(`file://${remote}`),
    );
  return fields ? Number(fields[0]) : null;
}

/** Pids of a worker's agent and its MCP proxy (by the worker machine's HOME and the task in their arguments or environment). */
function agentPids(home: string, task: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const read = (file: string) => {
      try {
        return readFileSync(`/proc/${entry}/${file}`, "utf8");
      } catch {
        return "";
      }
    };
    const args = read("cmdline");
    if (!args.includes("agent-scripted") && !args.includes("worker-mcp")) continue;
    const environ = read("environ");
    const mine =
      (args.includes(task) && args.includes(home)) ||
      (environ.includes(`JIG_WORKER_NAME=${task}`) && environ.includes(home));
    if (mine) pids.push(Number(entry));
  }
  return pids;
}

interface Coordinator {
  root: string;
  remote: string;
  /** The worker machine's HOME. */
  home: string;
  serve: ReturnType<typeof background>;
  logs: (task: string) => () => string;
  sessionEnded: (task: string) => () => boolean;
  record: (task: string) => { pid: number | null };
}

async function startCoordinator(tasks: Parameters<typeof epicRepo>[0]): Promise<Coordinator> {
  const port = await freePort();
  const remote = join(tempDir("jig-shared-"), "shared.git");
  execFileSync("git", ["init", "-q", "--bare", remote]);
  const workerHome = tempDir("jig-worker-machine-");
  writeFileSync(
    join(workerHome, ".gitconfig"),
    "[user]\n\tname = remote worker\n\temail = w@remote\n[commit]\n\tgpgsign = false\n",
  );
  mkdirSync(join(workerHome, "tmp"));
  // sh runs the worker in a session of its own and waits: a signal to the launcher ends sh, not the
  // worker — as `kubectl logs -f` stopped leaves its Job running.
  const template = [
    "sh",
    "-c",
    'setsid -w "$@"; exit $?',
    "sh",
    "env",
    `HOME=${workerHome}`,
    `GIT_CONFIG_GLOBAL=${join(workerHome, ".gitconfig")}`,
    `TMPDIR=${join(workerHome, "tmp")}`,
    "JIG_WORKER_COORDINATOR_TIMEOUT=3",
    process.execPath,
    CLI_ENTRY,
    "worker",
    "--url",
    "{url}",
    "--remote",
    "{remote}",
    "--task",
    "{task}",
    "--agent",
    "{agent}",
  ];
  const root = epicRepo(tasks, {
    agent: "scripted",
    maxRetries: 0,
    remote: "origin",
    launcher: { kind: "command", template, url: `http://127.0.0.1:${port}/mcp` },
  });
  gitIn(root, "remote", "add", "origin", `file://${remote}`);
  const serve = background(root, ["serve", "--port", String(port)]);
  await waitFor(() => serve.output().includes("MCP at"), "jig serve to listen", { dump: serve.output });
  const recordFile = (task: string) => join(root, ".jig", "workers", `${task}.json`);
  return {
    root,
    remote,
    home: workerHome,
    serve,
    logs: (task) => () => `${task} log:\n${runCli(root, ["logs", task]).stdout}`,
    sessionEnded: (task) => () => /"exited": \{/.test(readFileSync(recordFile(task), "utf8")),
    record: (task) => JSON.parse(readFileSync(recordFile(task), "utf8")) as { pid: number | null },
  };
}

const workerRefs = (remote: string) =>
  gitIn(remote, "for-each-ref", "--format=%(refname)", "refs/jig/workers/");

describe("a remote worker's work and ref when it is abandoned or cleaned", () => {
  let c: Coordinator;
  const gates = tempDir("jig-gates-");
  const never = join(gates, "never"); // never created: the worker waits until stopped
  const go = join(gates, "go");

  beforeAll(async () => {
    c = await startCoordinator([
      // Commits and ends without landing: jig worker pushes the commit when its agent ends.
      {
        slug: "one",
        steps: [
          { write: { path: "one.txt", content: "1\n" } },
          { commit: "one: pushed, never landed" },
          { exit: 0 },
        ],
      },
      // Lands, then commits once more and ends: that commit exists only on the remote.
      {
        slug: "two",
        steps: [
          { write: { path: "two.txt", content: "2\n" } },
          { commit: "two: landed" },
          { land: true },
          { append: { path: "two.txt", content: "more\n" } },
          { commit: "two: after landing" },
        ],
      },
      // Lands and ends.
      {
        slug: "three",
        steps: [{ write: { path: "three.txt", content: "3\n" } }, { commit: "three" }, { land: true }],
      },
      // Keeps working until stopped.
      {
        slug: "four",
        steps: [{ write: { path: "four.txt", content: "4\n" } }, { commit: "four" }, { waitForFile: never }],
      },
      // Works until killed.
      {
        slug: "killed",
        steps: [{ write: { path: "six.txt", content: "6\n" } }, { commit: "six" }, { waitForFile: never }],
      },
      // Lands when told: cleaned while the remote is unreachable.
      {
        slug: "five",
        steps: [
          { write: { path: "five.txt", content: "5\n" } },
          { commit: "five" },
          { waitForFile: go },
          { land: true },
        ],
      },
    ]);
  });

  afterAll(async () => {
    c?.serve.child.kill("SIGTERM");
    await c?.serve.exited;
  });

  it("abandon keeps what the worker pushed but never landed, and stops a worker that outlives its launcher; clean deletes the ref on the remote, fetching it first", {
    timeout: 300_000,
  }, async () => {
    const { root, remote } = c;
    expect(runCli(root, ["plan", "ep"]).code).toBe(0);
    for (const task of [
      "ep-01-one",
      "ep-02-two",
      "ep-03-three",
      "ep-04-four",
      "ep-05-killed",
      "ep-06-five",
    ]) {
      const spawned = runCli(root, ["spawn", "--issue", task]);
      expect(spawned.code, spawned.stderr).toBe(0);
    }
    for (const task of ["ep-01-one", "ep-02-two", "ep-03-three"])
      await waitFor(c.sessionEnded(task), `${task}'s session to end`, {
        dump: c.logs(task),
        timeoutMs: 120_000,
      });
    await waitFor(taskIs(root, "ep-02-two", "complete"), "ep-02 to land", { dump: c.logs("ep-02-two") });
    await waitFor(taskIs(root, "ep-03-three", "complete"), "ep-03 to land", { dump: c.logs("ep-03-three") });
    await waitFor(
      () => runCli(root, ["logs", "ep-04-four"]).stdout.includes("waiting for"),
      "ep-04 to wait",
      {
        dump: c.logs("ep-04-four"),
        timeoutMs: 120_000,
      },
    );

    // ep-01's commit is on the remote only: the coordinator never fetched it (no land asked it to).
    const pushed = gitIn(remote, "rev-parse", "refs/jig/workers/ep-01-one");
    expect(gitIn(remote, "log", "-1", "--format=%s", pushed)).toBe("one: pushed, never landed");
    expect(gitIn(root, "rev-parse", "_jig/ep-01-one")).not.toBe(pushed);
    const abandoned = runCli(root, ["abandon", "ep-01-one"]);
    expect(abandoned.code, abandoned.stderr).toBe(0);
    expect(abandoned.stdout).toMatch(
      /ep-01-one: 1 unlanded commit\(s\) kept at refs\/jig\/backup\/ep-01-one\//,
    );
    const backup = /kept at (refs\/jig\/backup\/ep-01-one\/\S+)/.exec(abandoned.stdout)![1]!;
    expect(gitIn(root, "log", "-1", "--format=%s", backup)).toBe("one: pushed, never landed");

    // ep-04's supervisor dies (kill -9) while its jig worker, in a session of its own, works on — as a
    // Job or a host outlives a lost launcher. Abandoning the task revokes the worker's token: its next
    // check of the coordinator is refused, and it stops its agent, pushing its commit first.
    const pid = workerPid(remote, "ep-04-four");
    expect(pid).not.toBeNull();
    const supervisor = c.record("ep-04-four").pid!;
    process.kill(supervisor, "SIGKILL");
    await waitFor(() => !isAlive(supervisor), "ep-04's supervisor to die");
    expect(isAlive(pid!)).toBe(true);
    const stopped = runCli(root, ["abandon", "ep-04-four"]);
    expect(stopped.code, stopped.stderr).toBe(0);
    await waitFor(() => !isAlive(pid!), "ep-04's jig worker to stop", { dump: c.logs("ep-04-four") });
    await waitFor(() => agentPids(c.home, "ep-04-four").length === 0, "ep-04's agent and MCP proxy to end", {
      dump: () => agentPids(c.home, "ep-04-four").join(" "),
    });
    expect(runCli(root, ["logs", "ep-04-four"]).stdout).toContain(
      "the coordinator no longer accepts this session's token",
    );
    expect(gitIn(remote, "log", "-1", "--format=%s", "refs/jig/workers/ep-04-four")).toBe("four");

    // jig kill stops ep-05's launcher, which does not reach the worker; its token is revoked, so the
    // worker stops at its next check all the same.
    await waitFor(
      () => runCli(root, ["logs", "ep-05-killed"]).stdout.includes("waiting for"),
      "ep-05 to wait",
      { dump: c.logs("ep-05-killed"), timeoutMs: 120_000 },
    );
    const killedPid = workerPid(remote, "ep-05-killed");
    expect(killedPid).not.toBeNull();
    const killed = runCli(root, ["kill", "ep-05-killed"]);
    expect(killed.code, killed.stderr).toBe(0);
    await waitFor(() => !isAlive(killedPid!), "ep-05's jig worker to stop", { dump: c.logs("ep-05-killed") });
    expect(runCli(root, ["logs", "ep-05-killed"]).stdout).toContain(
      "the coordinator no longer accepts this session's token",
    );
    expect(gitIn(remote, "log", "-1", "--format=%s", "refs/jig/workers/ep-05-killed")).toBe("six");
    expect(runCli(root, ["abandon", "ep-05-killed"]).code).toBe(0);

    // ep-02 is complete, but its last commit (after landing) is only on the remote: clean fetches it
    // first, so it is listed as unlanded and left in place, its ref on the remote kept.
    const cleaned = runCli(root, ["clean"]);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(cleaned.stdout).toMatch(/kept ep-02-two: 1 commit\(s\) not on its target/);
    expect(workerRefs(remote)).toContain("refs/jig/workers/ep-02-two");
    // ep-03 had nothing more: removed, and its ref on the remote deleted.
    expect(cleaned.stdout).toMatch(/removed \d+ finished worker\(s\): .*ep-03-three/);
    expect(workerRefs(remote)).not.toContain("refs/jig/workers/ep-03-three");

    // --force keeps the rest at backup refs and deletes every ref on the remote.
    const forced = runCli(root, ["clean", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    const kept = /ep-02-two: 1 unlanded commit\(s\) kept at (refs\/jig\/backup\/ep-02-two\/\S+)/.exec(
      forced.stdout,
    );
    expect(kept, forced.stdout).not.toBeNull();
    expect(gitIn(root, "log", "-1", "--format=%s", kept![1]!)).toBe("two: after landing");
    expect(workerRefs(remote)).not.toMatch(/ep-0[1-5]/);

    // An unreachable remote is reported, never fatal. ep-06 lands and ends; then the remote goes away.
    writeFileSync(go, "go\n");
    await waitFor(c.sessionEnded("ep-06-five"), "ep-06's session to end", { dump: c.logs("ep-06-five") });
    await waitFor(taskIs(root, "ep-06-five", "complete"), "ep-06 to land", { dump: c.logs("ep-06-five") });
    gitIn(root, "remote", "set-url", "origin", "file:///nonexistent/shared.git");
    // Without seeing its last push, clean cannot know nothing is lost: it leaves the worker and says so.
    const unreachable = runCli(root, ["clean"]);
    expect(unreachable.code, unreachable.stderr).toBe(0);
    expect(unreachable.stdout).toMatch(
      /left ep-06-five: could not fetch its last push \(the remote 'origin' cannot be read: .*\) — jig clean --force removes it/,
    );
    expect(runCli(root, ["ps", "--all"]).stdout).toContain("ep-06-five");
    // --force removes it here and says its ref on the remote stays, with the command that deletes it.
    const forcedAway = runCli(root, ["clean", "--force"]);
    expect(forcedAway.code, forcedAway.stderr).toBe(0);
    expect(forcedAway.stdout).toMatch(/removed 1 finished worker\(s\): ep-06-five/);
    expect(forcedAway.stdout).toMatch(
      /ep-06-five: could not fetch its last push \(.*\); kept what the coordinator last fetched; its ref on the remote stays \(delete it with git push origin :refs\/jig\/workers\/ep-06-five\)/,
    );
    expect(workerRefs(remote)).toBe("refs/jig/workers/ep-06-five");
  });
});

describe("a remote worker's land with commits off its branch, and a worker whose coordinator died", () => {
  let c: Coordinator;
  const never = join(tempDir("jig-gates-"), "never");

  beforeAll(async () => {
    c = await startCoordinator([
      // Leaves its branch for a detached HEAD and commits there: land refuses, naming the fix; the
      // agent applies it and lands both commits.
      {
        slug: "detached",
        steps: [
          { write: { path: "a.txt", content: "a\n" } },
          { commit: "detached: on the branch" },
          { git: ["checkout", "-q", "--detach"] },
          { write: { path: "b.txt", content: "b\n" } },
          { commit: "detached: on a detached HEAD" },
          { call: "land" },
          { git: ["checkout", "-q", "-B", "_jig/ep-01-detached"] },
          { land: true },
        ],
      },
      // Works until stopped; its coordinator is killed under it.
      {
        slug: "orphan",
        steps: [
          { write: { path: "orphan.txt", content: "o\n" } },
          { commit: "orphan: work" },
          { waitForFile: never },
        ],
      },
    ]);
  });

  afterAll(async () => {
    c?.serve.child.kill("SIGKILL");
    await c?.serve.exited;
  });

  it("land refuses a detached HEAD whose commits are not on the branch, naming the fix; a worker stops when its coordinator is killed", {
    timeout: 300_000,
  }, async () => {
    const { root, remote } = c;
    expect(runCli(root, ["plan", "ep"]).code).toBe(0);
    for (const task of ["ep-01-detached", "ep-02-orphan"]) {
      const spawned = runCli(root, ["spawn", "--issue", task]);
      expect(spawned.code, spawned.stderr).toBe(0);
    }
    await waitFor(taskIs(root, "ep-01-detached", "complete"), "ep-01 to land", {
      dump: c.logs("ep-01-detached"),
      timeoutMs: 120_000,
    });
    const log = runCli(root, ["logs", "ep-01-detached"]).stdout;
    expect(log).toMatch(
      /land → ERROR \[PRECONDITION_FAILED\] HEAD is detached at [0-9a-f]{10}, with 1 commit\(s\) that are not on your branch _jig\/ep-01-detached — land pushes only _jig\/ep-01-detached, so they would be left out\. Put them on it: git checkout -B _jig\/ep-01-detached/,
    );
    // Both commits landed: none was left out.
    const landed = gitIn(remote, "log", "--format=%s", "refs/heads/feature/ep");
    expect(landed).toContain("detached: on a detached HEAD");
    expect(landed).toContain("detached: on the branch");

    // kill -9 the coordinator's side: jig serve and the session's supervisor. The worker, in a session
    // of its own (a machine elsewhere), finds the coordinator unreachable, stops its agent after the
    // bound (3 s here), pushes its commit and exits.
    await waitFor(
      () => runCli(root, ["logs", "ep-02-orphan"]).stdout.includes("waiting for"),
      "ep-02 to wait",
      { dump: c.logs("ep-02-orphan"), timeoutMs: 120_000 },
    );
    const pid = workerPid(remote, "ep-02-orphan");
    expect(pid).not.toBeNull();
    const supervisor = c.record("ep-02-orphan").pid!;
    c.serve.child.kill("SIGKILL");
    process.kill(supervisor, "SIGKILL");
    await c.serve.exited;
    await waitFor(() => !isAlive(pid!), "the orphaned jig worker to stop", {
      dump: c.logs("ep-02-orphan"),
      timeoutMs: 60_000,
    });
    await waitFor(() => agentPids(c.home, "ep-02-orphan").length === 0, "its agent and MCP proxy to end", {
      dump: () => agentPids(c.home, "ep-02-orphan").join(" "),
    });
    expect(runCli(root, ["logs", "ep-02-orphan"]).stdout).toMatch(
      /the coordinator at http:\/\/127\.0\.0\.1:\d+\/mcp has been unreachable for \d+ s \(.*\): stopping the agent; its commits are pushed to refs\/jig\/workers\/ep-02-orphan/,
    );
    expect(gitIn(remote, "log", "-1", "--format=%s", "refs/jig/workers/ep-02-orphan")).toBe("orphan: work");
  });
});
