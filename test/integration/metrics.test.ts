import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { recordEvent } from "../../src/core/events.js";
import { adminToken, issueToken } from "../../src/core/identity.js";
import { requestLand } from "../../src/core/landing/index.js";
import { createHttpApp } from "../../src/server/http.js";
import { parseExposition, type Sample } from "../helpers/prometheus.js";
import { gitIn, gitRepo } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";

// GET /metrics on jig serve's hono app: admin-only, and Prometheus text format that parses strictly.

describe("GET /metrics", () => {
  it("serves tasks, lands, waits, gates, sessions and spend to the admin, in valid Prometheus text", async () => {
    const root = gitRepo({ "README.md": "# r\n", ...epicFiles("e", 3) });
    gitIn(root, "branch", "feature/e");
    const ctx = await openContext({ root });
    const w = await makeWorker(ctx, "e-01-t1");
    commitIn(w.worktree, { "a.txt": "a\n" });
    expect(await requestLand(ctx, "e-01-t1")).toMatchObject({ state: "landed" });
    // What a gate failure and two ended sessions leave in the record.
    const who = { worker: "e-02-t2", task: "e-02-t2" };
    await recordEvent(ctx, {
      type: "gate",
      epic: "e",
      workers: ["e-02-t2"],
      ok: false,
      ms: 2500,
      timedOut: false,
    });
    await recordEvent(ctx, { type: "land-queued", epic: "e", ...who, request: "r2" });
    await recordEvent(ctx, {
      type: "land-blocked",
      epic: "e",
      ...who,
      request: "r2",
      kind: "gate",
      reason: "the gate failed",
      files: [],
    });
    const usage = { costUsd: 0.75, inputTokens: 1000, outputTokens: 200, turns: 4 };
    await recordEvent(ctx, { type: "session-ended", epic: "e", ...who, code: 1, signal: null, usage });
    await recordEvent(ctx, { type: "session-ended", epic: "e", ...who, code: 0, signal: null, usage });

    const http = createHttpApp({ ctx, dashboard: false });
    const get = (headers: Record<string, string>) =>
      http.app.request("http://127.0.0.1:7411/metrics", { headers: { host: "127.0.0.1:7411", ...headers } });
    expect((await get({})).status).toBe(401);
    expect((await get({ authorization: `Bearer ${await issueToken(ctx.paths, "e-01-t1")}` })).status).toBe(
      403,
    );
    const response = await get({ authorization: `Bearer ${await adminToken(ctx.paths)}` });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const { types, samples } = parseExposition(await response.text());
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value;

    expect(types.get("jig_tasks")).toBe("gauge");
    expect(value("jig_tasks", { epic: "e", status: "complete" })).toBe(1);
    expect(value("jig_tasks", { epic: "e", status: "in-progress" }) ?? 0).toBe(0);
    expect(value("jig_tasks", { epic: "e", status: "planned" })).toBe(2);
    expect(types.get("jig_lands_total")).toBe("counter");
    expect(value("jig_lands_total", { epic: "e", outcome: "landed" })).toBe(1);
    expect(value("jig_lands_total", { epic: "e", outcome: "blocked-gate" })).toBe(1);
    expect(types.get("jig_land_wait_seconds")).toBe("histogram");
    expect(value("jig_land_wait_seconds_count", { epic: "e", outcome: "landed" })).toBe(1);
    expect(value("jig_gate_duration_seconds_sum", { epic: "e", result: "fail" })).toBe(2.5);
    expect(value("jig_gate_duration_seconds_bucket", { epic: "e", result: "fail", le: "1" })).toBe(0);
    expect(value("jig_gate_duration_seconds_bucket", { epic: "e", result: "fail", le: "5" })).toBe(1);
    // The test worker was registered a moment ago with no pid yet: within the start grace it counts as
    // running (core/workers sessionRunning — one definition of a live session for every view).
    expect(value("jig_sessions", { kind: "task", state: "running" })).toBe(1);
    expect(value("jig_sessions_ended_total", { epic: "e", how: "failed" })).toBe(1);
    expect(value("jig_spend_usd_total", { epic: "e" })).toBe(1.5);
    expect(value("jig_tokens_total", { epic: "e", direction: "input" })).toBe(2000);
    // Every histogram's buckets grow with le and end at +Inf = _count.
    for (const [family, type] of types) {
      if (type !== "histogram") continue;
      const series = new Map<string, Sample[]>();
      for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
        const { le: _le, ...rest } = s.labels;
        const key = JSON.stringify(rest);
        series.set(key, [...(series.get(key) ?? []), s]);
      }
      for (const [key, buckets] of series) {
        const values = buckets.map((b) => b.value);
        expect(values, key).toEqual([...values].sort((a, b) => a - b));
        expect(buckets.at(-1)!.labels.le).toBe("+Inf");
        const count = samples.find((x) => x.name === `${family}_count` && JSON.stringify(x.labels) === key);
        expect(count?.value, key).toBe(values.at(-1));
      }
    }
    await http.close();
  });
});
