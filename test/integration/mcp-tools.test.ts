import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters as plain } from "node:util";
import { McpError, ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { renderPs } from "../../src/cli/ps.js";
import { renderStatus } from "../../src/cli/render/status.js";
import { openContext } from "../../src/core/context.js";
import { epicProgress } from "../../src/core/epic-progress.js";
import { ADMIN } from "../../src/core/identity.js";
import { listWorkerViews } from "../../src/core/worker-view.js";
import { readWorkerStatus } from "../../src/core/workers.js";
import { call, connect } from "../helpers/mcp.js";
import { gitIn, gitRepo, issueFile } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";

const hashDir = (dir: string) =>
  createHash("sha256")
    .update(
      readdirSync(dir)
        .sort()
        .map((name) => `${name}\0${readFileSync(join(dir, name), "utf8")}`)
        .join("\0"),
    )
    .digest("hex");

const plan = (subtasks: unknown[]) => ({ epic: "feature-auth", subtasks });
const task = (slug: string, depends: string[] = []) => ({
  title: `Do ${slug}`,
  slug,
  objective: `Implement ${slug}.`,
  acceptanceCriteria: [`${slug} works`],
  context: "See src/.",
  depends,
});

async function repoWithEpic() {
  const root = gitRepo({
    "README.md": "# r\n",
    "issues/feature-auth.md": issueFile({ target: "feature/auth" }, "# Auth epic\n"),
  });
  const ctx = await openContext({ root });
  return { root, ctx };
}

describe("MCP surface", () => {
  it("lists the tools and resources (contract snapshot)", async () => {
    const { ctx } = await repoWithEpic();
    const { client, close } = await connect(ctx);
    const tools = (await client.listTools()).tools.map((t) => ({
      name: t.name,
      title: t.title,
      annotations: t.annotations,
      input: Object.keys((t.inputSchema.properties ?? {}) as object),
      output: Object.keys((t.outputSchema?.properties ?? {}) as object),
    }));
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    const resources = (await client.listResources()).resources.map((r) => r.uri);
    expect({ tools, templates, resources }).toMatchSnapshot();
    for (const tool of (await client.listTools()).tools) {
      expect(
        tool.description!.length,
        `${tool.name} needs a description written for a model`,
      ).toBeGreaterThan(150);
      expect(tool.annotations).toHaveProperty("readOnlyHint");
      expect(tool.annotations).toHaveProperty("destructiveHint");
      expect(tool.annotations).toHaveProperty("idempotentHint");
      expect(tool.annotations).toHaveProperty("openWorldHint");
    }
    await close();
  });

  it("refuses bad arguments and unknown tools in jig's own words: each field, the value sent, what to do", async () => {
    const { ctx } = await repoWithEpic();
    const { client, close } = await connect(ctx);
    const status = await call(client, "set_status", { status: "finished", message: 7 });
    expect(status.isError).toBe(true);
    expect(status.text).toBe(
      '[INVALID_INPUT] invalid arguments for set_status: status: Invalid option: expected one of "working"|"blocked"|"done" (got "finished"); ' +
        "message: Invalid input: expected string, received number (got 7) — fix those arguments and call set_status again (its input schema is in tools/list)",
    );
    const missing = await call(client, "get_task", {});
    expect(missing.text).toMatch(
      /^\[INVALID_INPUT\] invalid arguments for get_task: id: .* \(missing\) — fix that argument/,
    );
    const unknown = await call(client, "delete_everything", {});
    expect(unknown).toMatchObject({ isError: true });
    expect(unknown.text).toBe(
      '[NOT_FOUND] there is no tool named "delete_everything" — jig\'s tools are plan_epic, claim_task, set_status, land, list_tasks, get_task, check_conflicts',
    );
    await close();
  });
});

describe("plan_epic", () => {
  it("writes every subtask and creates the target branch", async () => {
    const { root, ctx } = await repoWithEpic();
    const { client, close } = await connect(ctx);
    const result = await call(
      client,
      "plan_epic",
      plan([task("jwt"), task("oauth", ["jwt"]), task("tests", ["jwt", "oauth"])]),
    );
    expect(result.isError, result.text).toBe(false);
    expect(result.data!.created).toEqual([
      { id: "feature-auth-01-jwt", title: "Do jwt", depends: [] },
      { id: "feature-auth-02-oauth", title: "Do oauth", depends: ["feature-auth-01-jwt"] },
      {
        id: "feature-auth-03-tests",
        title: "Do tests",
        depends: ["feature-auth-01-jwt", "feature-auth-02-oauth"],
      },
    ]);
    expect(gitIn(root, "rev-parse", "feature/auth")).toBe(gitIn(root, "rev-parse", "main"));
    const file = readFileSync(join(root, "issues", "feature-auth-02-oauth.md"), "utf8");
    expect(file).toBe(
      "---\nepic: feature-auth\nstatus: planned\nassigned:\ntarget: feature/auth\ndepends: [feature-auth-01-jwt]\n---\n\n# Do oauth\n\n## Objective\nImplement oauth.\n\n## Acceptance Criteria\n- [ ] oauth works\n\n## Context\nSee src/.\n",
    );
    // A second plan continues the numbering and never reuses ids.
    const more = await call(client, "plan_epic", plan([task("docs", ["feature-auth-03-tests"])]));
    expect(more.data!.created).toEqual([
      { id: "feature-auth-04-docs", title: "Do docs", depends: ["feature-auth-03-tests"] },
    ]);
    await close();
  });

  it.each([
    [
      "a cycle",
      [task("a", ["b"]), task("b", ["a"])],
      /dependency cycle: feature-auth-01-a → feature-auth-02-b → feature-auth-01-a/,
    ],
    ["a duplicate slug", [task("a"), task("a")], /subtasks 0 and 1 both have slug 'a'/],
    [
      "an unknown dependency",
      [task("a", ["ghost"])],
      /depends on 'ghost', which is neither a slug in this plan nor an existing issue/,
    ],
    ["a self dependency", [task("a", ["a"])], /depends on itself/],
    ["a bad slug", [{ ...task("x"), slug: "../../etc" }], /slug "\.\.\/\.\.\/etc"/],
    // These three are refused by the SDK's schema validation before jig runs, with the field named.
    [
      "hundreds of subtasks",
      Array.from({ length: 300 }, (_, i) => task(`t${i}`)),
      /^\[INVALID_INPUT\] invalid arguments for plan_epic: subtasks: Too big: expected array to have <=50 items \(got an array of \d+\) — fix that argument and call plan_epic again/,
    ],
    [
      "a megabyte string",
      [{ ...task("a"), objective: "x".repeat(1024 * 1024) }],
      /subtasks\[0\]\.objective: Too big: expected string to have <=20000 characters \(got a string of 1048576 characters\)/,
    ],
    [
      "no criteria",
      [{ ...task("a"), acceptanceCriteria: [] }],
      /subtasks\[0\]\.acceptanceCriteria: Too small: expected array to have >=1 items \(got an array of 0\)/,
    ],
  ])("refuses %s and writes nothing", async (_name, subtasks, message) => {
    const { root, ctx } = await repoWithEpic();
    const before = hashDir(join(root, "issues"));
    const { client, close } = await connect(ctx);
    const result = await call(client, "plan_epic", plan(subtasks));
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^\[INVALID_INPUT\] invalid (plan|arguments for plan_epic): /);
    expect(result.text).toMatch(message);
    expect(hashDir(join(root, "issues"))).toBe(before);
    expect(gitIn(root, "branch", "--list", "feature/auth")).toBe("");
    await close();
  });

  it("refuses a clash with existing subtasks, an unknown epic, and a planner of another epic", async () => {
    const { root, ctx } = await repoWithEpic();
    const admin = await connect(ctx);
    expect((await call(admin.client, "plan_epic", plan([task("jwt")]))).isError).toBe(false);
    const before = hashDir(join(root, "issues"));
    expect((await call(admin.client, "plan_epic", plan([task("jwt")]))).text).toMatch(
      /slug 'jwt' is already used by feature-auth-01-jwt/,
    );
    expect((await call(admin.client, "plan_epic", { epic: "nope", subtasks: [task("a")] })).text).toMatch(
      /^\[NOT_FOUND\] no issue matches "nope"/,
    );
    expect((await call(admin.client, "plan_epic", { epic: "../../x", subtasks: [task("a")] })).text).toMatch(
      /^\[INVALID_INPUT\]/,
    );
    const planner = await connect(ctx, { role: "planner", name: "planner-other", epic: "other" });
    expect((await call(planner.client, "plan_epic", plan([task("zz")]))).text).toMatch(
      /^\[FORBIDDEN\] this planner may plan epic 'other'/,
    );
    expect(hashDir(join(root, "issues"))).toBe(before);
    await admin.close();
    await planner.close();
  });
});

