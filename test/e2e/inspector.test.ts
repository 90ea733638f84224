import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_ENTRY, PACKAGE_ROOT } from "../../src/version.js";
import { gitRepo, testEnv } from "../helpers/repo.js";
import { epicFiles } from "../helpers/workers.js";

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
});
