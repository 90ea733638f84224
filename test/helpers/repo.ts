import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll } from "vitest";

// Isolates git and jig from the developer's machine: no system/global config, a temp HOME.
export const TEST_HOME = mkdtempSync(join(tmpdir(), "jig-home-"));
export const testEnv: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  HOME: TEST_HOME,
  GIT_AUTHOR_NAME: "jig test",
  GIT_AUTHOR_EMAIL: "test@jig.local",
  GIT_COMMITTER_NAME: "jig test",
  GIT_COMMITTER_EMAIL: "test@jig.local",
  NO_COLOR: "1",
};
Object.assign(process.env, testEnv);

const cleanups: string[] = [];
afterAll(() => {
  if (process.env.JIG_KEEP_TEST_DIRS) return;
  for (const dir of cleanups.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = "jig-test-"): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  cleanups.push(dir);
  return dir;
}

export function sh(cwd: string, command: string, args: string[]): string {
  return execFileSync(command, args, {
    cwd,
    env: { ...process.env, ...testEnv },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export const gitIn = (cwd: string, ...args: string[]): string => sh(cwd, "git", args).trim();

/** A throwaway repo: branch main, local identity, no signing, no gc, one initial commit. */
export function gitRepo(files: Record<string, string> = { "README.md": "# test repo\n" }): string {
  const dir = tempDir("jig-repo-");
  gitIn(dir, "init", "-q", "-b", "main");
  gitIn(dir, "config", "user.name", "jig test");
  gitIn(dir, "config", "user.email", "test@jig.local");
  gitIn(dir, "config", "commit.gpgsign", "false");
  gitIn(dir, "config", "gc.auto", "0");
  writeFiles(dir, files);
  gitIn(dir, "add", "-A");
  gitIn(dir, "commit", "-q", "-m", "initial");
  mkdirSync(join(dir, ".git", "info"), { recursive: true });
  writeFileSync(join(dir, ".git", "info", "exclude"), ".jig/\n");
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** An epic file plus subtasks, written as a human (or jig) would. */
export function issueFile(
  fields: Record<string, string | string[] | null>,
  body = "# A task\n\n## Objective\nDo it.\n",
): string {
  const lines = Object.entries(fields).map(([key, value]) =>
    value === null ? `${key}:` : Array.isArray(value) ? `${key}: [${value.join(", ")}]` : `${key}: ${value}`,
  );
  return `---\n${lines.join("\n")}\n---\n${body}`;
}