describe("claim_task, set_status, list_tasks", () => {
  async function planned(count = 3, depends: Record<number, number[]> = {}) {
    const root = gitRepo({ "README.md": "# r\n", ...epicFiles("e", count, depends) });
    gitIn(root, "branch", "feature/e");
    return { root, ctx: await openContext({ root }) };
  }

  it("a worker claims its own task, once; repeated claims are harmless", async () => {
    const { ctx } = await planned(2);
    const worker = await makeWorker(ctx, "e-01-t1");
    const { client, close } = await connect(ctx, worker.caller);
    const first = await call(client, "claim_task");
    expect(first.isError, first.text).toBe(false);
    expect(first.data).toMatchObject({
      id: "e-01-t1",
      status: "in-progress",
      target: "feature/e",
      alreadyClaimed: false,
    });
    expect(first.text).toContain("## Objective\nDo task 1.");
    expect((await call(client, "claim_task")).data).toMatchObject({ alreadyClaimed: true });
    const other = await call(client, "claim_task", { issue: "e-02-t2" });
    expect(other.text).toMatch(
      /^\[FORBIDDEN\] worker 'e-01-t1' may claim only its own task 'e-01-t1', not 'e-02-t2'/,
    );
    expect((await ctx.issues.get("e-02-t2")).status).toBe("planned");
    await close();
  });

  it("the admin claims the next ready task; never a taken or waiting one", async () => {
    const { ctx } = await planned(3, { 3: [1] });
    const { client, close } = await connect(ctx);
    expect((await call(client, "claim_task", { epic: "e" })).data!.id).toBe("e-01-t1");
    expect((await call(client, "claim_task", { epic: "e" })).data!.id).toBe("e-02-t2");
    const none = await call(client, "claim_task", { epic: "e" });
    expect(none.text).toMatch(/^\[NOT_FOUND\] no task is ready in epic 'e'/);
    expect((await call(client, "claim_task", { issue: "e-03" })).text).toMatch(
      /^\[PRECONDITION_FAILED\] task 'e-03-t3' is waiting on e-01-t1/,
    );
    await close();
  });

  it("set_status updates the worktree status file and the issue; only for one's own task", async () => {
    const { ctx } = await planned(2);
    const a = await makeWorker(ctx, "e-01-t1");
    await makeWorker(ctx, "e-02-t2");
    const { client, close } = await connect(ctx, a.caller);
    await call(client, "claim_task");
    const blocked = await call(client, "set_status", {
      status: "blocked",
      message: "Need the OAuth client id",
    });
    expect(blocked.isError, blocked.text).toBe(false);
    expect(await readWorkerStatus(a.worktree)).toMatchObject({
      status: "blocked",
      message: "Need the OAuth client id",
    });
    expect((await ctx.issues.get("e-01-t1")).status).toBe("blocked");
    expect((await call(client, "set_status", { status: "blocked" })).text).toMatch(
      /^\[INVALID_INPUT\] status blocked needs a message/,
    );
    expect((await call(client, "set_status", { status: "working", worker: "e-02-t2" })).text).toMatch(
      /^\[FORBIDDEN\] worker 'e-01-t1' may set only its own status/,
    );
    expect((await call(client, "set_status", { status: "bogus" })).isError).toBe(true);
    const done = await call(client, "set_status", { status: "done" });
    expect(done.text).toContain("call land");
    expect((await ctx.issues.get("e-01-t1")).status).toBe("blocked");
    await close();
  });

  it("set_status warns early when the worker's commits would conflict, naming the other worker and the file", async () => {
    const { ctx } = await planned(2);
    const a = await makeWorker(ctx, "e-01-t1");
    const b = await makeWorker(ctx, "e-02-t2");
    const { client, close } = await connect(ctx, a.caller);
    await call(client, "claim_task");
    const quiet = await call(client, "set_status", { status: "working" });
    expect(quiet.data!.conflicts).toBeNull();
    expect(quiet.text).not.toContain("would conflict");
    commitIn(a.worktree, { "README.md": "# a\n" });
    commitIn(b.worktree, { "README.md": "# b\n" });
    const warned = await call(client, "set_status", { status: "done" });
    expect(warned.data!.conflicts).toMatchObject({
      target: [],
      workers: [{ name: "e-02-t2", files: ["README.md"] }],
    });
    expect(warned.text).toContain("your commits would conflict with worker e-02-t2 in README.md");
    await close();
  });

  it("list_tasks filters and paginates", async () => {
    const { ctx } = await planned(7, { 7: [1] });
    const { client, close } = await connect(ctx);
    const page1 = await call(client, "list_tasks", { limit: 3 });
    expect((page1.data!.tasks as { id: string }[]).map((t) => t.id)).toEqual([
      "e-01-t1",
      "e-02-t2",
      "e-03-t3",
    ]);
    const page2 = await call(client, "list_tasks", { limit: 3, cursor: page1.data!.nextCursor });
    expect((page2.data!.tasks as { id: string }[]).map((t) => t.id)).toEqual([
      "e-04-t4",
      "e-05-t5",
      "e-06-t6",
    ]);
    const waiting = await call(client, "list_tasks", { ready: true });
    expect(waiting.data!.total).toBe(6);
    expect((await call(client, "list_tasks", { cursor: "garbage" })).text).toMatch(
      /^\[INVALID_INPUT\] cursor "garbage"/,
    );
    expect((await call(client, "list_tasks", { limit: 100000 })).isError).toBe(true);
    await close();
  });
});

