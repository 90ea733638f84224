import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseIssue } from "../../src/core/issue.js";
import { IssueStore } from "../../src/core/issue-store.js";
import { issueFile, tempDir, testEnv } from "../helpers/repo.js";

const WRITER = join(import.meta.dirname, "..", "fixtures", "store-writer.mjs");

function setup(files: Record<string, string>) {
  const root = tempDir();
  const dir = join(root, "issues");
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const stateDir = join(root, ".jig", "locks", "issue-store");
  return { root, dir, stateDir, store: new IssueStore({ dir, stateDir }) };
}

const snapshotDir = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), "utf8")]));

function runWriter(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<number> } {
  const child = spawn(process.execPath, [WRITER, ...args], {
    env: { ...process.env, ...testEnv, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (chunk) => {
    err += chunk;
  });
  const done = new Promise<number>((resolve, reject) =>
    child.on("exit", (code, signal) =>
      code === 0 || signal ? resolve(code ?? -1) : reject(new Error(`writer exited ${code}: ${err}`)),
    ),
  );
  return { child, done };
}

describe("IssueStore", () => {
  it("loads a directory, reporting every problem without stopping at the first", async () => {
    const { store } = setup({
      "e.md": issueFile({ target: "feature/e" }, "# Epic\n"),
      "e-01-a.md": issueFile({ epic: "e", status: "complete" }),
      "e-02-b.md": issueFile({ epic: "e", depends: ["e-01-a"] }),
      "e-03-c.md": issueFile({ epic: "e", depends: ["e-04-d"] }),
      "e-04-d.md": issueFile({ epic: "e", depends: ["e-03-c"] }),
      "e-05-e.md": issueFile({ epic: "e", status: "finished" }),
      "e-06-f.md": issueFile({ epic: "e", depends: ["e-99-ghost"] }),
      "E-07-g.md": issueFile({ epic: "E" }),
      "e-07-G.md": "---\nepic: [\n---\n",
      "notes.txt": "ignored",
    });
    writeFileSync(join(store.dir, "bad-utf8.md"), Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0xfe, 0x0a]));
    writeFileSync(join(store.dir, "huge.md"), `---\nepic: huge\n---\n${"x".repeat(1024 * 1024 + 10)}`);
    const { issues, problems } = await store.load();
    expect(issues.map((issue) => issue.id).sort()).toEqual([
      "E-07-g",
      "e",
      "e-01-a",
      "e-02-b",
      "e-03-c",
      "e-04-d",
      "e-06-f",
    ]);
    const byFile = problems.map((p) => `${p.file}|${p.field}|${p.message}`);
    expect(byFile).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^e-05-e\.md\|status\|field 'status': expected one of planned/),
        expect.stringMatching(/^e-07-G\.md\|null\|malformed YAML/),
        "bad-utf8.md|null|the file is not valid UTF-8",
        expect.stringMatching(/^huge\.md\|null\|the file is \d+ bytes, over the 1048576-byte limit/),
        "e-06-f.md|depends|depends on 'e-99-ghost', which does not exist",
        expect.stringMatching(
          /^e-0[34]-[cd]\.md\|depends\|dependency cycle: e-0[34]-[cd] → e-0[34]-[cd] → e-0[34]-[cd]$/,
        ),
      ]),
    );
  });

  it("re-reads only files that changed", async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 300; i++) files[`e-${String(i).padStart(3, "0")}-t.md`] = issueFile({ epic: "e" });
    const { store, dir } = setup(files);
    // Files changed in the last second are re-read on purpose (racily clean); these are older.
    const past = new Date(Date.now() - 60_000);
    for (const name of readdirSync(dir)) utimesSync(join(dir, name), past, past);
    const first = await store.load();
    const second = await store.load();
    expect(second.issues[5]).toBe(first.issues[5]);
    await store.update("e-006-t", () => ({ status: "blocked" }));
    utimesSync(join(dir, "e-006-t.md"), past, past);
    const third = await store.load();
    expect(third.issues[5]).not.toBe(first.issues[5]);
    expect(third.issues[5]!.status).toBe("blocked");
    expect(third.issues[6]).toBe(first.issues[6]);
  });

  it("update is a compare-and-set: a refusal writes nothing", async () => {
    const { store, dir } = setup({
      "e-01-a.md": issueFile({ epic: "e", status: "in-progress", assigned: "w1" }),
    });
    const before = snapshotDir(dir);
    await expect(
      store.update("e-01-a", (issue) => {
        if (issue.status !== "planned") throw new Error(`already ${issue.status}`);
        return { assigned: "w2" };
      }),
    ).rejects.toThrow("already in-progress");
    expect(snapshotDir(dir)).toEqual(before);
    await expect(store.update("e-99-x", () => ({}))).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("transact writes all files or none, and a crashed multi-file write is rolled forward", async () => {
    const { store, dir, stateDir } = setup({ "e.md": issueFile({}, "# E\n") });
    await expect(
      store.transact(() => ({
        writes: [
          { id: "e-01-a", content: issueFile({ epic: "e" }) },
          { id: "e-02-b", content: "---\nstatus: nope\n---\n" },
        ],
        result: null,
      })),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect(readdirSync(dir).sort()).toEqual(["e.md"]);

    // Simulate a writer killed after its journal was written but before every file was renamed in.
    const journalDir = join(stateDir, "journal");
    mkdirSync(journalDir, { recursive: true });
    const writes = [1, 2, 3].map((n) => ({
      id: `e-0${n}-t`,
      content: issueFile({ epic: "e" }, `# T${n}\n`),
    }));
    writeFileSync(join(journalDir, "1-dead.json"), JSON.stringify({ writes }));
    writeFileSync(join(dir, "e-01-t.md"), writes[0]!.content);
    const { issues } = await store.load();
    expect(issues.map((issue) => issue.id).sort()).toEqual(["e", "e-01-t", "e-02-t", "e-03-t"]);
    expect(readdirSync(journalDir)).toEqual([]);
  });

  it("many processes updating one issue lose no update and tear no file", async () => {
    const { store, dir, stateDir } = setup({
      "e-01-a.md": issueFile({ epic: "e", assigned: "0" }, "# Counter\n\nbody stays\n"),
    });
    const processes = 8;
    const each = 25;
    await Promise.all(
      Array.from({ length: processes }, () => runWriter([dir, stateDir, "e-01-a", String(each)]).done),
    );
    const issue = parseIssue("e-01-a", readFileSync(join(dir, "e-01-a.md"), "utf8"));
    expect(issue.assigned).toBe(String(processes * each));
    expect(issue.body).toBe("# Counter\n\nbody stays\n");
    expect((await store.load()).problems).toEqual([]);
  });

  it("a writer killed with SIGKILL mid-update leaves a whole file and a lock the next writer gets", async () => {
    const { dir, stateDir } = setup({ "e-01-a.md": issueFile({ epic: "e", assigned: "0" }, "# Counter\n") });
    for (let round = 0; round < 3; round++) {
      const { child, done } = runWriter([dir, stateDir, "e-01-a", "100000"], { ANNOUNCE: "1" });
      await new Promise<void>((resolve) => {
        let seen = 0;
        child.stdout!.on("data", (chunk: Buffer) => {
          seen += chunk.toString().split("\n").length - 1;
          if (seen >= 5 + round * 7) resolve();
        });
      });
      child.kill("SIGKILL");
      await done;
      const text = readFileSync(join(dir, "e-01-a.md"), "utf8");
      const count = Number(parseIssue("e-01-a", text).assigned);
      expect(count).toBeGreaterThan(0);
      // The next writer gets the (possibly stale) lock and continues from a consistent value.
      await runWriter([dir, stateDir, "e-01-a", "1"]).done;
      expect(Number(parseIssue("e-01-a", readFileSync(join(dir, "e-01-a.md"), "utf8")).assigned)).toBe(
        count + 1,
      );
    }
    expect(readdirSync(dir).filter((name) => !name.endsWith(".md"))).toEqual([]);
    expect(
      existsSync(join(stateDir, "issues.lock")) && statSync(join(stateDir, "issues.lock")).isDirectory(),
    ).toBe(false);
  });

  it("sweeps temp files a killed writer left, never a live writer's", async () => {
    const { dir, store } = setup({ "e.md": "---\n---\n# E\n" });
    const dead = join(dir, ".jig-tmp-e-01-x.md.999999.0badc0de");
    const live = join(dir, `.jig-tmp-e-02-y.md.${process.pid}.0badc0de`);
    writeFileSync(dead, "half");
    writeFileSync(live, "half");
    const { issues, problems } = await store.load();
    expect(issues.map((i) => i.id)).toEqual(["e"]);
    expect(problems).toEqual([]);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it("takes over a lock whose holder died (stale) instead of wedging", async () => {
    const { store, stateDir } = setup({ "e-01-a.md": issueFile({ epic: "e" }) });
    const lock = join(stateDir, "issues.lock");
    mkdirSync(lock, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const updated = await store.update("e-01-a", () => ({ status: "blocked" }));
    expect(updated.status).toBe("blocked");
    expect(existsSync(lock)).toBe(false);
  });
});
