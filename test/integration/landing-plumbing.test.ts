import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { requestLand, settleDrivers } from "../../src/core/landing/index.js";
import { enqueue } from "../../src/core/landing/queue.js";
import { gitIn, gitRepo, tempDir } from "../helpers/repo.js";
import { commitIn, epicFiles, makeWorker } from "../helpers/workers.js";

// The plumbing rebase (merge-tree + commit-tree in the object store): what a worker's branch can hold —
// several commits with their authors and dates, merge commits, empty commits, rename/delete and binary
// conflicts — and the gate's own checkout and clean environment.

async function setup(count: number, config: Record<string, unknown> = {}) {
  const files: Record<string, string> = {
    "README.md": "# r\n",
    "shared.txt": "line 1\nline 2\nline 3\n",
    ...epicFiles("e", count),
  };
  if (Object.keys(config).length) files["jig.json"] = JSON.stringify(config);
  const root = gitRepo(files);
  gitIn(root, "branch", "feature/e");
  const ctx = await openContext({ root });
  const workers = [];
  for (let i = 1; i <= count; i++) workers.push(await makeWorker(ctx, id(i)));
  return { root, ctx, workers };
}
const id = (n: number) => `e-${String(n).padStart(2, "0")}-t${n}`;
const subjects = (root: string, ref = "feature/e") => gitIn(root, "log", "--format=%s", ref).split("\n");

describe("plumbing rebase", () => {
  it("keeps each commit's author, author date and whole message when rebuilding onto a moved target", async () => {
    const { root, ctx, workers } = await setup(2);
    commitIn(workers[0]!.worktree, { "a.txt": "a\n" }, "a");
    const w = workers[1]!.worktree;
    writeFileSync(join(w, "b.txt"), "b\n");
    gitIn(w, "add", "b.txt");
    const message = "b: first line\n\nA body with\n  indented lines\nand trailing: x\n";
    gitIn(
      w,
      "-c",
      "user.name=Ada",
      "-c",
      "user.email=ada@x",
      "commit",
      "-q",
      "--date=2001-02-03T04:05:06+0100",
      "--author=Ada Author <ada@author>",
      "--cleanup=verbatim",
      "-m",
      message,
    );
    commitIn(w, { "b2.txt": "b2\n" }, "b second");
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    const verdict = await requestLand(ctx, id(2));
    expect(verdict.state).toBe("landed");
    expect(verdict.commits).toHaveLength(2);
    const first = verdict.commits![0]!;
    expect(gitIn(root, "log", "-1", "--format=%an <%ae> %ad", "--date=iso-strict", first)).toBe(
      "Ada Author <ada@author> 2001-02-03T04:05:06+01:00",
    );
    expect(gitIn(root, "log", "-1", "--format=%B", first)).toBe(message.trim());
    expect(subjects(root)).toEqual(["b second", "b: first line", "a", "initial"]);
    expect(gitIn(root, "rev-list", "--merges", "--count", "feature/e")).toBe("0");
  });

  it("a branch with merge commits lands linear: a merge of the target is dropped, a merge of new work kept as one commit", async () => {
    const { root, ctx, workers } = await setup(2);
    commitIn(workers[0]!.worktree, { "a.txt": "a\n" }, "a");
    const w = workers[1]!.worktree;
    commitIn(w, { "b.txt": "b\n" }, "b");
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    // The worker merges the target in (a common way to catch up), and a side branch of its own.
    gitIn(w, "merge", "-q", "--no-edit", "feature/e");
    gitIn(w, "checkout", "-q", "-b", "side", "HEAD~1");
    commitIn(w, { "c.txt": "c\n" }, "c on a side branch");
    gitIn(w, "checkout", "-q", `_jig/${id(2)}`);
    gitIn(w, "merge", "-q", "--no-ff", "-m", "merge side", "side");
    const verdict = await requestLand(ctx, id(2));
    expect(verdict, JSON.stringify(verdict)).toMatchObject({ state: "landed" });
    expect(gitIn(root, "rev-list", "--merges", "--count", "feature/e")).toBe("0");
    expect(subjects(root)).toEqual(["merge side", "b", "a", "initial"]);
    expect(gitIn(root, "ls-tree", "--name-only", "feature/e").split("\n")).toEqual(
      expect.arrayContaining(["a.txt", "b.txt", "c.txt"]),
    );
  });

  it("an empty commit made on purpose is kept; a commit whose change the target already has is dropped", async () => {
    const { root, ctx, workers } = await setup(3);
    commitIn(workers[0]!.worktree, { "same.txt": "same\n" }, "same, first");
    const w = workers[1]!.worktree;
    commitIn(w, { "b.txt": "b\n" }, "b");
    gitIn(w, "commit", "-q", "--allow-empty", "-m", "empty on purpose");
    commitIn(workers[2]!.worktree, { "same.txt": "same\n" }, "same, again");
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    const b = await requestLand(ctx, id(2));
    expect(b.commits).toHaveLength(2);
    // Everything worker 3 did is on the target already: it lands with no commit of its own.
    const c = await requestLand(ctx, id(3));
    expect(c).toMatchObject({ state: "landed", commits: [] });
    expect(subjects(root)).toEqual(["empty on purpose", "b", "same, first", "initial"]);
  });

  it("names the kind of each conflict: rename/delete, binary, content", async () => {
    const { ctx, workers } = await setup(4);
    const [a, b, c, d] = workers.map((w) => w.worktree) as [string, string, string, string];
    gitIn(a, "rm", "-q", "shared.txt");
    gitIn(a, "commit", "-q", "-m", "delete shared");
    gitIn(b, "mv", "shared.txt", "moved.txt");
    gitIn(b, "commit", "-q", "-m", "rename shared");
    expect((await requestLand(ctx, id(1))).state).toBe("landed");
    const renamed = await requestLand(ctx, id(2));
    expect(renamed, JSON.stringify(renamed)).toMatchObject({ state: "blocked" });
    expect(renamed.conflictKinds).toEqual(
      expect.arrayContaining([{ file: "moved.txt", kinds: ["rename/delete"] }]),
    );
    expect(renamed.reason).toContain("rename/delete");
    expect(renamed.fix?.join("\n")).toContain(`git rebase feature/e`);
    commitIn(c, { "img.bin": "\u0000\u0001one\u0000" });
    commitIn(d, { "img.bin": "\u0000\u0002two\u0000" });
    expect((await requestLand(ctx, id(3))).state).toBe("landed");
    const binary = await requestLand(ctx, id(4));
    expect(binary.conflicts).toEqual(["img.bin"]);
    expect(binary.conflictKinds?.[0]?.kinds).toEqual(expect.arrayContaining(["binary"]));
  });
});

