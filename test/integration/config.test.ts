import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/core/config.js";
import { tempDir } from "../helpers/repo.js";

describe("jig.json", () => {
  it("every field has a working default", async () => {
    expect(await loadConfig(tempDir())).toEqual({
      issuesDir: "issues",
      remote: null,
      maxWorkers: 4,
      maxRetries: 1,
      gate: null,
      agent: "claude",
      agents: {},
      events: { segmentBytes: 4 * 1024 * 1024, segments: 8 },
      alarms: { silentMinutes: 20, landWaitMinutes: 30, budgetFraction: 0.8 },
      allowJigPaths: [],
      http: { maxSessions: 256, maxSessionsPerIdentity: 32, unusedSessionSeconds: 10 },
    });
  });

  it("reads and validates fields", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "jig.json"),
      JSON.stringify({
        issuesDir: "tasks",
        gate: { command: "npm test" },
        agents: { fast: { type: "claude", model: "haiku" } },
      }),
    );
    const config = await loadConfig(dir);
    expect(config.issuesDir).toBe("tasks");
    expect(config.gate).toEqual({ command: "npm test", timeoutSeconds: 600, env: {} });
    expect(config.agents.fast).toEqual({ type: "claude", model: "haiku", args: [], env: {} });
  });

  it.each([
    ["{ not json", /jig\.json: not valid JSON/],
    [JSON.stringify({ maxWorkers: 0 }), /field 'maxWorkers'/],
    [
      JSON.stringify({ issuesDir: "../outside" }),
      /field 'issuesDir': must be a relative path inside the repo/,
    ],
    [JSON.stringify({ issuesDir: "/etc" }), /field 'issuesDir'/],
    [JSON.stringify({ maxWrokers: 3 }), /Unrecognized key.*maxWrokers/],
    [JSON.stringify({ agents: { x: { type: "gpt" } } }), /field 'agents.x.type'/],
  ])("refuses %s", async (text, message) => {
    const dir = tempDir();
    writeFileSync(join(dir, "jig.json"), text);
    await expect(loadConfig(dir)).rejects.toThrow(message);
  });
});
