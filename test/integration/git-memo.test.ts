import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { GitMemo } from "../../src/core/git-memo.js";
import { branchTips } from "../../src/core/git-ops.js";
import { gitIn, gitRepo, tempDir } from "../helpers/repo.js";

// The git memo: answers about fixed commits kept in .jig/cache/git.json, shared between processes.

function repoWithBranches() {
  const root = gitRepo({ "a.txt": "one\ntwo\n", "b.bin": "\0\x01" });
  const base = gitIn(root, "rev-parse", "HEAD");
  gitIn(root, "switch", "-q", "-c", "left");
  writeFileSync(join(root, "a.txt"), "one\nLEFT\nthree\n");
  writeFileSync(join(root, "tab\tname.txt"), "x\n");
  gitIn(root, "add", "-A");
  gitIn(root, "commit", "-q", "-m", "left");
  const left = gitIn(root, "rev-parse", "HEAD");
  gitIn(root, "switch", "-q", "-c", "right", base);
  writeFileSync(join(root, "a.txt"), "one\nRIGHT\n");
  writeFileSync(join(root, "b.bin"), "\0\x02");
  gitIn(root, "add", "-A");
  gitIn(root, "commit", "-q", "-m", "right");
  const right = gitIn(root, "rev-parse", "HEAD");
  return { root, base, left, right, file: join(root, ".jig", "cache", "git.json") };
}

describe("git memo", () => {
  it("answers what git answers, and a second process reads the answers instead of asking git", async () => {
    const { root, base, left, right, file } = repoWithBranches();
    const memo = new GitMemo(root, file);
    expect(await memo.changes(base, left)).toEqual({
      added: 3,
      removed: 1,
      files: 2,
      names: ["a.txt", "tab\tname.txt"],
    });
    expect(await memo.changes(base, right)).toMatchObject({ files: 2, names: ["a.txt", "b.bin"] });
    expect(await memo.conflicts(left, right)).toEqual(["a.txt"]);
    expect(await memo.conflicts(right, left)).toEqual(["a.txt"]);
    expect(await memo.conflicts(base, left)).toEqual([]);
    await memo.flush();

    // Another process's memo answers from the file: make the file say something git would not.
    const saved = JSON.parse(readFileSync(file, "utf8"));
    const [key] = Object.keys(saved.entries).filter((k) => k.startsWith("conflicts "));
    saved.entries[key!] = ["from-the-memo.txt"];
    writeFileSync(file, JSON.stringify(saved));
    expect(await new GitMemo(root, file).conflicts(left, right)).toEqual(["from-the-memo.txt"]);
  });

  it("ignores a corrupt file or a malformed entry and asks git again; refuses branch names as keys", async () => {
    const { root, base, left, file } = repoWithBranches();
    const expected = await new GitMemo(root, `${tempDir()}/git.json`).changes(base, left);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, "{not json");
    expect(await new GitMemo(root, file).changes(base, left)).toEqual(expected);
    writeFileSync(
      file,
      JSON.stringify({ format: 1, entries: { [`changes ${base} ${left}`]: { added: -1, names: 3 } } }),
    );
    const memo = new GitMemo(root, file);
    expect(await memo.changes(base, left)).toEqual(expected);
    await memo.flush();
    expect(JSON.parse(readFileSync(file, "utf8")).entries[`changes ${base} ${left}`]).toEqual(expected);
    await expect(memo.changes("main", "left")).rejects.toThrow(/not a full commit id/);
  });

  it("a flush that cannot write is not the caller's error, and later flushes still write", async () => {
    const { root, base, left, right, file } = repoWithBranches();
    mkdirSync(join(root, ".jig"), { recursive: true });
    writeFileSync(dirname(file), "a file where the cache directory should be");
    const memo = new GitMemo(root, file);
    await memo.changes(base, left);
    await expect(memo.flush()).resolves.toBeUndefined();
    rmSync(dirname(file));
    await memo.changes(base, right);
    await memo.flush();
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")).entries)).toEqual([`changes ${base} ${right}`]);
  });

  it("keeps at most its limit, dropping the oldest answers first", async () => {
    const { root, base, left, right, file } = repoWithBranches();
    const memo = new GitMemo(root, file, 2);
    await memo.changes(base, left);
    await memo.changes(base, right);
    await memo.conflicts(left, right);
    await memo.flush();
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")).entries)).toEqual([
      `changes ${base} ${right}`,
      `conflicts ${[left, right].sort().join(" ")}`,
    ]);
  });

  it("a flush sweeps the temp files of writers killed mid-write, never a live writer's", async () => {
    const { root, base, left, file } = repoWithBranches();
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `.jig-tmp-git.json.${dead}.0badc0de`), "{half");
    writeFileSync(join(dir, `.jig-tmp-git.json.${process.pid}.0badc0de`), "{being written");
    const memo = new GitMemo(root, file);
    await memo.changes(base, left);
    await memo.flush();
    expect(readdirSync(dir).sort()).toEqual(["git.json", `.jig-tmp-git.json.${process.pid}.0badc0de`].sort());
  });

  it("many processes flushing at once leave a whole file holding answers from all of them", async () => {
    const { root, base, left, right, file } = repoWithBranches();
    const commits = [base, left, right];
    const fixture = join(import.meta.dirname, "..", "fixtures", "memo-writer.mjs");
    const runs = Array.from({ length: 8 }, (_, i) => {
      // Each process asks about a different pair first, so they learn different answers.
      const order = [commits[i % 3]!, ...commits.filter((_, j) => j !== i % 3)];
      return new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [fixture, root, file, ...order], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let out = "";
        child.stdout.on("data", (chunk) => (out += chunk));
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
      });
    });
    expect(await Promise.all(runs)).toEqual(Array(8).fill("done\n"));
    const entries = JSON.parse(readFileSync(file, "utf8")).entries;
    expect(Object.keys(entries).length).toBeGreaterThanOrEqual(3);
    for (const [key, value] of Object.entries(entries)) {
      const [from, to] = key.split(" ").slice(1);
      expect(value).toEqual(await new GitMemo(root, `${tempDir()}/fresh.json`).changes(from!, to!));
    }
  });
});

