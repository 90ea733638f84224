import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { commitsOffBranch } from "../../src/orchestrator/remote-worker.js";
import { gitIn, gitRepo, writeFiles } from "../helpers/repo.js";

// What a remote worker's MCP proxy checks before it pushes `_jig/<name>` for a land: commits the agent
// made off that branch (a detached HEAD, another branch, a rebase stopped half way) would be left out of
// the push, so land is refused with the fix — and the fix it names, run as written, puts them on it.

function workerRepo(): string {
  const dir = gitRepo();
  gitIn(dir, "checkout", "-q", "-b", "_jig/w");
  return dir;
}

function commit(dir: string, file: string, content: string): string {
  writeFiles(dir, { [file]: content });
  gitIn(dir, "add", "-A");
  gitIn(dir, "commit", "-q", "-m", `write ${file}`);
  return gitIn(dir, "rev-parse", "HEAD");
}

/** Runs the fix a refusal names (the part after "Put them on it: ", up to its parenthesis). */
function runFix(dir: string, refusal: string): void {
  const fix = /Put them on it: (.+?) \(/.exec(refusal)?.[1];
  expect(fix, refusal).toBeDefined();
  for (const command of fix!.split(" && "))
    execFileSync("sh", ["-c", command], { cwd: dir, stdio: "ignore", env: process.env });
}

describe("commitsOffBranch", () => {
  it("passes HEAD on the branch, or detached with nothing of its own", async () => {
    const dir = workerRepo();
    commit(dir, "a.txt", "a\n");
    expect(await commitsOffBranch(dir, "w")).toBeNull();
    gitIn(dir, "checkout", "-q", "--detach");
    expect(await commitsOffBranch(dir, "w")).toBeNull();
    gitIn(dir, "checkout", "-q", "HEAD~1");
    expect(await commitsOffBranch(dir, "w")).toBeNull(); // behind the branch: the push has all of it
  });

  it("refuses a detached HEAD ahead of the branch; its fix moves the branch there", async () => {
    const dir = workerRepo();
    commit(dir, "a.txt", "a\n");
    gitIn(dir, "checkout", "-q", "--detach");
    const detached = commit(dir, "b.txt", "b\n");
    const refusal = await commitsOffBranch(dir, "w");
    expect(refusal).toMatch(
      new RegExp(
        `^HEAD is detached at ${detached.slice(0, 10)}, with 1 commit\\(s\\) that are not on your branch _jig/w — land pushes only _jig/w, so they would be left out\\. Put them on it: git checkout -B _jig/w `,
      ),
    );
    runFix(dir, refusal!);
    expect(gitIn(dir, "rev-parse", "_jig/w")).toBe(detached);
    expect(await commitsOffBranch(dir, "w")).toBeNull();
  });

  it("refuses a detached HEAD that diverged from the branch; its fix keeps both sides' commits", async () => {
    const dir = workerRepo();
    commit(dir, "a.txt", "a\n");
    gitIn(dir, "checkout", "-q", "--detach", "HEAD~1");
    const detached = commit(dir, "b.txt", "b\n");
    const refusal = await commitsOffBranch(dir, "w");
    expect(refusal).toMatch(
      /Put them on it: git checkout _jig\/w && git cherry-pick _jig\/w\.\.[0-9a-f]{10} \(/,
    );
    runFix(dir, refusal!);
    expect(gitIn(dir, "symbolic-ref", "HEAD")).toBe("refs/heads/_jig/w");
    expect(gitIn(dir, "log", "--format=%s", "_jig/w").split("\n")).toEqual([
      "write b.txt",
      "write a.txt",
      "initial",
    ]);
    expect(gitIn(dir, "rev-parse", "_jig/w")).not.toBe(detached); // picked, so a new id
    expect(await commitsOffBranch(dir, "w")).toBeNull();
  });

  it("refuses another branch with commits of its own, naming it", async () => {
    const dir = workerRepo();
    gitIn(dir, "checkout", "-q", "-b", "scratch");
    commit(dir, "c.txt", "c\n");
    expect(await commitsOffBranch(dir, "w")).toMatch(
      /^HEAD is on the branch scratch, with 1 commit\(s\) that are not on your branch _jig\/w/,
    );
  });

  it("refuses a rebase stopped half way", async () => {
    const dir = workerRepo();
    commit(dir, "a.txt", "mine\n");
    gitIn(dir, "checkout", "-q", "-b", "other", "main");
    commit(dir, "a.txt", "theirs\n");
    gitIn(dir, "checkout", "-q", "_jig/w");
    expect(() => gitIn(dir, "rebase", "other")).toThrow();
    expect(await commitsOffBranch(dir, "w")).toMatch(
      /^a rebase is in progress in .*: finish it \(resolve, git add, git rebase --continue\) or undo it \(git rebase --abort\)$/,
    );
  });
});
