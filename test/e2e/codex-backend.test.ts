// jig's `codex` backend driving the REAL Codex CLI, offline: a scripted OpenAI Responses endpoint plays
// the model (named as a model provider in the session's own config.toml) and makes the tool calls a real
// model would: jig's MCP tools through Codex's MCP client, and git through Codex's own shell tool.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stateDir } from "../../src/core/paths.js";
import {
  agentBin,
  codexAgentConfig,
  endedRecord,
  FEAT_PLAN,
  featRepo,
  helloRepo,
  logTail,
  planHello,
  scriptedEndpoint,
  spawnUntilLanded,
  writeJigConfig,
} from "../helpers/agent-harness.js";
import { runCli, runCliAsync } from "../helpers/cli.js";
import { type FakeOpenAi, startFakeOpenAi } from "../helpers/fake-openai.js";
import { gitIn } from "../helpers/repo.js";

const CODEX = agentBin("codex");

describe.skipIf(!CODEX)("the codex backend with the real Codex CLI", () => {
  const endpoint = scriptedEndpoint<FakeOpenAi>();

  it("jig spawn: the session claims its task through jig's MCP server, commits with its shell tool, and lands", async () => {
    const { root, worktree } = helloRepo();
    const fake = await endpoint.use(
      startFakeOpenAi(
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
      ),
    );
    writeJigConfig(root, codexAgentConfig(fake.url));
    expect(runCli(root, ["init"]).code).toBe(0);
    await planHello(root);
    const dump = () =>
      `${logTail(root, "ep-01-hello", 4000)}\nfake errors: ${fake?.errors.join("\n")}\noutputs: ${JSON.stringify([...(fake?.outputs ?? [])])}`;
    await spawnUntilLanded(root, "ep-01-hello", { what: "the codex worker to land", dump });
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
    const record = await endedRecord(root, "ep-01-hello", { dump });
    expect(record.usage.inputTokens).toBeGreaterThanOrEqual(500);
    expect(record.usage.outputTokens).toBeGreaterThanOrEqual(100);
    expect(record.session).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.exited.said).toBe("Landed.");
    expect(fake.outputs.get(3)).toContain("landed");
  }, 200_000);

  it("jig plan: a codex planner calls plan_epic", async () => {
    const root = featRepo();
    const fake = await endpoint.use(
      startFakeOpenAi(
        [
          {
            tool: "mcp__jig__plan_epic",
            input: FEAT_PLAN,
          },
        ],
        "Planned.",
      ),
    );
    writeJigConfig(root, codexAgentConfig(fake.url));
    const planned = await runCliAsync(root, ["plan", "issues/feat.md", "--json"], { timeoutMs: 150_000 });
    expect(planned.code, `${planned.stderr}\n${fake.errors.join("\n")}`).toBe(0);
    const out = JSON.parse(planned.stdout);
    expect(out.plan.subtasks.map((t: { id: string }) => t.id)).toEqual(["feat-01-core", "feat-02-cli"]);
    expect(gitIn(root, "branch", "--list", "feature/feat")).toContain("feature/feat");
  }, 200_000);
});
