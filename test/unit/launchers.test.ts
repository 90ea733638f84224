import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/core/config.js";
import { remoteLauncher } from "../../src/orchestrator/launchers/index.js";
import { fillWord, jigWorkerArgs, shellQuote } from "../../src/orchestrator/launchers/launcher.js";

const request = {
  name: "e-01-a",
  task: "e-01-a",
  target: "feature/e",
  agent: "scripted",
  agentType: "scripted" as const,
  url: "http://10.0.0.1:7777/mcp",
  remote: "/srv/git/it's.git",
  token: "jig_worker.ZS0wMS1h.abcdefghijklmnopqrstuvwxyz012345",
  tokenFile: "/state/e-01-a/token",
  privateDir: "/state/e-01-a",
};
const ctx = { paths: { root: "/repo" } } as never;

describe("launchers", () => {
  it("local is spawn's own path: no remote launcher", () => {
    expect(remoteLauncher(ConfigSchema.parse({}).launcher)).toBeNull();
  });

  it("command: a whole-word placeholder is one argv element as is; inside a word it is shell-quoted", async () => {
    const config = ConfigSchema.parse({
      remote: "origin",
      launcher: {
        kind: "command",
        template: [
          "ssh",
          "box",
          "jig worker --remote {remote} --task {task} --token-file {tokenFile}",
          "{remote}",
        ],
        url: request.url,
        env: { KUBECONFIG: "/k" },
      },
    });
    const launch = await remoteLauncher(config.launcher)!.launch(ctx, request);
    expect(launch.command).toBe("ssh");
    expect(launch.args).toEqual([
      "box",
      `jig worker --remote '/srv/git/it'\\''s.git' --task e-01-a --token-file /state/e-01-a/token`,
      "/srv/git/it's.git",
    ]);
    // The token goes in the environment only: never in argv.
    expect(launch.env.JIG_TOKEN).toBe(request.token);
    expect(launch.env.KUBECONFIG).toBe("/k");
    expect(JSON.stringify([launch.command, ...launch.args])).not.toContain(request.token);
    expect(launch.cwd).toBe("/repo");
  });

  it("tokenOnStdin: the token on stdin, not in the environment", async () => {
    const config = ConfigSchema.parse({
      remote: "origin",
      launcher: {
        kind: "command",
        template: ["ssh", "h", "jig worker --task {task} --token-file -"],
        url: request.url,
        tokenOnStdin: true,
      },
    });
    const launch = await remoteLauncher(config.launcher)!.launch(ctx, request);
    expect(launch.stdin).toBe(`${request.token}\n`);
    expect(launch.env.JIG_TOKEN).toBeUndefined();
  });

  it("the coordinator's own JIG_ variables do not reach the command", async () => {
    process.env.JIG_ROOT = "/coordinator/repo";
    try {
      const config = ConfigSchema.parse({
        remote: "origin",
        launcher: { kind: "command", template: ["true"], url: request.url },
      });
      const launch = await remoteLauncher(config.launcher)!.launch(ctx, request);
      expect(launch.env.JIG_ROOT).toBeUndefined();
    } finally {
      delete process.env.JIG_ROOT;
    }
  });

  it("shell quoting survives a hostile value", () => {
    expect(shellQuote("a b;rm -rf /")).toBe("'a b;rm -rf /'");
    expect(shellQuote("$(x)'")).toBe(`'$(x)'\\'''`);
    expect(fillWord("{nope}", { name: "n" })).toBe("{nope}");
    expect(jigWorkerArgs(request)).toEqual([
      "worker",
      "--url",
      request.url,
      "--remote",
      request.remote,
      "--task",
      request.task,
      "--target",
      "feature/e",
      "--agent",
      "scripted",
    ]);
  });
});
