// jig's `codex` backend driving the REAL Codex CLI, offline: a scripted OpenAI Responses endpoint plays
// the model (named as a model provider in the session's own config.toml) and makes the tool calls a real
// model would: jig's MCP tools through Codex's MCP client, and git through Codex's own shell tool.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { stateDir } from "../../src/core/paths.js";
import { runCli, runCliAsync } from "../helpers/cli.js";
import { taskIs, waitFor } from "../helpers/epic.js";
import { codexSettings, type FakeOpenAi, startFakeOpenAi } from "../helpers/fake-openai.js";
import { gitIn, gitRepo, issueFile } from "../helpers/repo.js";

const CODEX = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "node_modules", ".bin", "codex");
const HAS_CODEX = existsSync(CODEX);

function agentConfig(url: string) {
  return {
    agent: "cx",
    maxRetries: 0,
    agents: {
      cx: {
        type: "codex",
        command: CODEX,
        env: { FAKE_OPENAI_KEY: "test-key" },
        settings: codexSettings(url),
      },
    },
  };
}

describe.skipIf(!HAS_CODEX)("the codex backend with the real Codex CLI", () => {
  let fake: FakeOpenAi | null = null;
  afterEach(async () => {
    await fake?.close();
    fake = null;
  });

  it("jig spawn: the session claims its task through jig's MCP server, commits with its shell tool, and lands", async () => {
    const root = gitRepo({
      "README.md": "# r\n",
      "issues/ep.md": issueFile({ target: "feature/ep" }, "# Epic\n"),
    });
    const worktree = join(root, ".jig", "worktrees", "ep-01-hello");
    fake = await startFakeOpenAi(
      [
        { tool: "mcp__jig__claim_task", input: {} },
        { tool: "mcp__jig__set_status", input: { status: "working" } },
        {
          tool: "exec_command",
          input: {
            cmd: "printf 'hello from codex\\n' > hello.txt && git add -A && git commit -q -m 'Say hello' && echo committed",
            workdir: worktree,
          },
        },
        { tool: "mcp__jig__land", input: {} },
      ],
      "Landed.",
    );
    writeFileSync(join(root, "jig.json"), JSON.stringify(agentConfig(fake.url)));
    expect(runCli(root, ["init"]).code).toBe(0);
    const { openContext } = await import("../../src/core/context.js");
    const { planEpic } = await import("../../src/core/plan.js");
    const { ADMIN } = await import("../../src/core/identity.js");
    await planEpic(await openContext({ root }), ADMIN, {
      epic: "ep",
      subtasks: [
        {
          title: "Say hello",
          slug: "hello",
          objective: "Write hello.txt",
          acceptanceCriteria: ["hello.txt exists"],
        },
      ],
    });
    const spawned = runCli(root, ["spawn", "--issue", "ep-01"]);
    expect(spawned.code, spawned.stderr).toBe(0);
    const log = join(root, ".jig", "logs", "ep-01-hello.log");
    const dump = () =>
      `${readFileSync(log, "utf8").slice(-4000)}\nfake errors: ${fake?.errors.join("\n")}\noutputs: ${JSON.stringify([...(fake?.outputs ?? [])])}`;
    await waitFor(taskIs(root, "ep-01-hello", "complete"), "the codex worker to land", {
      timeoutMs: 150_000,
      dump,
    });
    expect(gitIn(root, "show", "feature/ep:hello.txt")).toBe("hello from codex");
    // Codex offered the model jig's tools (only those), from the config jig wrote in the session's own CODEX_HOME.
    const namespaces =
      fake.requests[0]?.tools?.filter((t) => t.type === "namespace" && t.name?.startsWith("mcp__")) ?? [];
    expect(namespaces.map((t) => t.name)).toEqual(["mcp__jig"]);
    expect(namespaces[0]?.tools?.map((t) => t.name).sort()).toEqual([
      "check_conflicts",
      "claim_task",
      "get_task",
      "land",
      "list_tasks",
      "plan_epic",
      "set_status",
    ]);
    expect(fake.outputs.get(0)).toContain("ep-01-hello");
    // The worker instructions reached the model through the private home's AGENTS.md (outside the repository).
    expect(JSON.stringify(fake.requests[0]?.input)).toContain("claim_task");
    expect(existsSync(join(stateDir(root), "agents", "ep-01-hello", "codex-home", "config.toml"))).toBe(true);
    // Tokens, the conversation id and the last message are recorded, and shown.
    const recordFile = join(root, ".jig", "workers", "ep-01-hello.json");
    await waitFor(() => JSON.parse(readFileSync(recordFile, "utf8")).exited !== null, "the session to end", {
      timeoutMs: 60_000,
      dump,
    });
    const record = JSON.parse(readFileSync(recordFile, "utf8"));
    expect(record.usage.inputTokens).toBeGreaterThanOrEqual(500);
    expect(record.usage.outputTokens).toBeGreaterThanOrEqual(100);
    expect(record.session).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.exited.said).toBe("Landed.");
    expect(fake.outputs.get(3)).toContain("landed");
  }, 200_000);

  it("jig plan: a codex planner calls plan_epic", async () => {
    const root = gitRepo({
      "README.md": "# r\n",
      "issues/feat.md": issueFile({}, "# A feature\n\nSplit it in two.\n"),
    });
    fake = await startFakeOpenAi(
      [
        {
          tool: "mcp__jig__plan_epic",
          input: {
            epic: "feat",
            subtasks: [
              {
                title: "Build the core",
                slug: "core",
                objective: "Core",
                acceptanceCriteria: ["tests pass"],
              },
              {
                title: "Add the CLI",
                slug: "cli",
                objective: "CLI",
                acceptanceCriteria: ["works"],
                depends: ["core"],
              },
            ],
          },
        },
      ],
      "Planned.",
    );
    writeFileSync(join(root, "jig.json"), JSON.stringify(agentConfig(fake.url)));
    const planned = await runCliAsync(root, ["plan", "issues/feat.md", "--json"], { timeoutMs: 150_000 });
    expect(planned.code, `${planned.stderr}\n${fake.errors.join("\n")}`).toBe(0);
    const out = JSON.parse(planned.stdout);
    expect(out.plan.subtasks.map((t: { id: string }) => t.id)).toEqual(["feat-01-core", "feat-02-cli"]);
    expect(gitIn(root, "branch", "--list", "feature/feat")).toContain("feature/feat");
  }, 200_000);
});
