import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { IssueStore } from "../../src/core/issue-store.js";
import { runCli } from "../helpers/cli.js";
import { gitRepo, issueFile, tempDir, testEnv } from "../helpers/repo.js";
import { epicFiles } from "../helpers/workers.js";
import { callTool, stdioClient } from "../reliability/harness.js";

// A store that trusts a watch (as `jig serve` does) must still see every edit by another process — a
// human's editor writing in place or through a rename, another jig process, a directory replaced —
// on the very next read. Each edit below is made by a separate process, which answers only once the
// edit is on disk; the read follows at once.

const WRITER = join(import.meta.dirname, "..", "fixtures", "store-writer.mjs");

// A "human" in another process: one line per edit on stdin, "ok" on stdout once it is written.
const HUMAN = `
const fs = require("node:fs");
let buffer = "";
process.stdin.on("data", (chunk) => {
  buffer += chunk;
  let at;
  while ((at = buffer.indexOf("\\n")) >= 0) {
    const { op, path, to, content } = JSON.parse(buffer.slice(0, at));
    buffer = buffer.slice(at + 1);
    if (op === "write") fs.writeFileSync(path, content);
    if (op === "rename") { fs.writeFileSync(to, content); fs.renameSync(to, path); }
    if (op === "delete") fs.rmSync(path);
    process.stdout.write("ok\\n");
  }
});
`;

interface Human {
  edit(command: {
    op: "write" | "rename" | "delete";
    path: string;
    to?: string;
    content?: string;
  }): Promise<void>;
  stop(): void;
}

function startHuman(): Human {
  const child: ChildProcess = spawn(process.execPath, ["-e", HUMAN], { stdio: ["pipe", "pipe", "inherit"] });
  const waiting: (() => void)[] = [];
  let out = "";
  child.stdout!.on("data", (chunk) => {
    out += chunk;
    while (out.includes("ok\n")) {
      out = out.slice(out.indexOf("ok\n") + 3);
      waiting.shift()?.();
    }
  });
  return {
    edit: (command) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the editing process did not answer: ${out}`)),
          30_000,
        );
        waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
        child.stdin!.write(`${JSON.stringify(command)}\n`);
      }),
    stop: () => child.kill(),
  };
}

const task = (status: string, assigned = "", title = "A task") =>
  issueFile({ epic: "e", status, assigned: assigned || null }, `# ${title}\n\n## Objective\nDo it.\n`);

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const each of cleanup.splice(0)) each();
});

function trackedStore() {
  const root = tempDir();
  const dir = join(root, "issues");
  mkdirSync(dir);
  writeFileSync(join(dir, "e.md"), issueFile({ target: "feature/e" }, "# E\n"));
  writeFileSync(join(dir, "e-01-a.md"), task("planned"));
  writeFileSync(join(dir, "e-02-b.md"), task("planned"));
  const stateDir = join(root, ".jig", "locks", "issue-store");
  const store = new IssueStore({ dir, stateDir });
  store.trackChanges();
  cleanup.push(() => store.stopTracking());
  const human = startHuman();
  cleanup.push(() => human.stop());
  const statusOf = async (id: string) => (await store.load()).issues.find((issue) => issue.id === id)?.status;
  return { root, dir, stateDir, store, human, statusOf };
}