// branchTips keeps its last answer while no ref file under refs/heads (nor packed-refs) changed; a
// file changed in the last two seconds is never trusted. Timestamps are set back here so the cache is
// used, and the moves below must still be seen: by the ref file's inode, size or ctime.
describe("branch tips", () => {
  const backdate = (root: string) => {
    const past = new Date(Date.now() - 60_000);
    const walk = (path: string) => {
      utimesSync(path, past, past);
      if (statSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    };
    walk(join(root, ".git", "refs", "heads"));
    if (existsSync(join(root, ".git", "packed-refs")))
      utimesSync(join(root, ".git", "packed-refs"), past, past);
  };
  // A `git` on PATH that always fails: an answer now can only come from the cache.
  const withoutGit = async <T>(fn: () => Promise<T>): Promise<T> => {
    const bin = tempDir("no-git-");
    writeFileSync(join(bin, "git"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      return await fn();
    } finally {
      process.env.PATH = path;
    }
  };

  it("answers from the last look while no branch moved, and sees every move, new branch and deletion at once", async () => {
    const { root, left, right } = repoWithBranches();
    gitIn(root, "branch", "-q", "nested/one", left);
    expect((await branchTips(root)).get("left")).toBe(left);
    backdate(root);
    await branchTips(root); // a look at old timestamps: kept
    expect((await withoutGit(() => branchTips(root))).get("nested/one")).toBe(left);

    gitIn(root, "update-ref", "refs/heads/left", right);
    backdate(root); // as if the move were older than the racy window
    expect((await branchTips(root)).get("left")).toBe(right);

    gitIn(root, "branch", "-q", "nested/two", right);
    backdate(root);
    expect((await branchTips(root)).get("nested/two")).toBe(right);

    gitIn(root, "branch", "-q", "-D", "nested/one");
    backdate(root);
    expect((await branchTips(root)).has("nested/one")).toBe(false);

    gitIn(root, "pack-refs", "--all");
    backdate(root);
    expect((await branchTips(root)).get("left")).toBe(right);
    gitIn(root, "update-ref", "refs/heads/left", left);
    backdate(root);
    expect((await branchTips(root)).get("left")).toBe(left);
    // Nothing moved since: the cache answers.
    expect((await withoutGit(() => branchTips(root))).get("left")).toBe(left);
  });

  it("asks git again when a ref changed within the last two seconds", async () => {
    const { root, left, right } = repoWithBranches();
    backdate(root);
    await branchTips(root);
    gitIn(root, "update-ref", "refs/heads/left", right);
    // Recent: not trusted, so the failing git is asked and nothing is known.
    expect((await withoutGit(() => branchTips(root))).size).toBe(0);
    expect((await branchTips(root)).get("left")).toBe(right);
    expect(left).not.toBe(right);
  });
});
