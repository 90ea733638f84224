import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { GitMemo } from "../../src/core/git-memo.js";
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
