import { type ChildProcess, spawn } from "node:child_process";
import { expect } from "vitest";
import { CLI_ENTRY } from "../../src/version.js";
import { runCli } from "./cli.js";
import { gitRepo, issueFile, testEnv } from "./repo.js";

// An epic whose planner and workers are the scripted agent: each task's steps are its jig-script.

export const script = (steps: unknown[], resolve?: Record<string, string>) =>
  `\`\`\`jig-script\n${JSON.stringify({ steps, ...(resolve ? { resolve } : {}) })}\n\`\`\``;
export const writeAndLand = (path: string, content: string, extra: unknown[] = []) => [
  ...extra,
  { write: { path, content } },
  { commit: `write ${path}` },
  { land: true },
];

export function epicRepo(
  tasks: { slug: string; steps?: unknown[]; depends?: string[]; resolve?: Record<string, string> }[],
  config: Record<string, unknown> = { agent: "scripted", maxRetries: 1 },
) {
  const plan = {
    subtasks: tasks.map((t) => ({
      title: `Task ${t.slug}`,
      slug: t.slug,
      objective: `Do ${t.slug}.`,
      acceptanceCriteria: ["done"],
      ...(t.steps ? { context: script(t.steps, t.resolve) } : {}),
      depends: t.depends ?? [],
    })),
  };
  const root = gitRepo({
    "README.md": "# r\n",
    "jig.json": JSON.stringify(config),
    "issues/ep.md": issueFile(
      { target: "feature/ep" },
      `# Epic\n\n\`\`\`jig-plan\n${JSON.stringify(plan)}\n\`\`\`\n`,
    ),
  });
  expect(runCli(root, ["init"]).code).toBe(0);
  return root;
}

/** `jig plan ep`, then `jig spawn --issue` for each of `tasks`: workers running, no `jig run`. */
export function planAndSpawn(root: string, tasks: string[]): void {
  expect(runCli(root, ["plan", "ep"]).code).toBe(0);
  for (const task of tasks) {
    const spawned = runCli(root, ["spawn", "--issue", task]);
    expect(spawned.code, spawned.stderr).toBe(0);
  }
}

/** A waitFor check: the task's issue file says `status`, as `jig issues show` reads it. */
export const taskIs = (root: string, task: string, status: string) => () =>
  runCli(root, ["issues", "show", task, "--json"]).stdout.includes(`"status": "${status}"`);

/** Polls `check` until true; on timeout the error says what it waited for and, with `dump`, what it saw. */
export async function waitFor(
  check: () => boolean,
  what: string,
  options: { timeoutMs?: number; dump?: () => string } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${options.dump ? `\n${options.dump()}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function background(
  cwd: string,
  args: string[],
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
    cwd,
    env: { ...process.env, ...testEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (c) => {
    out += c;
  });
  child.stderr!.on("data", (c) => {
    out += c;
  });
  return { child, output: () => out, exited: new Promise((resolve) => child.on("exit", resolve)) };
}
