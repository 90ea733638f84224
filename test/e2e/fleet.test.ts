import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { dashboardSnapshot } from "../../src/server/dashboard/snapshot.js";
import { runCli } from "../helpers/cli.js";
import { epicRepo, planAndSpawn, waitFor, writeAndLand } from "../helpers/epic.js";

// Operating a fleet end to end: the built CLI, scripted agents as real processes, the epic's record.

describe("jig stats", () => {
  it("answers how long work waited to land and what each landed change cost, from the record", async () => {
    const root = epicRepo([
      { slug: "one", steps: writeAndLand("one.txt", "1\n") },
      { slug: "two", steps: writeAndLand("two.txt", "2\n", [{ crashOnce: true }]) },
      { slug: "three", steps: writeAndLand("three.txt", "3\n"), depends: ["one", "two"] },
    ]);
    const run = runCli(root, ["plan", "issues/ep.md", "--auto"], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    const result = runCli(root, ["stats", "ep", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const stats = JSON.parse(result.stdout);
    expect(stats.totals).toMatchObject({ tasks: 3, landed: 3, sessions: 4, retries: 1, landAttempts: 3 });
    expect(stats.wallMs).toBeGreaterThan(0);
    const two = stats.tasks.find((t: { task: string }) => t.task === "ep-02-two");
    expect(two).toMatchObject({ state: "landed", sessions: 2, retries: 1, landAttempts: 1 });
    for (const t of stats.tasks) {
      expect(t.toClaimMs).toBeGreaterThanOrEqual(0);
      expect(t.landWaitMs).toBeGreaterThanOrEqual(0);
      expect(t.workingMs).toBeGreaterThanOrEqual(0);
    }
    expect(stats.criticalPath.at(-1).task).toBe("ep-03-three");
    expect(stats.criticalPath).toHaveLength(2);
    const text = stripVTControlCharacters(runCli(root, ["stats", "ep"]).stdout);
    expect(text).toContain("Epic: ep · 3/3 landed · wall ");
    expect(text).toContain("Cost per landed change:");
    expect(text).toMatch(/Critical path: 0[12]-(one|two) → 03-three/);
    expect(runCli(root, ["stats", "nope"]).code).toBe(1);
  });
});

describe("alarms", () => {
  it("a silent worker, then its session killed: jig ps, --json and the dashboard raise them", async () => {
    const root = epicRepo([{ slug: "quiet", steps: [{ status: "working" }, { hang: true }] }], {
      agent: "scripted",
      maxRetries: 0,
      alarms: { silentMinutes: 0.02, landWaitMinutes: 30 },
    });
    planAndSpawn(root, ["ep-01-quiet"]);
    const log = join(root, ".jig", "logs", "ep-01-quiet.log");
    await waitFor(() => readFileSync(log, "utf8").includes("hanging on purpose"), "the worker to hang", {
      dump: () => readFileSync(log, "utf8"),
    });
    let ps = { stdout: "" };
    await waitFor(
      () => {
        ps = runCli(root, ["ps"]);
        return ps.stdout.includes("⚠ silent");
      },
      "a silent alarm",
      { dump: () => ps.stdout },
    );
    expect(stripVTControlCharacters(ps.stdout)).toMatch(
      /^⚠ silent ep-01-quiet: silent for \d+ min \(no status change, commit or tool call\)/,
    );
    const json = JSON.parse(runCli(root, ["ps", "--json"]).stdout);
    expect(json.alarms).toMatchObject([{ kind: "silent", worker: "ep-01-quiet" }]);
    expect((await dashboardSnapshot(await openContext({ root }))).alarms).toMatchObject([
      { kind: "silent", worker: "ep-01-quiet" },
    ]);

    // The session dies (kill -9 of its supervisor's group): the alarm says so.
    const record = JSON.parse(readFileSync(join(root, ".jig", "workers", "ep-01-quiet.json"), "utf8"));
    process.kill(-record.pid, "SIGKILL");
    await waitFor(() => runCli(root, ["ps"]).stdout.includes("⚠ session-died"), "a session-died alarm", {
      dump: () => runCli(root, ["ps"]).stdout,
    });
    expect(JSON.parse(runCli(root, ["ps", "--json"]).stdout).alarms).toMatchObject([
      { kind: "session-died", worker: "ep-01-quiet" },
    ]);
  });
});
