import { afterAll, describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { issueToken, revokeToken } from "../../src/core/identity.js";
import { runCli, runCliAsync } from "../helpers/cli.js";
import { background, waitFor } from "../helpers/epic.js";
import { freePort } from "../helpers/net.js";
import { gitIn, gitRepo, tempDir } from "../helpers/repo.js";
import { epicFiles } from "../helpers/workers.js";

// `jig worker` on a machine a person set up from the docs: what goes wrong first is said plainly, against
// a real `jig serve` and a real bare remote, before any agent runs — a token the coordinator refuses is
// not "cannot reach", and a machine where git has no identity is refused before the agent's first commit
// fails deep in its session.

describe("jig worker says what is wrong with the machine it runs on", () => {
  const serves: ReturnType<typeof background>[] = [];
  afterAll(async () => {
    for (const serve of serves.splice(0)) {
      serve.child.kill("SIGKILL");
      await serve.exited;
    }
  });

  async function coordinator() {
    const root = gitRepo({ ...epicFiles("e", 1) });
    expect(runCli(root, ["init"]).code).toBe(0);
    const remote = tempDir("remote-");
    gitIn(remote, "init", "-q", "--bare");
    gitIn(root, "push", "-q", remote, "HEAD:refs/jig/workers/e-01-t1", "HEAD:refs/heads/feature/e");
    const port = await freePort();
    const serve = background(root, ["serve", "--port", String(port)]);
    serves.push(serve);
    await waitFor(() => serve.output().includes("MCP at"), "jig serve to listen", { dump: serve.output });
    const ctx = await openContext({ root });
    const worker = (token: string, env: Record<string, string> = {}) =>
      runCliAsync(
        tempDir("worker-cwd-"),
        [
          "worker",
          "--url",
          `http://127.0.0.1:${port}/mcp`,
          "--remote",
          `file://${remote}`,
          "--task",
          "e-01-t1",
          "--target",
          "feature/e",
        ],
        { env: { JIG_TOKEN: token, JIG_WORKER_HOME: tempDir("worker-cache-"), ...env } },
      );
    return { ctx, worker };
  }

  it("a token the coordinator refuses (revoked) is named as such, not as an unreachable coordinator", async () => {
    const c = await coordinator();
    const token = await issueToken(c.ctx.paths, "e-01-t1");
    await revokeToken(c.ctx.paths, "e-01-t1");
    const out = await c.worker(token);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /the coordinator at http:\/\/127\.0\.0\.1:\d+\/mcp refused this worker's token/,
    );
    expect(out.stderr).not.toMatch(/cannot reach/);
    expect(out.stderr).not.toContain(token);
  });

  it("a machine where git has no identity is refused before the agent starts, saying what to set", async () => {
    const c = await coordinator();
    const token = await issueToken(c.ctx.paths, "e-01-t1");
    const out = await c.worker(token, {
      HOME: tempDir("fresh-home-"),
      GIT_AUTHOR_NAME: "",
      GIT_AUTHOR_EMAIL: "",
      GIT_COMMITTER_NAME: "",
      GIT_COMMITTER_EMAIL: "",
      // As on a machine whose host name gives git no e-mail to guess.
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "user.useConfigOnly",
      GIT_CONFIG_VALUE_0: "true",
    });
    expect(out.code, out.stderr).toBe(1);
    expect(out.stderr).toMatch(/git has no identity to commit with on this machine \(HOME=.*fresh-home-/);
    expect(out.stderr).toMatch(/git config --global user\.email/);
    expect(out.stderr).not.toMatch(/starting|running the agent/i);
  });
});
