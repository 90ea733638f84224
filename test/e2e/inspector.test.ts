import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { CLI_ENTRY, PACKAGE_ROOT } from "../../src/version.js";
import { gitIn, gitRepo, testEnv } from "../helpers/repo.js";
import { epicFiles, makeWorker } from "../helpers/workers.js";

// An independent client: the MCP Inspector's CLI (0.14, the last release that runs on Node 20).
const INSPECTOR = join(PACKAGE_ROOT, "node_modules", ".bin", "mcp-inspector");

function inspect(root: string, args: string[]): unknown {
  const out = execFileSync(INSPECTOR, ["--cli", process.execPath, CLI_ENTRY, "serve", "--stdio", ...args], {
    cwd: root,
    env: { ...process.env, ...testEnv },
    encoding: "utf8",
    timeout: 60_000,
  });
  return JSON.parse(out);
}

describe("MCP Inspector CLI against jig serve --stdio", () => {
  it("lists tools, calls one and reads a resource", () => {
    const root = gitRepo({ "README.md": "x\n", ...epicFiles("e", 2) });
    const tools = inspect(root, ["--method", "tools/list"]) as { tools: { name: string }[] };
    expect(tools.tools.map((t) => t.name)).toEqual([
      "plan_epic",
      "claim_task",
      "set_status",
      "land",
      "list_tasks",
      "get_task",
      "check_conflicts",
    ]);
    const call = inspect(root, [
      "--method",
      "tools/call",
      "--tool-name",
      "list_tasks",
      "--tool-arg",
      "epic=e",
    ]) as { content: { text: string }[]; structuredContent: { total: number } };
    expect(call.structuredContent.total).toBe(2);
    expect(call.content[0]!.text).toContain("e-01-t1 [planned, ready]");
    const read = inspect(root, ["--method", "resources/read", "--uri", "jig://issues/e-02-t2"]) as {
      contents: { text: string }[];
    };
    expect(read.contents[0]!.text).toContain("# Task 2");
  });

  it("calls every tool (as the admin, beside a registered worker)", async () => {
    const root = gitRepo({ "README.md": "x\n", ...epicFiles("e", 2), "issues/f.md": "---\n---\n# F\n" });
    gitIn(root, "branch", "feature/e");
    await makeWorker(await openContext({ root }), "e-02-t2");
    const call = (tool: string, ...args: string[]) =>
      inspect(root, [
        "--method",
        "tools/call",
        "--tool-name",
        tool,
        ...args.flatMap((arg) => ["--tool-arg", arg]),
      ]) as { content: { text: string }[]; isError?: boolean };
    const text = (result: { content: { text: string }[] }) => result.content[0]!.text;
    expect(text(call("get_task", "id=e-01-t1"))).toContain("# Task 1");
    expect(text(call("claim_task", "issue=e-01-t1"))).toContain("Claimed task e-01-t1");
    expect(text(call("set_status", "worker=e-02-t2", "status=working"))).toContain("e-02-t2");
    const conflicts = call("check_conflicts", "worker=e-02-t2") as ReturnType<typeof call> & {
      structuredContent: { target: string[]; targetBranch: string; workers: unknown[] };
    };
    expect(conflicts.isError).toBeFalsy();
    expect(conflicts.structuredContent).toMatchObject({ target: [], targetBranch: "feature/e", workers: [] });
    expect(text(conflicts)).toContain("No conflict with the target feature/e.");
    const land = call("land", "worker=e-02-t2");
    expect(land.isError).toBe(true);
    expect(text(land)).toContain("has no commits that are not already on feature/e");
    const plan = JSON.stringify([
      { title: "Write f", slug: "only", objective: "Write f.", acceptanceCriteria: ["f exists"] },
    ]);
    expect(text(call("plan_epic", "epic=f", `subtasks=${plan}`))).toContain("f-01-only");
    expect(text(call("list_tasks", "status=in-progress"))).toContain("e-01-t1");
  });
});
