// jig's `gemini` backend driving the REAL Gemini CLI, offline: a scripted Gemini API endpoint plays the
// model (GOOGLE_GEMINI_BASE_URL) and makes the tool calls a real model would: jig's MCP tools through the
// CLI's MCP client, and git through its own shell tool.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stateDir } from "../../src/core/paths.js";
import {
  agentBin,
  endedRecord,
  FEAT_PLAN,
  featRepo,
  geminiAgentConfig,
  helloRepo,
  logTail,
  planHello,
  scriptedEndpoint,
  spawnUntilLanded,
  writeJigConfig,
} from "../helpers/agent-harness.js";
import { runCli, runCliAsync } from "../helpers/cli.js";
import { type FakeGemini, startFakeGemini } from "../helpers/fake-gemini.js";
import { gitIn } from "../helpers/repo.js";

const GEMINI = agentBin("gemini");

describe.skipIf(!GEMINI)("the gemini backend with the real Gemini CLI", () => {
  const endpoint = scriptedEndpoint<FakeGemini>();

  it("jig spawn: the session claims its task through jig's MCP server, commits with its shell tool, and lands", async () => {
    const { root, worktree } = helloRepo();
    const fake = await endpoint.use(
      startFakeGemini(
        [
          { tool: "mcp_jig_claim_task", input: {} },
          { tool: "mcp_jig_set_status", input: { status: "working" } },
          {
            tool: "write_file",
            input: { file_path: join(worktree, "hello.txt"), content: "hello from gemini\n" },
          },
          {
            tool: "run_shell_command",
            input: { command: "git add -A && git commit -q -m 'Say hello'", description: "Commit" },
          },
          { tool: "mcp_jig_land", input: {} },
        ],
        "Landed.",
      ),
    );
    writeJigConfig(root, geminiAgentConfig(fake.url));
    expect(runCli(root, ["init"]).code).toBe(0);
    await planHello(root);
    const dump = () =>
      `${logTail(root, "ep-01-hello", 4000)}\nfake errors: ${fake?.errors.join("\n")}\nresponses: ${JSON.stringify(fake?.responses ?? [])}`;
    await spawnUntilLanded(root, "ep-01-hello", { what: "the gemini worker to land", dump });
    expect(gitIn(root, "show", "feature/ep:hello.txt")).toBe("hello from gemini");
    // The CLI offered the model jig's tools (only those), from the settings jig wrote in the session's own home.
    const declared = (fake.requests[0]?.tools ?? []).flatMap((t) =>
      (t.functionDeclarations ?? []).map((d) => d.name),
    );
    expect(declared.filter((name) => name.startsWith("mcp_")).sort()).toEqual(
      ["check_conflicts", "claim_task", "get_task", "land", "list_tasks", "plan_epic", "set_status"].map(
        (t) => `mcp_jig_${t}`,
      ),
    );
    expect(declared).toContain("run_shell_command");
    expect(declared).not.toContain("web_fetch");
    expect(JSON.stringify(fake.responses[0])).toContain("ep-01-hello");
    // The worker instructions reached the model through the private home's GEMINI.md.
    expect(JSON.stringify(fake.requests[0]?.systemInstruction)).toContain("claim_task");
    expect(
      existsSync(join(stateDir(root), "agents", "ep-01-hello", "gemini-home", ".gemini", "settings.json")),
    ).toBe(true);
    // Tokens, the conversation id and the last message are recorded, and shown.
    const record = await endedRecord(root, "ep-01-hello", { dump });
    expect(record.usage.inputTokens).toBeGreaterThanOrEqual(600);
    expect(record.usage.outputTokens).toBeGreaterThanOrEqual(120);
    expect(record.session).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.exited.said).toBe("Landed.");
    expect(JSON.stringify(fake.responses[4])).toContain("Landed 1 commit(s) on feature/ep");
  }, 200_000);

  it("jig plan: a gemini planner calls plan_epic", async () => {
    const root = featRepo();
    const fake = await endpoint.use(
      startFakeGemini(
        [
          {
            tool: "mcp_jig_plan_epic",
            input: FEAT_PLAN,
          },
        ],
        "Planned.",
      ),
    );
    writeJigConfig(root, geminiAgentConfig(fake.url));
    const planned = await runCliAsync(root, ["plan", "issues/feat.md", "--json"], { timeoutMs: 150_000 });
    expect(planned.code, `${planned.stderr}\n${fake.errors.join("\n")}`).toBe(0);
    const out = JSON.parse(planned.stdout);
    expect(out.plan.subtasks.map((t: { id: string }) => t.id)).toEqual(["feat-01-core", "feat-02-cli"]);
    expect(gitIn(root, "branch", "--list", "feature/feat")).toContain("feature/feat");
  }, 200_000);
});