describe("one batch, its branches read at once", () => {
  // Both queued before either land is asked for: one driver takes them as one batch (one `git log`).
  async function landTogether(ctx: Awaited<ReturnType<typeof setup>>["ctx"], names: string[]) {
    for (const name of names) await enqueue(ctx.paths, name, "feature/e");
    return Promise.all(names.map((name) => requestLand(ctx, name)));
  }

  it("a branch built on a batch-mate's branch lands only its own commits, kept as they are", async () => {
    const { root, ctx, workers } = await setup(2);
    const a = commitIn(workers[0]!.worktree, { "a.txt": "a\n" }, "a");
    const w = workers[1]!.worktree;
    gitIn(w, "merge", "-q", "--ff-only", `_jig/${id(1)}`);
    const b = commitIn(w, { "b.txt": "b\n" }, "b");
    const [first, second] = await landTogether(ctx, [id(1), id(2)]);
    expect(first).toMatchObject({ state: "landed", commits: [a] });
    // Fast-forwards both: b's parent is a, which is the tip once a landed.
    expect(second).toMatchObject({ state: "landed", commits: [b], tip: b });
    expect(subjects(root)).toEqual(["b", "a", "initial"]);
  });

  it("rebuilt onto a moved target, a batch-mate's commit contained in a later branch lands once", async () => {
    const { root, ctx, workers } = await setup(2);
    commitIn(workers[0]!.worktree, { "a.txt": "a\n" }, "a");
    const w = workers[1]!.worktree;
    gitIn(w, "merge", "-q", "--ff-only", `_jig/${id(1)}`);
    commitIn(w, { "b.txt": "b\n" }, "b");
    gitIn(root, "checkout", "-q", "feature/e");
    commitIn(root, { "human.txt": "h\n" }, "human");
    gitIn(root, "checkout", "-q", "main");
    const [first, second] = await landTogether(ctx, [id(1), id(2)]);
    expect(first).toMatchObject({ state: "landed" });
    expect(second).toMatchObject({ state: "landed" });
    expect(second?.commits).toHaveLength(1);
    expect(subjects(root)).toEqual(["b", "a", "human", "initial"]);
    expect(gitIn(root, "ls-tree", "--name-only", "feature/e").split("\n")).toEqual(
      expect.arrayContaining(["a.txt", "b.txt", "human.txt"]),
    );
  });

  it("names every uncommitted file: staged rename, spaces in names, modified, untracked", async () => {
    const { ctx, workers } = await setup(1);
    const w = workers[0]!.worktree;
    commitIn(w, { "kept.txt": "k\n" }, "k");
    gitIn(w, "mv", "shared.txt", "moved file.txt");
    writeFileSync(join(w, "README.md"), "changed\n");
    writeFileSync(join(w, "new one.txt"), "n\n");
    const refused = await requestLand(ctx, id(1)).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "PRECONDITION_FAILED" });
    const files = (refused as { details: { files: string[] } }).details.files;
    expect([...files].sort()).toEqual(["README.md", "moved file.txt", "new one.txt"]);
  });
});

