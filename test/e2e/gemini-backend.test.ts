// jig's `gemini` backend driving the REAL Gemini CLI, offline: a scripted Gemini API endpoint plays the
// model (GOOGLE_GEMINI_BASE_URL) and makes the tool calls a real model would: jig's MCP tools through the
// CLI's MCP client, and git through its own shell tool.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { stateDir } from "../../src/core/paths.js";
import { runCli, runCliAsync } from "../helpers/cli.js";
import { taskIs, waitFor } from "../helpers/epic.js";
import { type FakeGemini, startFakeGemini } from "../helpers/fake-gemini.js";
import { gitIn, gitRepo, issueFile } from "../helpers/repo.js";

const GEMINI = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "node_modules", ".bin", "gemini");
const HAS_GEMINI = existsSync(GEMINI);

function agentConfig(url: string) {
  return {
    agent: "gm",
    maxRetries: 0,
    agents: {
      gm: {
        type: "gemini",
        command: GEMINI,
        model: "gemini-2.5-flash",
        env: { GOOGLE_GEMINI_BASE_URL: url, GEMINI_API_KEY: "test-key" },
      },
    },
  };
}

describe.skipIf(!HAS_GEMINI)("the gemini backend with the real Gemini CLI", () => {
  let fake: FakeGemini | null = null;
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
    fake = await startFakeGemini(
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
      `${readFileSync(log, "utf8").slice(-4000)}\nfake errors: ${fake?.errors.join("\n")}\nresponses: ${JSON.stringify(fake?.responses ?? [])}`;
    await waitFor(taskIs(root, "ep-01-hello", "complete"), "the gemini worker to land", {
      timeoutMs: 150_000,
      dump,
    });
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
    const recordFile = join(root, ".jig", "workers", "ep-01-hello.json");
    await waitFor(() => JSON.parse(readFileSync(recordFile, "utf8")).exited !== null, "the session to end", {
      timeoutMs: 60_000,
      dump,
    });
    const record = JSON.parse(readFileSync(recordFile, "utf8"));
    expect(record.usage.inputTokens).toBeGreaterThanOrEqual(600);
    expect(record.usage.outputTokens).toBeGreaterThanOrEqual(120);
    expect(record.session).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.exited.said).toBe("Landed.");
    expect(JSON.stringify(fake.responses[4])).toContain("Landed 1 commit(s) on feature/ep");
  }, 200_000);

  it("jig plan: a gemini planner calls plan_epic", async () => {
    const root = gitRepo({
      "README.md": "# r\n",
      "issues/feat.md": issueFile({}, "# A feature\n\nSplit it in two.\n"),
    });
    fake = await startFakeGemini(
      [
        {
          tool: "mcp_jig_plan_epic",
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
