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
      launcher: { kind: "local" },
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
    [JSON.stringify({ launcher: { kind: "nomad" } }), /field 'launcher.kind': unknown launcher kind "nomad"/],
    [
      JSON.stringify({
        remote: "origin",
        launcher: { kind: "command", template: ["x", "{token}"], url: "http://h/mcp" },
      }),
      /field 'launcher.template.1': \{token\} is not allowed: a token never goes on a command line/,
    ],
    [
      JSON.stringify({
        remote: "origin",
        launcher: { kind: "command", template: ["x {host}"], url: "http://h/mcp" },
      }),
      /field 'launcher.template.0': unknown placeholder \{host\}/,
    ],
    [
      JSON.stringify({
        remote: "origin",
        launcher: { kind: "command", template: ["x"], url: "http://h/mcp?token=a" },
      }),
      /field 'launcher.url': the URL must carry no credentials or query/,
    ],
    [
      JSON.stringify({ remote: "origin", launcher: { kind: "command", template: ["x"], url: "h:1/mcp" } }),
      /field 'launcher.url': "h:1\/mcp" is not an http\(s\) URL/,
    ],
    [
      JSON.stringify({ launcher: { kind: "command", template: ["x"], url: "http://h/mcp" } }),
      /field 'launcher': a 'command' launcher needs the shared git remote: set "remote"/,
    ],
  ])("refuses %s", async (text, message) => {
    const dir = tempDir();
    writeFileSync(join(dir, "jig.json"), text);
    await expect(loadConfig(dir)).rejects.toThrow(message);
  });

  it("reads a command launcher", async () => {
    const dir = tempDir();
    const launcher = {
      kind: "command",
      template: ["sh", "-c", "jig worker --task {task}"],
      url: "https://c:7777/mcp",
    };
    writeFileSync(join(dir, "jig.json"), JSON.stringify({ remote: "origin", launcher }));
    expect((await loadConfig(dir)).launcher).toEqual({ ...launcher, env: {}, tokenOnStdin: false });
  });
});
