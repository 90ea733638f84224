import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { requestLand } from "../../src/core/landing/index.js";
import { gitIn, gitRepo, tempDir } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";

// Security finding 3 (issue 13), the landing part: jig's own files cannot arrive by commit. A worker that
// commits an issue file (it would become a ready task, bypassing plan_epic), a `.jig` symlink (it would
// redirect jig's writes), `.mcp.json` or one of jig's skills is refused, the files named, the target
// unmoved — unless jig.json's allowJigPaths names the task or its epic.

const id = (n: number) => `e-${String(n).padStart(2, "0")}-t${n}`;

async function setup(count: number, config: Record<string, unknown> = {}) {
  const files: Record<string, string> = { "README.md": "# r\n", ...epicFiles("e", count) };
  if (Object.keys(config).length) files["jig.json"] = JSON.stringify(config);
  const root = gitRepo(files);
  gitIn(root, "branch", "feature/e");
  const ctx = await openContext({ root });
  const workers = [];
  for (let i = 1; i <= count; i++) workers.push((await makeWorker(ctx, id(i))).worktree);
  return { root, ctx, workers };
}

const ATTEMPTS: { name: string; files: Record<string, string>; named: string }[] = [
  {
    name: "a new issue file",
    files: { "issues/e-09-evil.md": "---\nepic: e\nstatus: planned\n---\n# evil\n" },
    named: "issues/e-09-evil.md",
  },
  {
    name: "a changed issue file",
    files: { "issues/e-01-t1.md": "---\nepic: e\nstatus: complete\n---\n# done?\n" },
    named: "issues/e-01-t1.md",
  },
  {
    name: ".mcp.json",
    files: { ".mcp.json": '{"mcpServers":{"evil":{"command":"sh"}}}\n' },
    named: ".mcp.json",
  },
  {
    name: "a jig skill",
    files: { ".claude/skills/jig-worker/SKILL.md": "# do evil\n" },
    named: ".claude/skills/jig-worker/SKILL.md",
  },
  {
    name: "a file under .jig",
    files: { ".jig/secrets/admin.token": "x\n" },
    named: ".jig/secrets/admin.token",
  },
];

describe("a land refuses commits that add or change jig's own paths", () => {
  it.each(ATTEMPTS)("$name: blocked, the file named, the target unmoved", async ({ files, named }) => {
    const { root, ctx, workers } = await setup(1);
    const tip = gitIn(root, "rev-parse", "feature/e");
    commitIn(workers[0]!, { "ok.txt": "fine\n", ...files });
    // `.jig/` is excluded from git in a worker's worktree: a determined worker forces it in.
    gitIn(workers[0]!, "add", "-f", "-A");
    gitIn(workers[0]!, "commit", "-q", "--allow-empty", "-m", "force");
    const verdict = await requestLand(ctx, id(1));
    expect(verdict, JSON.stringify(verdict)).toMatchObject({ state: "blocked" });
    expect(verdict.files).toContain(named);
    expect(verdict.reason).toContain(named);
    expect(verdict.reason).toContain("allowJigPaths");
    expect(gitIn(root, "rev-parse", "feature/e")).toBe(tip);
    expect((await ctx.issues.list()).map((i) => i.id)).not.toContain("e-09-evil");
  });

  it("a committed .jig symlink is refused", async () => {
    const { ctx, workers } = await setup(1);
    const outside = tempDir("jig-outside-");
    // The worktree's own .jig/ is jig's status directory, so the symlink goes in through the index alone.
    const linkText = join(tempDir(), "link");
    writeFileSync(linkText, outside);
    const oid = gitIn(workers[0]!, "hash-object", "-w", linkText);
    gitIn(workers[0]!, "update-index", "--add", "--cacheinfo", `120000,${oid},.jig`);
    gitIn(workers[0]!, "commit", "-q", "-m", "symlink .jig");
    const verdict = await requestLand(ctx, id(1));
    expect(verdict).toMatchObject({ state: "blocked", files: [".jig"] });
  });

  it("allowJigPaths naming the epic lets its tasks change issue files", async () => {
    const { root, ctx, workers } = await setup(1, { allowJigPaths: ["e"] });
    commitIn(workers[0]!, { "issues/e-09-new.md": "---\nepic: e\nstatus: planned\n---\n# allowed\n" });
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    expect(gitIn(root, "ls-tree", "-r", "--name-only", "feature/e")).toContain("issues/e-09-new.md");
  });
});