describe("IssueStore with a watch (trackChanges)", () => {
  it("sees an in-place edit by another process on the very next load, however quickly they follow", async () => {
    const { dir, store, human, statusOf } = trackedStore();
    await store.load();
    // planned ↔ blocked: the same size, many times within one second, so size and mtime often stay
    // the same — only the change event (and the racily-clean re-read) can tell.
    for (let i = 0; i < 30; i++) {
      const status = i % 2 === 0 ? "blocked" : "planned";
      await human.edit({ op: "write", path: join(dir, "e-01-a.md"), content: task(status) });
      expect(await statusOf("e-01-a"), `edit ${i}`).toBe(status);
    }
  });

  it("sees an editor's write-then-rename, a new file and a deleted one on the very next load", async () => {
    const { dir, store, human, statusOf } = trackedStore();
    await store.load();
    for (let i = 0; i < 10; i++) {
      const status = i % 2 === 0 ? "blocked" : "planned";
      await human.edit({
        op: "rename",
        path: join(dir, "e-02-b.md"),
        to: join(dir, ".e-02-b.md.swp"),
        content: task(status),
      });
      expect(await statusOf("e-02-b"), `rename ${i}`).toBe(status);
      await human.edit({ op: "write", path: join(dir, `e-0${3 + i}-new.md`), content: task("planned") });
      expect(await statusOf(`e-0${3 + i}-new`), `created ${i}`).toBe("planned");
      await human.edit({ op: "delete", path: join(dir, `e-0${3 + i}-new.md`) });
      expect(await statusOf(`e-0${3 + i}-new`), `deleted ${i}`).toBeUndefined();
    }
  });

  it("a status change updates the snapshot in place of a rebuild: earlier snapshots stay as they were, positions stay true", async () => {
    const { dir, store, human } = trackedStore();
    const consistent = (snapshot: Awaited<ReturnType<IssueStore["load"]>>) => {
      expect(snapshot.positions?.size).toBe(snapshot.issues.length);
      for (const [id, at] of snapshot.positions!) expect(snapshot.issues[at]?.id).toBe(id);
    };
    const first = await store.load();
    await human.edit({ op: "write", path: join(dir, "e-01-a.md"), content: task("blocked") });
    const second = await store.load();
    expect(first.issues.find((issue) => issue.id === "e-01-a")?.status).toBe("planned");
    expect(second.issues.find((issue) => issue.id === "e-01-a")?.status).toBe("blocked");
    expect(second.shape).toBe(first.shape);
    expect(second.version).not.toBe(first.version);
    consistent(second);
    // A file turned invalid changes the shape (the issue leaves the list, a problem names it)...
    await human.edit({ op: "write", path: join(dir, "e-01-a.md"), content: "---\nstatus: [\n---\n" });
    const broken = await store.load();
    expect(broken.issues.map((issue) => issue.id).sort()).toEqual(["e", "e-02-b"]);
    expect(broken.problems.map((problem) => problem.file)).toContain("e-01-a.md");
    consistent(broken);
    // ...and a status change after that lands on the right issue.
    await human.edit({ op: "write", path: join(dir, "e-02-b.md"), content: task("blocked", "w1") });
    const after = await store.load();
    expect(after.issues.find((issue) => issue.id === "e-02-b")?.assigned).toBe("w1");
    expect(broken.issues.find((issue) => issue.id === "e-02-b")?.assigned).toBeNull();
    expect(after.problems).toEqual(broken.problems);
    consistent(after);
  });

  it("a file written again with the same text keeps the snapshot's version (derived rows are not rebuilt)", async () => {
    const { dir, store, human } = trackedStore();
    const first = await store.load();
    await human.edit({ op: "write", path: join(dir, "e-01-a.md"), content: task("planned") });
    await human.edit({
      op: "rename",
      path: join(dir, "e-02-b.md"),
      to: join(dir, ".b.swp"),
      content: task("planned"),
    });
    const again = await store.load();
    expect(again.version).toBe(first.version);
    await human.edit({ op: "write", path: join(dir, "e-01-a.md"), content: task("blocked") });
    expect((await store.load()).version).not.toBe(first.version);
  });

  it("sees another jig process's writes, and its own writes at once", async () => {
    const { dir, stateDir, store, statusOf } = trackedStore();
    await store.load();
    const child = spawn(process.execPath, [WRITER, dir, stateDir, "e-01-a", "5"], {
      env: { ...process.env, ...testEnv },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) =>
      child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`)))),
    );
    expect((await store.load()).issues.find((issue) => issue.id === "e-01-a")?.assigned).toBe("5");
    await store.update("e-02-b", () => ({ status: "blocked" }));
    expect(await statusOf("e-02-b")).toBe("blocked");
    await store.transact(() => ({ writes: [{ id: "e-02-b", content: task("complete") }], result: null }));
    expect(await statusOf("e-02-b")).toBe("complete");
  });

  it("follows the directory when it is deleted and made again, and still sees in-place edits after", async () => {
    const { dir, store, human, statusOf } = trackedStore();
    await store.load();
    rmSync(dir, { recursive: true });
    expect((await store.load()).issues).toEqual([]);
    mkdirSync(dir);
    writeFileSync(join(dir, "e.md"), issueFile({ target: "feature/e" }, "# E\n"));
    writeFileSync(join(dir, "e-09-z.md"), task("planned"));
    const ids = async () => (await store.load()).issues.map((issue) => issue.id).sort();
    expect(await ids()).toEqual(["e", "e-09-z"]);
    // Replaced under a live watch this time (moved away, a new one moved in).
    const fresh = `${dir}.new`;
    mkdirSync(fresh);
    writeFileSync(join(fresh, "e.md"), issueFile({ target: "feature/e" }, "# E\n"));
    writeFileSync(join(fresh, "e-08-y.md"), task("planned"));
    renameSync(dir, `${dir}.old`);
    renameSync(fresh, dir);
    expect(await ids()).toEqual(["e", "e-08-y"]);
    // The watch now follows the new directory: an in-place edit (no entry added or removed) is seen.
    for (const status of ["blocked", "planned", "blocked"]) {
      await human.edit({ op: "write", path: join(dir, "e-08-y.md"), content: task(status) });
      expect(await statusOf("e-08-y")).toBe(status);
    }
  });

  it("sees a rename whose change event was lost (the directory check is the backstop)", async () => {
    const { dir, store, human, statusOf } = trackedStore();
    await store.load();
    await human.edit({
      op: "rename",
      path: join(dir, "e-01-a.md"),
      to: join(dir, ".e-01-a.tmp"),
      content: task("blocked"),
    });
    // As if inotify's queue had overflowed: the events are delivered, then forgotten.
    await new Promise((resolve) => setTimeout(resolve, 50));
    (store as unknown as { tracker: { dirty: Set<string> } }).tracker.dirty.clear();
    expect(await statusOf("e-01-a")).toBe("blocked");
  });
});

describe("jig serve's reads see every edit", () => {
  it("list_tasks and claim_task over MCP see a human's in-place edit on the very next call; the CLI too", async () => {
    const root = gitRepo({ "README.md": "# r\n", ...epicFiles("e", 3) });
    const client = await stdioClient(root);
    cleanup.push(() => void client.close());
    const file = join(root, "issues", "e-02-t2.md");
    const original = readFileSync(file, "utf8");
    const statusIn = async () => {
      const { data } = await callTool(client, "list_tasks", {});
      return (data as { tasks: { id: string; status: string }[] }).tasks.find((t) => t.id === "e-02-t2")
        ?.status;
    };
    expect(await statusIn()).toBe("planned");
    for (let i = 0; i < 10; i++) {
      const status = i % 2 === 0 ? "blocked" : "planned";
      writeFileSync(file, original.replace("status: planned", `status: ${status}`));
      expect(await statusIn(), `edit ${i}`).toBe(status);
      if (i >= 2) continue;
      // The CLI (one process per command, no watch) reads every file: it sees the edit too.
      const cli = runCli(root, ["issues", "list", "--json"]);
      const listed = (JSON.parse(cli.stdout) as { issues: { id: string; status: string }[] }).issues;
      expect(listed.find((issue) => issue.id === "e-02-t2")?.status, cli.stderr).toBe(status);
    }
    // The human blocks the task: the very next claim refuses it; unblocked, the next claim takes it.
    writeFileSync(file, original.replace("status: planned", "status: blocked"));
    const refused = await callTool(client, "claim_task", { issue: "e-02-t2" });
    expect(refused.isError, refused.text).toBe(true);
    expect(refused.text).toMatch(/cannot be claimed: it is blocked/);
    writeFileSync(file, original);
    const claimed = await callTool(client, "claim_task", { issue: "e-02-t2" });
    expect(claimed.isError, claimed.text).toBe(false);
    expect(readFileSync(file, "utf8")).toMatch(/status: in-progress/);
    // A human hands it back at once; the next list says so.
    writeFileSync(file, original);
    expect(await statusIn()).toBe("planned");
  });
});
