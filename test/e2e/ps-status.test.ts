// What a person reads while an epic runs: `jig ps` (compact, fits 100 columns, says what landed, hides
// finished epics' workers, --watch plain in a pipe) and a gate's failure shown whole in ps, status, run.
import { stripVTControlCharacters as plain } from "node:util";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { background, script, waitFor, writeAndLand } from "../helpers/epic.js";
import { gitRepo, issueFile } from "../helpers/repo.js";

const EPIC = "an-epic-with-a-really-quite-long-name-to-test-widths";
const SLUG = "a-slug-that-is-also-rather-long-here";

function repoWithEpic(epic: string, tasks: { slug: string; steps: unknown[] }[], config: object) {
  const plan = {
    subtasks: tasks.map((t) => ({
      title: `Task ${t.slug}`,
      slug: t.slug,
      objective: `Do ${t.slug}.`,
      acceptanceCriteria: ["done"],
      context: script(t.steps),
    })),
  };
  const root = gitRepo({
    "README.md": "# r\n",
    "jig.json": JSON.stringify({ agent: "scripted", maxRetries: 0, ...config }),
    [`issues/${epic}.md`]: issueFile({}, `# Epic\n\n\`\`\`jig-plan\n${JSON.stringify(plan)}\n\`\`\`\n`),
  });
  expect(runCli(root, ["init"]).code).toBe(0);
  return root;
}

describe("jig ps", () => {
  it("fits 100 columns, shows what a landed worker landed, hides a finished epic's workers unless --all", async () => {
    const root = repoWithEpic(EPIC, [{ slug: SLUG, steps: writeAndLand("a.txt", "one\ntwo\n") }], {});
    const ran = runCli(root, ["plan", EPIC, "--auto"], { timeoutMs: 120_000 });
    expect(ran.code, ran.stderr).toBe(0);
    const worker = `${EPIC}-01-${SLUG}`;

    const hidden = runCli(root, ["ps"]);
    expect(hidden.stdout).not.toContain("landed");
    expect(hidden.stdout).toContain(
      "1 finished worker(s) of completed epics not shown (jig ps --all shows them)",
    );
    expect(JSON.parse(runCli(root, ["ps", "--json"]).stdout).hidden).toBe(1);

    for (const args of [
      ["ps", "--all"],
      ["ps", "--epic", EPIC],
    ]) {
      const shown = plain(runCli(root, args).stdout);
      const lines = shown.split("\n");
      for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(100);
      expect(lines[0]).toMatch(/^WORKER +STATUS +CHANGES/);
      // The name is clipped in the middle, so its epic and its slug both stay readable.
      const row = lines.find((line) => line.includes("landed"))!;
      expect(row).toMatch(/^an-epic-with-a-really.*….*rather-long-here +landed 1 commit +\+2 -0/);
      expect(worker.length).toBeGreaterThan(60);
    }
    const json = JSON.parse(runCli(root, ["ps", "--all", "--json"]).stdout);
    expect(json.workers[0].landed).toMatchObject({ commits: 1, changes: { added: 2, removed: 0, files: 1 } });
  });

  it("--watch into a pipe writes plain frames, no screen-clearing codes", async () => {
    const root = gitRepo();
    expect(runCli(root, ["init"]).code).toBe(0);
    const watch = background(root, ["ps", "--watch"]);
    await waitFor(() => watch.output().includes("no workers"), "the first frame", { dump: watch.output });
    watch.child.kill("SIGINT");
    await watch.exited;
    expect(watch.output()).not.toContain("\x1b");
    expect(watch.output()).toBe("no workers\n"); // unchanged frames are not repeated
  });
});

describe("a gate's failure, shown whole", () => {
  it("jig run, jig ps and jig status show the gate's output tail on real lines", () => {
    const gate =
      "node -e \"for (let i = 1; i <= 30; i++) console.log('test ' + i + ' ok'); console.log('FAIL sum: expected 3, got 4'); process.exit(1)\"";
    const root = repoWithEpic("ep", [{ slug: "a", steps: writeAndLand("a.txt", "a\n") }], {
      gate: { command: gate, timeoutSeconds: 60 },
    });
    const ran = runCli(root, ["plan", "ep", "--auto"], { timeoutMs: 120_000 });
    expect(ran.code).toBe(1);
    const run = plain(ran.stdout);
    // The first line says what failed (clipped to the screen), the tail says why.
    expect(run).toMatch(/✗ 01-a +Blocked:\n {4}the gate `node -e .*\n {4}… \d+ line\(s\) left out\n/);
    expect(run).toContain("\n    FAIL sum: expected 3, got 4\n");
    expect(run).not.toContain("\\n");

    const status = plain(runCli(root, ["status", "ep"]).stdout);
    expect(status).toContain("\n    FAIL sum: expected 3, got 4");
    expect(status).toContain("\n    test 30 ok\n");
    expect(status).toMatch(/\n {4}… \d+ line\(s\) left out\n/);

    const ps = plain(runCli(root, ["ps"]).stdout);
    expect(ps).toContain("ep-01-a blocked:\n  the gate `node -e");
    expect(ps).toContain("\n  FAIL sum: expected 3, got 4");
    expect(ps).not.toContain("\\n");
    for (const line of ps.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
  });
});
