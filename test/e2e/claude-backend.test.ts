// jig's `claude` backend driving the REAL Claude Code CLI, offline: a scripted Messages endpoint plays the
// model and makes the tool calls a real model would (ToolSearch for deferred MCP tools included).
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { JIG_TOOLS } from "../../src/orchestrator/backends/claude.js";
import { CLI_ENTRY } from "../../src/version.js";
import {
  claudeAgentConfig,
  claudeHelloSteps,
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
import { epicRepo, taskIs, waitFor, writeAndLand } from "../helpers/epic.js";
import {
  bashStep,
  claudeBin,
  type FakeAnthropic,
  claudeEnv as fakeClaudeEnv,
  startFakeAnthropic,
  toolCallingModel,
} from "../helpers/fake-anthropic.js";
import { gitIn, gitRepo, issueFile, tempDir } from "../helpers/repo.js";

const CLAUDE = claudeBin();

describe.skipIf(!CLAUDE)("the claude backend with the real Claude Code CLI", () => {
  const endpoint = scriptedEndpoint<FakeAnthropic>();

  it("jig spawn: the session finds the jig tools, claims its task, commits, and lands (root without IS_SANDBOX)", async () => {
    const { root, worktree } = helloRepo();
    const model = toolCallingModel(claudeHelloSteps(worktree, "hello from claude\n"), "Landed.");
    const fake = await endpoint.use(startFakeAnthropic(model.script));
    writeJigConfig(root, claudeAgentConfig(fake.url));
    expect(runCli(root, ["init"]).code).toBe(0);
    // Plan as the human would through the core, then spawn the claude worker.
    await planHello(root);
    const dump = () => `${logTail(root, "ep-01-hello")}\nfake errors: ${fake.errors.join("\n")}`;
    await spawnUntilLanded(root, "ep-01-hello", {
      what: "the claude worker to land",
      dump,
      env: { IS_SANDBOX: "" },
    });
    expect(gitIn(root, "show", "feature/ep:hello.txt")).toBe("hello from claude");
    // Claude Code hands the model a tool's structured result when there is one.
    expect(model.resultOf("mcp__jig__claim_task")?.text).toContain('"id":"ep-01-hello"');
    // Claude Code lists jig's tools as deferred; the model found them through ToolSearch by name.
    expect(fake.requests.some((r) => JSON.stringify(r).includes("select:mcp__jig__claim_task"))).toBe(true);
    // Cost and usage from the final result event reach jig ps.
    await waitFor(
      () => JSON.parse(runCli(root, ["ps", "--all", "--json"]).stdout).workers[0]?.usage !== null,
      "usage to be recorded",
      { timeoutMs: 150_000, dump },
    );
    const ps = JSON.parse(runCli(root, ["ps", "--all", "--json"]).stdout);
    expect(ps.workers[0].usage.outputTokens).toBeGreaterThan(0);
    // …and are shown to people: cost and tokens per worker, and summed for the epic.
    expect(runCli(root, ["ps", "--all"]).stdout).toMatch(/ep-01-hello .*\$\d+\.\d\d, [\d.]+k? tokens/);
    expect(runCli(root, ["status", "ep"]).stdout).toMatch(
      /^Epic: ep \(1\/1 complete\) · \$\d+\.\d\d, [\d.]+k? tokens/,
    );
    expect(ps.workers[0].status).toBe("done");
    expect(model.resultOf("mcp__jig__land")?.text).toContain('"state":"landed"');
  });

  it("jig plan: the planner session calls plan_epic (in a sandbox, IS_SANDBOX=1)", async () => {
    const root = featRepo();
    const model = toolCallingModel(
      [
        {
          tool: "mcp__jig__plan_epic",
          input: FEAT_PLAN,
        },
      ],
      "Planned.",
    );
    const fake = await endpoint.use(startFakeAnthropic(model.script));
    writeJigConfig(root, claudeAgentConfig(fake.url));
    const planned = await runCliAsync(root, ["plan", "issues/feat.md", "--json"], {
      env: { IS_SANDBOX: "1" },
      timeoutMs: 150_000,
    });
    expect(planned.code, `${planned.stderr}\n${fake.errors.join("\n")}`).toBe(0);
    const out = JSON.parse(planned.stdout);
    expect(
      out.plan.subtasks.map((t: { id: string; depends: string[] }) => `${t.id}<${t.depends.join(",")}`),
    ).toEqual(["feat-01-core<", "feat-02-cli<feat-01-core"]);
    expect(gitIn(root, "branch", "--list", "feature/feat")).toContain("feature/feat");
    expect(model.resultOf("mcp__jig__plan_epic")?.text).toContain("feat-02-cli");
  });

  it("jig plan: a planner that ends without calling plan_epic — jig says what it said", async () => {
    const root = featRepo();
    const model = toolCallingModel([], "This epic is too vague to split: which database should it use?");
    const fake = await endpoint.use(startFakeAnthropic(model.script));
    writeJigConfig(root, claudeAgentConfig(fake.url));
    const planned = await runCliAsync(root, ["plan", "issues/feat.md"], { timeoutMs: 150_000 });
    expect(planned.code, `${planned.stderr}\n${fake.errors.join("\n")}`).toBe(1);
    expect(planned.stderr).toContain(
      "error: the planner of feat ended without writing a plan (exit code 0: This epic is too vague to split: which database should it use?)",
    );
  });

  it("jig plan --auto: a claude planner plans an epic with a dependency, claude workers build and land it in order", async () => {
    const root = gitRepo({
      "README.md": "# r\n",
      "issues/app.md": issueFile({}, "# An app\n\nA core, then a CLI on top of it.\n"),
    });
    const worktree = (name: string) => join(root, ".jig", "worktrees", name);
    const planner = toolCallingModel(
      [
        {
          tool: "mcp__jig__plan_epic",
          input: {
            epic: "app",
            subtasks: [
              {
                title: "Build the core",
                slug: "core",
                objective: "core.txt",
                acceptanceCriteria: ["core.txt exists"],
              },
              {
                title: "Add the CLI",
                slug: "cli",
                objective: "cli.txt, using the core",
                acceptanceCriteria: ["cli.txt exists"],
                depends: ["core"],
              },
            ],
          },
        },
      ],
      "Planned.",
    );
    const worker = (name: string, file: string) =>
      toolCallingModel(
        [
          { tool: "mcp__jig__claim_task", input: {} },
          { tool: "mcp__jig__set_status", input: { status: "working" } },
          { tool: "Write", input: { file_path: join(worktree(name), file), content: `${name}\n` } },
          bashStep(`git add -A && git commit -q -m 'Add ${file}'`),
          { tool: "mcp__jig__land", input: {} },
        ],
        "Landed.",
      );
    const models = { planner, core: worker("app-01-core", "core.txt"), cli: worker("app-02-cli", "cli.txt") };
    // One endpoint, three sessions: each conversation is told apart by its opening prompt.
    const fake = await endpoint.use(
      startFakeAnthropic((ctx) => {
        const opening = JSON.stringify(ctx.request.messages[0]?.content ?? "");
        if (opening.includes("jig planner")) return models.planner.script(ctx);
        if (opening.includes("issue app-01-core")) return models.core.script(ctx);
        if (opening.includes("issue app-02-cli")) return models.cli.script(ctx);
        return { content: [{ type: "text", text: "OK." }] };
      }),
    );
    writeJigConfig(root, claudeAgentConfig(fake.url));
    expect(runCli(root, ["init"]).code).toBe(0);
    const run = await runCliAsync(root, ["plan", "issues/app.md", "--auto"], {
      env: { IS_SANDBOX: "" },
      timeoutMs: 300_000,
    });
    expect(run.code, `${run.stdout}\n${run.stderr}\n${fake.errors.join("\n")}`).toBe(0);
    expect(run.stdout).toContain("Epic: app (2/2 complete)");
    // The CLI was built after the core landed: its commit sits on top, and its worktree had core.txt.
    expect(gitIn(root, "log", "--format=%s", "feature/app").split("\n").slice(0, 2)).toEqual([
      "Add cli.txt",
      "Add core.txt",
    ]);
    expect(gitIn(root, "show", "feature/app:core.txt")).toBe("app-01-core");
    expect(gitIn(root, "show", "feature/app:cli.txt")).toBe("app-02-cli");
    // The run ends when the land is recorded; the session hands its result to the model a moment later.
    await waitFor(
      () => models.cli.resultOf("mcp__jig__land") !== undefined,
      "the cli worker's land result to reach the model",
      { dump: () => fake?.errors.join("\n") ?? "" },
    );
    expect(models.cli.resultOf("mcp__jig__land")?.text).toContain('"state":"landed"');
    const ps = JSON.parse(runCli(root, ["ps", "--all", "--json"]).stdout);
    expect(
      ps.workers.filter((w: { kind: string }) => w.kind === "task").map((w: { status: string }) => w.status),
    ).toEqual(["done", "done"]);
  }, 320_000);

  // Issue 11's regression: with two claude workers landing at once, the land used to rebase inside the
  // workers' own worktrees while Claude Code ran git there (3 runs in 20 ended blocked). The land now
  // touches no worktree. `JIG_CLAUDE_PARALLEL_RUNS` repeats it (default 1).
  it(
    "jig plan --auto: two claude workers in parallel both land, never blocked",
    async () => {
      const runs = Number(process.env.JIG_CLAUDE_PARALLEL_RUNS ?? 1);
      for (let attempt = 1; attempt <= runs; attempt++) {
        const root = gitRepo({
          "README.md": "# r\n",
          "issues/duo.md": issueFile({}, "# Two parts\n\nTwo independent parts.\n"),
        });
        const worktree = (name: string) => join(root, ".jig", "worktrees", name);
        const planner = toolCallingModel(
          [
            {
              tool: "mcp__jig__plan_epic",
              input: {
                epic: "duo",
                subtasks: ["left", "right"].map((slug) => ({
                  title: `Build ${slug}`,
                  slug,
                  objective: `${slug}.txt`,
                  acceptanceCriteria: [`${slug}.txt exists`],
                })),
              },
            },
          ],
          "Planned.",
        );
        // Each worker commits twice, runs git status and log around its land (as Claude Code does).
        const worker = (name: string, file: string) =>
          toolCallingModel(
            [
              { tool: "mcp__jig__claim_task", input: {} },
              { tool: "Write", input: { file_path: join(worktree(name), file), content: `${name}\n` } },
              bashStep(`git add -A && git commit -q -m 'Add ${file}'`),
              {
                tool: "Write",
                input: { file_path: join(worktree(name), `${file}.more`), content: "more\n" },
              },
              bashStep(
                `git add -A && git commit -q -m 'More ${file}' && git status --short && git log --oneline -3`,
              ),
              { tool: "mcp__jig__land", input: {} },
              bashStep("git status --short; git log --oneline -2"),
              { tool: "mcp__jig__land", input: {} },
            ],
            "Landed.",
          );
        const models = {
          planner,
          left: worker("duo-01-left", "left.txt"),
          right: worker("duo-02-right", "right.txt"),
        };
        const fake = await endpoint.use(
          startFakeAnthropic((ctx) => {
            const opening = JSON.stringify(ctx.request.messages[0]?.content ?? "");
            if (opening.includes("jig planner")) return models.planner.script(ctx);
            if (opening.includes("issue duo-01-left")) return models.left.script(ctx);
            if (opening.includes("issue duo-02-right")) return models.right.script(ctx);
            return { content: [{ type: "text", text: "OK." }] };
          }),
        );
        writeJigConfig(root, { ...claudeAgentConfig(fake.url), maxWorkers: 2 });
        expect(runCli(root, ["init"]).code).toBe(0);
        const run = await runCliAsync(root, ["plan", "issues/duo.md", "--auto"], {
          env: { IS_SANDBOX: "" },
          timeoutMs: 300_000,
        });
        const why = `run ${attempt}/${runs}\n${run.stdout}\n${run.stderr}\n${fake.errors.join("\n")}`;
        expect(run.code, why).toBe(0);
        expect(run.stdout, why).toContain("Epic: duo (2/2 complete)");
        expect(`${run.stdout}${run.stderr}`, why).not.toMatch(/blocked/);
        const files = gitIn(root, "ls-tree", "--name-only", "feature/duo").split("\n");
        expect(files).toEqual(
          expect.arrayContaining(["left.txt", "left.txt.more", "right.txt", "right.txt.more"]),
        );
        expect(gitIn(root, "rev-list", "--merges", "--count", "feature/duo")).toBe("0");
        process.stderr.write(`claude parallel land: run ${attempt}/${runs} landed both, none blocked\n`);
      }
    },
    330_000 * Number(process.env.JIG_CLAUDE_PARALLEL_RUNS ?? 1),
  );
});

// A person's own Claude Code, wired the way docs/mcp.md says: `claude mcp add jig -- jig serve --stdio`.
describe.skipIf(!CLAUDE)("a human's Claude Code with jig added by `claude mcp add`", () => {
  const endpoint = scriptedEndpoint<FakeAnthropic>();

  it("connects, and a session calls every jig tool as the admin", async () => {
    const go = join(tempDir(), "go");
    const root = epicRepo([{ slug: "a", steps: [{ waitForFile: go }, ...writeAndLand("a.txt", "a\n")] }]);
    // Only the user-scoped server from `claude mcp add`, not the project's .mcp.json that jig init wrote.
    rmSync(join(root, ".mcp.json"));
    writeFileSync(join(root, "issues", "ep2.md"), issueFile({ target: "feature/ep2" }, "# Second epic\n"));
    expect(runCli(root, ["plan", "ep"]).code).toBe(0);
    expect(runCli(root, ["spawn", "--issue", "ep-01-a"]).code).toBe(0);
    const model = toolCallingModel(
      [
        { tool: "mcp__jig__list_tasks", input: { epic: "ep" } },
        { tool: "mcp__jig__get_task", input: { id: "ep-01-a" } },
        { tool: "mcp__jig__set_status", input: { worker: "ep-01-a", status: "working", message: "seen" } },
        { tool: "mcp__jig__check_conflicts", input: { worker: "ep-01-a" } },
        { tool: "mcp__jig__land", input: { worker: "ep-01-a" } },
        {
          tool: "mcp__jig__plan_epic",
          input: {
            epic: "ep2",
            subtasks: [
              { title: "Write x", slug: "x", objective: "Write x.", acceptanceCriteria: ["x exists"] },
            ],
          },
        },
        { tool: "mcp__jig__claim_task", input: { issue: "ep2-01-x" } },
      ],
      "All seen.",
    );
    const fake = await endpoint.use(startFakeAnthropic(model.script));
    const env = fakeClaudeEnv(fake.url, tempDir("jig-human-"));
    const claude = (args: string[]) =>
      spawnSync(CLAUDE!, args, { cwd: root, env, encoding: "utf8", timeout: 120_000, stdio: "pipe" });
    const added = claude(["mcp", "add", "jig", "--", process.execPath, CLI_ENTRY, "serve", "--stdio"]);
    expect(added.status, added.stderr).toBe(0);
    const listed = claude(["mcp", "list"]);
    expect(listed.stdout).toMatch(/jig: .* serve --stdio - ✔ Connected/);
    // Not spawnSync: the fake endpoint answers from this very process.
    const session = await execa(
      CLAUDE!,
      [
        "-p",
        "Look after the epics.",
        "--allowedTools",
        JIG_TOOLS.join(","),
        "--output-format",
        "stream-json",
        "--verbose",
      ],
      { cwd: root, env, stdin: "ignore", reject: false, timeout: 150_000 },
    );
    expect(session.exitCode, `${session.stderr}\n${fake.errors.join("\n")}`).toBe(0);
    const result = (tool: string) => model.resultOf(`mcp__jig__${tool}`);
    expect(result("list_tasks")?.text).toContain("ep-01-a");
    expect(result("get_task")?.text).toContain("Task a");
    expect(result("set_status")).toMatchObject({ isError: false });
    expect(result("check_conflicts")).toMatchObject({ isError: false });
    // The worker has not committed yet: land says so, precisely.
    expect(result("land")?.text).toContain("has no commits that are not already on feature/ep");
    expect(result("plan_epic")?.text).toContain("ep2-01-x");
    expect(result("claim_task")).toMatchObject({ isError: false });
    expect(JSON.parse(runCli(root, ["issues", "show", "ep2-01-x", "--json"]).stdout)).toMatchObject({
      status: "in-progress",
    });
    expect(model.results.map((r) => r.tool)).toHaveLength(7);
    // Let the scripted worker finish, so nothing is left running.
    writeFileSync(go, "");
    await waitFor(taskIs(root, "ep-01-a", "complete"), "the worker to land", {
      timeoutMs: 150_000,
      dump: () => runCli(root, ["logs", "ep-01-a"]).stdout,
    });
  });
});
