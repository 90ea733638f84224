import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { dashboardSnapshot } from "../../src/server/dashboard/snapshot.js";
import { runCli } from "../helpers/cli.js";
import { background, epicRepo, planAndSpawn, taskIs, waitFor, writeAndLand } from "../helpers/epic.js";
import { parseExposition, sampleValue } from "../helpers/prometheus.js";
import { tempDir } from "../helpers/repo.js";

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

describe("one epic with everything an operator must notice", () => {
  it("a silent worker and a stale land raise alarms, a broken sibling is told, stats and /metrics add up", async () => {
    const dir = tempDir();
    const hold = join(dir, "hold-the-gate");
    const goBeta = join(dir, "go-beta");
    const goGamma = join(dir, "go-gamma");
    writeFileSync(hold, "");
    const root = epicRepo(
      [
        // alpha lands first (its land held at the gate long enough to go stale) and breaks beta's branch.
        {
          slug: "alpha",
          steps: [
            { usage: { costUsd: 0.3, inputTokens: 2000, outputTokens: 500 } },
            ...writeAndLand("shared.txt", "A\n"),
          ],
        },
        // beta committed the same file; it waits, then its next tool call must carry the warning.
        {
          slug: "beta",
          steps: [
            { write: { path: "shared.txt", content: "B\n" } },
            { commit: "beta's shared.txt" },
            { status: "working", message: "committed; thinking" },
            { waitForFile: goBeta },
            { call: "list_tasks" },
            { usage: { costUsd: 0.2, inputTokens: 1000, outputTokens: 200 } },
            { land: true },
          ],
          // Its land is refused on the conflict; it resolves it the way an agent would: both lines.
          resolve: { "shared.txt": "A\nB\n" },
        },
        // gamma goes silent, then its first session dies after spending; `jig retry` finishes it.
        {
          slug: "gamma",
          steps: [
            { status: "working" },
            { waitForFile: goGamma },
            { usage: { costUsd: 0.05, inputTokens: 100, outputTokens: 10 } },
            { crashOnce: true },
            { usage: { costUsd: 0.1, inputTokens: 200, outputTokens: 20 } },
            ...writeAndLand("gamma.txt", "G\n"),
          ],
        },
      ],
      {
        agent: "scripted",
        maxRetries: 0,
        gate: { command: `while [ -e '${hold}' ]; do sleep 0.1; done` },
        alarms: { silentMinutes: 0.02, landWaitMinutes: 0.02 },
      },
    );
    planAndSpawn(root, ["ep-01-alpha", "ep-02-beta", "ep-03-gamma"]);
    const log = (worker: string) => readFileSync(join(root, ".jig", "logs", `${worker}.log`), "utf8");
    const alarms = () =>
      (JSON.parse(runCli(root, ["ps", "--json"]).stdout).alarms as { kind: string; worker: string }[]).map(
        (a) => `${a.kind} ${a.worker}`,
      );

    // Alarms: alpha's land waits at the held gate; gamma is silent.
    let seen: string[] = [];
    await waitFor(
      () => {
        seen = alarms();
        return seen.includes("land-queued ep-01-alpha") && seen.includes("silent ep-03-gamma");
      },
      "a stale land and a silent worker",
      { dump: () => `${seen.join("\n")}\n${log("ep-01-alpha")}` },
    );
    expect(seen).not.toContain("silent ep-01-alpha"); // waiting in the queue is not silence
    const ps = stripVTControlCharacters(runCli(root, ["ps"]).stdout);
    expect(ps).toMatch(/^⚠ land-queued ep-01-alpha: its land has waited in the queue for \d+ min$/m);
    expect(ps).toMatch(/^⚠ silent ep-03-gamma: silent for \d+ min/m);

    // The gate lets go: alpha lands, and beta's branch now conflicts with the target in shared.txt.
    const warnings = join(root, ".jig", "warnings", "ep-02-beta");
    rmSync(hold);
    await waitFor(taskIs(root, "ep-01-alpha", "complete"), "alpha to land", {
      dump: () => log("ep-01-alpha"),
    });
    await waitFor(() => existsSync(warnings) && readdirSync(warnings).length > 0, "beta's warning", {
      dump: () => log("ep-01-alpha"),
    });
    writeFileSync(goBeta, "");
    await waitFor(() => log("ep-02-beta").includes("warning: "), "beta to read its warning", {
      dump: () => log("ep-02-beta"),
    });
    expect(log("ep-02-beta")).toContain("list_tasks → ");
    expect(log("ep-02-beta")).toContain(
      "warning: ep-01-alpha just landed on feature/ep, and your branch _jig/ep-02-beta now conflicts with it in shared.txt.",
    );
    // Delivered once: the file is gone, and the record says through which tool.
    expect(readdirSync(warnings)).toEqual([]);
    await waitFor(taskIs(root, "ep-02-beta", "complete"), "beta to land after resolving", {
      dump: () => log("ep-02-beta"),
    });

    // gamma goes on, dies once after spending, and is retried by hand.
    writeFileSync(goGamma, "");
    await waitFor(() => alarms().includes("session-died ep-03-gamma"), "gamma's session to die", {
      dump: () => log("ep-03-gamma"),
    });
    expect(runCli(root, ["retry", "ep-03-gamma"]).code).toBe(0);
    await waitFor(taskIs(root, "ep-03-gamma", "complete"), "gamma to land", {
      dump: () => log("ep-03-gamma"),
    });
    await waitFor(
      () =>
        !JSON.parse(runCli(root, ["ps", "--json"]).stdout).workers.some((w: { alive: boolean }) => w.alive),
      "every session to end",
    );

    // jig stats from the record: the figures an operator asks for, checked against the record itself.
    const record = readFileSync(join(root, ".jig", "events", "ep", "current.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const delivered = record.filter((e) => e.type === "warning-delivered");
    expect(delivered).toMatchObject([{ worker: "ep-02-beta", tool: "list_tasks" }]);
    const stats = JSON.parse(runCli(root, ["stats", "ep", "--json"]).stdout);
    expect(stats.totals).toMatchObject({ tasks: 3, landed: 3, sessions: 4, retries: 1, blockedLands: 1 });
    expect(stats.totals.costUsd).toBeCloseTo(0.3 + 0.2 + 0.05 + (0.05 + 0.1), 10);
    expect(stats.totals.costPerLandedUsd).toBeCloseTo(0.7 / 3, 10);
    const byTask = (id: string) => stats.tasks.find((t: { task: string }) => t.task === id);
    expect(byTask("ep-03-gamma")).toMatchObject({ sessions: 2, retries: 1 });
    expect(byTask("ep-03-gamma").costUsd).toBeCloseTo(0.2, 10);
    // Time to land = the landing request's queued → landed, as recorded.
    const waits: number[] = [];
    for (const task of ["ep-01-alpha", "ep-02-beta", "ep-03-gamma"]) {
      const landed = record.find((e) => e.type === "landed" && e.task === task);
      const queued = record.find((e) => e.type === "land-queued" && e.request === landed.request);
      const wait = Date.parse(landed.at) - Date.parse(queued.at);
      expect(byTask(task).landWaitMs, task).toBe(wait);
      waits.push(wait);
    }
    expect(byTask("ep-01-alpha").landWaitMs).toBeGreaterThanOrEqual(0.02 * 60_000); // it raised the alarm
    expect(stats.totals.meanLandWaitMs).toBeCloseTo(waits.reduce((a, b) => a + b, 0) / 3, 6);
    expect(stats.totals.maxLandWaitMs).toBe(Math.max(...waits));
    // beta met the conflict twice (the pushed warning, then its refused land) and landed after both.
    expect(stats.conflicts).toMatchObject([
      {
        task: "ep-02-beta",
        source: "warning",
        cause: "ep-01-alpha",
        files: ["shared.txt"],
        outcome: "landed",
      },
      { task: "ep-02-beta", source: "land", files: ["shared.txt"], outcome: "landed" },
    ]);
    const text = stripVTControlCharacters(runCli(root, ["stats", "ep"]).stdout);
    expect(text).toContain("Cost per landed change: $0.23");

    // Prometheus scrapes jig serve: the same story in its series.
    const serve = background(root, ["serve", "--port", "0"]);
    try {
      await waitFor(
        () => /MCP at (\S+)\/mcp/.test(serve.output()) && /token (\S+)/.test(serve.output()),
        "jig serve",
        {
          dump: serve.output,
        },
      );
      const base = /MCP at (\S+)\/mcp/.exec(serve.output())![1]!;
      const token = /jig serve: token (\S+)/.exec(serve.output())![1]!;
      const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      const { types, samples } = parseExposition(await response.text());
      const value = (name: string, labels: Record<string, string>) => sampleValue(samples, name, labels);
      expect(types.get("jig_lands_total")).toBe("counter");
      expect(value("jig_tasks", { epic: "ep", status: "complete" })).toBe(3);
      expect(value("jig_lands_total", { epic: "ep", outcome: "landed" })).toBe(3);
      expect(value("jig_lands_total", { epic: "ep", outcome: "blocked-conflict" })).toBe(1);
      expect(value("jig_land_wait_seconds_count", { epic: "ep", outcome: "landed" })).toBe(3);
      expect(value("jig_land_wait_seconds_sum", { epic: "ep", outcome: "landed" })).toBeCloseTo(
        waits.reduce((a, b) => a + b, 0) / 1000,
        6,
      );
      expect(value("jig_sessions_ended_total", { epic: "ep", how: "killed" })).toBe(1);
      expect(value("jig_spend_usd_total", { epic: "ep" })).toBeCloseTo(0.7, 10);
      expect(value("jig_tokens_total", { epic: "ep", direction: "input" })).toBe(2000 + 1000 + 100 + 300);
      expect(value("jig_gate_duration_seconds_count", { epic: "ep", result: "pass" })).toBeGreaterThanOrEqual(
        3,
      );
    } finally {
      serve.child.kill("SIGTERM");
    }
  }, 600_000);
});