describe("land over MCP", () => {
  it("answers within its wait (queued or landing, with progress), then the verdict; a repeat lands nothing twice", async () => {
    // A 2 s gate: the first call, waiting at most 1 s, must come back before the land is decided.
    const root = gitRepo({
      "README.md": "# r\n",
      "jig.json": JSON.stringify({ gate: { command: "sleep 2", timeoutSeconds: 30 } }),
      ...epicFiles("e", 1),
    });
    gitIn(root, "branch", "feature/e");
    const ctx = await openContext({ root });
    const worker = await makeWorker(ctx, "e-01-t1");
    commitIn(worker.worktree, { "a.txt": "a\n" }, "add a");
    const { client, close } = await connect(ctx, worker.caller);
    await call(client, "claim_task");
    const progress: string[] = [];
    const first = (await client.callTool({ name: "land", arguments: { waitSeconds: 1 } }, undefined, {
      onprogress: (p) => progress.push(String(p.message)),
    })) as unknown as { structuredContent: { state: string; next: string } };
    expect(["queued", "landing"]).toContain(first.structuredContent.state);
    expect(first.structuredContent.next).toMatch(/call land again/i);
    expect(progress[0]).toBe("queued for feature/e");
    expect(progress.some((m) => m.startsWith("running the gate"))).toBe(true);
    expect(gitIn(root, "log", "-1", "--format=%s", "feature/e")).not.toBe("add a");
    // Meanwhile jig ps (and jig://workers, the dashboard) show the land in flight.
    const [view] = await listWorkerViews(ctx, { withChanges: false });
    expect(view!.landing).toMatchObject({ state: expect.stringMatching(/^(queued|landing)$/), position: 1 });
    // CI=true turns colours on (picocolors), so compare the plain text.
    expect(plain((await renderPs(root)).text)).toMatch(/e-01-t1 +working \((queued #1|landing)\)/);
    expect(plain(renderStatus(await epicProgress(ctx, "e")))).toMatch(
      /Running \(e-01-t1(, session ended)?, (queued to land #1|landing)\)/,
    );

    const second = await call(client, "land", { waitSeconds: 20 });
    expect(second.data).toMatchObject({
      state: "landed",
      target: "feature/e",
      commits: [expect.any(String)],
    });
    expect(gitIn(root, "log", "-1", "--format=%s", "feature/e")).toBe("add a");
    const tip = gitIn(root, "rev-parse", "feature/e");
    const again = await call(client, "land", {});
    expect(again.data).toMatchObject({ state: "landed", commits: second.data!.commits });
    expect(gitIn(root, "rev-parse", "feature/e")).toBe(tip);
    const [after] = await listWorkerViews(ctx, { withChanges: false });
    expect(after!.landing).toMatchObject({ state: "landed" });
    await close();
  });
});

describe("resources", () => {
  it("reads issues, epics and workers; refuses path tricks", async () => {
    const { ctx } = await repoWithEpic();
    const { client, close } = await connect(ctx);
    await call(client, "plan_epic", plan([task("jwt"), task("oauth", ["jwt"])]));
    const issue = await client.readResource({ uri: "jig://issues/feature-auth-01-jwt" });
    expect((issue.contents[0] as { text: string }).text).toContain("# Do jwt");
    const epic = JSON.parse(
      ((await client.readResource({ uri: "jig://epics/feature-auth" })).contents[0] as { text: string }).text,
    );
    expect(epic.subtasks.map((s: { id: string; state: string }) => `${s.id}:${s.state}`)).toEqual([
      "feature-auth-01-jwt:ready",
      "feature-auth-02-oauth:waiting",
    ]);
    expect(
      JSON.parse(
        ((await client.readResource({ uri: "jig://workers" })).contents[0] as { text: string }).text,
      ),
    ).toEqual({ workers: [], alarms: [] });
    // Each refusal names the value and why, with a JSON-RPC code that says which kind it is.
    const refusals: [string, number, RegExp][] = [
      [
        "jig://issues/..%2F..%2Fetc%2Fpasswd",
        -32602,
        /^MCP error -32602: \[INVALID_INPUT\] issue id "\.\.\/\.\.\/etc\/passwd" is not a safe name: it contains '\.\.'/,
      ],
      [
        "jig://issues/%2Fetc%2Fpasswd",
        -32602,
        // the absolute path is scrubbed from what a client is told (no paths outside the repo)
        /^MCP error -32602: \[INVALID_INPUT\] issue id "<path>" is not a safe name: it contains a path separator/,
      ],
      ["jig://issues/nope", -32002, /^MCP error -32002: \[NOT_FOUND\] no issue matches "nope"/],
      ["jig://epics/..%2Fsecrets", -32602, /^MCP error -32602: \[INVALID_INPUT\] epic id "\.\.\/secrets"/],
    ];
    for (const [uri, code, message] of refusals) {
      const error = (await client.readResource({ uri }).catch((e: unknown) => e)) as McpError;
      expect(error, uri).toBeInstanceOf(McpError);
      expect(error.code, uri).toBe(code);
      expect(error.message, uri).toMatch(message);
    }
    const completion = await client.complete({
      ref: { type: "ref/resource", uri: "jig://issues/{id}" },
      argument: { name: "id", value: "feature-auth-0" },
    });
    expect(completion.completion.values).toEqual(["feature-auth-01-jwt", "feature-auth-02-oauth"]);
    await close();
  });

  it("notifies subscribers when a human edits an issue file", async () => {
    const { root, ctx } = await repoWithEpic();
    const { client, close } = await connect(ctx, ADMIN);
    await call(client, "plan_epic", plan([task("jwt")]));
    const updated = new Promise<string>((resolve) =>
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri)),
    );
    await client.subscribeResource({ uri: "jig://issues/feature-auth-01-jwt" });
    const file = join(root, "issues", "feature-auth-01-jwt.md");
    writeFileSync(file, readFileSync(file, "utf8").replace("status: planned", "status: blocked"));
    await expect(updated).resolves.toBe("jig://issues/feature-auth-01-jwt");
    await close();
  });
});
