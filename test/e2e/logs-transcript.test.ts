// `jig logs` shows Claude Code's stream-json (a real recording: test/fixtures/claude-stream.jsonl, from
// the claude e2e against the scripted Messages endpoint) as a transcript; --raw keeps the JSON.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { runCli } from "../helpers/cli.js";
import { gitIn, gitRepo, issueFile } from "../helpers/repo.js";
import { epicFiles, makeWorker } from "../helpers/workers.js";

const RECORDING = join(import.meta.dirname, "..", "fixtures", "claude-stream.jsonl");

describe("jig logs", () => {
  it("renders Claude stream-json as a transcript: session, tool calls with results, answer, cost", async () => {
    const root = gitRepo({ "README.md": "x\n", ...epicFiles("ep", 1) });
    gitIn(root, "branch", "feature/ep");
    const ctx = await openContext({ root });
    await makeWorker(ctx, "ep-01-t1");
    const record = await ctx.workers.require("ep-01-t1");
    const recorded = readFileSync(RECORDING, "utf8");
    mkdirSync(ctx.paths.logsDir, { recursive: true });
    // A stderr line and a half-written last event, as a live log can have.
    writeFileSync(record.logPath, `${recorded}a stderr line\n{"type":"assistant","mess`);

    const shown = runCli(root, ["logs", "ep-01-t1"]);
    expect(shown.code, shown.stderr).toBe(0);
    const out = shown.stdout;
    expect(out).toMatch(/^── session [0-9a-f-]{36} · model \S+ · \d+ tools · MCP jig: connected$/m);
    expect(out).toContain("→ jig.claim_task\n");
    expect(out).toContain("  ← id: ep-01-hello · title: Say hello");
    expect(out).toContain('→ jig.set_status {"status":"working"}');
    expect(out).toContain("→ Bash git add -A && git commit -q -m 'Say hello'");
    expect(out).toMatch(
      /→ jig\.land\n {2}← state: landed · worker: ep-01-hello · target: feature\/ep · commits: [0-9a-f]{10}/,
    );
    expect(out).toContain("    next: Done: your work is on the target branch");
    expect(out).toContain("● Landed.");
    expect(out).toMatch(
      /✓ session ended \(9 turn\(s\) · \$\d+\.\d{4} · \d+ in \/ \d+ out tokens · [\d.]+ s\): Landed\./,
    );
    expect(out).toContain("a stderr line\n… (an event still being written)\n");
    expect(out).not.toContain('"type":"assistant"'); // no raw JSON events, not even the torn one
    for (const line of out.split("\n")) expect(line.length).toBeLessThanOrEqual(200);

    const raw = runCli(root, ["logs", "ep-01-t1", "--raw"]);
    expect(raw.stdout).toBe(readFileSync(record.logPath, "utf8"));
  });

  it("a planner's log holds only its own session", () => {
    const root = gitRepo({
      "README.md": "x\n",
      "issues/ep.md": issueFile({}, "# Epic\n\nNo subtasks yet.\n"),
    });
    expect(runCli(root, ["init"]).code).toBe(0);
    expect(runCli(root, ["plan", "ep", "--agent", "scripted"]).code).toBe(1);
    expect(runCli(root, ["logs", "planner-ep"]).stdout).toContain("nothing to plan");
    writeFileSync(join(root, "issues", "ep.md"), "# Epic\n\n## Subtasks\n### One\nDo it.\n");
    const planned = runCli(root, ["plan", "ep", "--agent", "scripted"]);
    expect(planned.code, planned.stderr).toBe(0);
    const log = runCli(root, ["logs", "planner-ep"]).stdout;
    expect(log).toContain("plan_epic →");
    expect(log).not.toContain("nothing to plan");
  });
});