describe("the gate's own checkout", () => {
  it("runs in a jig-owned checkout of the exact tip, with a clean environment and secrets scrubbed", async () => {
    const out = join(tempDir(), "gate-env");
    const gate = `env > ${out}; pwd >> ${out}; git rev-parse HEAD >> ${out}; echo "token jig_worker.abc.secretsecretsecret"; exit 1`;
    const { root, ctx, workers } = await setup(1, {
      gate: { command: gate, timeoutSeconds: 30, env: { GATE_VAR: "given" } },
    });
    const w = workers[0]!.worktree;
    commitIn(w, { "a.txt": "a\n" });
    process.env.JIG_TOKEN = "jig_admin.leaked.secretsecretsecret";
    process.env.SOME_AGENT_SECRET = "agent-only";
    try {
      const verdict = await requestLand(ctx, id(1), { waitMs: 30_000 });
      await settleDrivers();
      expect(verdict.state).toBe("blocked");
      expect(verdict.reason).not.toContain("secretsecretsecret");
      expect(verdict.reason).toContain("<redacted>");
    } finally {
      delete process.env.JIG_TOKEN;
      delete process.env.SOME_AGENT_SECRET;
    }
    const seen = readFileSync(out, "utf8");
    expect(seen).toContain("GATE_VAR=given");
    expect(seen).toContain("JIG_GATE=1");
    expect(seen).not.toContain("JIG_TOKEN");
    expect(seen).not.toContain("SOME_AGENT_SECRET");
    expect(seen).toContain(join(root, ".jig", "gate"));
    expect(seen).not.toContain(w);
    // The worker's worktree got no gate run (and no file from it).
    expect(gitIn(w, "status", "--porcelain")).toBe("");
  });
});

describe("git timeouts", () => {
  it("a git call that hangs is a clear TIMEOUT for the batch, the lock is free, and the next land works", async () => {
    const { root, ctx: local, workers } = await setup(1, { remote: "origin" });
    const bare = tempDir("jig-bare-");
    gitIn(bare, "init", "-q", "--bare", "-b", "main");
    gitIn(root, "remote", "add", "origin", bare);
    gitIn(root, "push", "-q", "origin", "main", "feature/e");
    void local;
    // The fetch the driver runs first hangs: upload-pack is `sleep`.
    gitIn(root, "config", "remote.origin.uploadpack", "sleep 30; git-upload-pack");
    commitIn(workers[0]!.worktree, { "a.txt": "a\n" });
    process.env.JIG_GIT_TIMEOUT_MS = "1500";
    try {
      const ctx = await openContext({ root });
      const verdict = await requestLand(ctx, id(1), { waitMs: 30_000 });
      await settleDrivers();
      expect(verdict, JSON.stringify(verdict)).toMatchObject({ state: "blocked" });
      expect(verdict.reason).toMatch(/did not finish within 1500 ms/);
      gitIn(root, "config", "--unset", "remote.origin.uploadpack");
      expect((await requestLand(ctx, id(1), { waitMs: 30_000 })).state).toBe("landed");
      expect(gitIn(bare, "log", "--format=%s", "feature/e")).toBe("work\ninitial");
    } finally {
      delete process.env.JIG_GIT_TIMEOUT_MS;
    }
  });
});
