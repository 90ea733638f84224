import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import {
  type CompletionCommand,
  type DynamicValues,
  printCompletionScript,
  printCompletions,
} from "../lib/completion.js";

// `jig completion <shell>` and `jig complete`. What Tab completes besides commands and flags: epic, issue, worker and agent names of the repo in the
// current directory. Synchronous and git-free (the shell waits on it): found by walking up to `.git`.

function repoRoot(from: string): string | null {
  let dir = resolve(from);
  for (;;) {
    const dotGit = join(dir, ".git");
    if (existsSync(dotGit)) {
      if (statSync(dotGit).isDirectory()) return dir;
      // A linked worktree: .git names its gitdir, whose commondir leads to the main repository.
      const gitdir = resolve(
        dir,
        readFileSync(dotGit, "utf8")
          .replace(/^gitdir:\s*/, "")
          .trim(),
      );
      const common = existsSync(join(gitdir, "commondir"))
        ? resolve(gitdir, readFileSync(join(gitdir, "commondir"), "utf8").trim())
        : gitdir;
      return dirname(common);
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function readConfig(root: string): { issuesDir?: string; agents?: Record<string, unknown> } {
  try {
    return JSON.parse(readFileSync(join(root, "jig.json"), "utf8"));
  } catch {
    return {};
  }
}

function issueIds(root: string): string[] {
  const dir = join(root, readConfig(root).issuesDir ?? "issues");
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith(".md"))
      .map((name) => name.slice(0, -3));
  } catch {
    return [];
  }
}

/** Epics: issues that are not `<other issue>-NN-<slug>` (a subtask of an epic that exists). */
function epicIds(root: string): string[] {
  const ids = issueIds(root);
  const all = new Set(ids);
  return ids.filter((id) => {
    const match = /^(.+)-\d{2,3}-[a-z0-9-]+$/.exec(id);
    return !(match && all.has(match[1]!));
  });
}

function workerNames(root: string): string[] {
  try {
    return readdirSync(join(root, ".jig", "workers"))
      .filter((name) => name.endsWith(".json") && !name.startsWith("."))
      .map((name) => name.slice(0, -5));
  } catch {
    return [];
  }
}

export function completionValues(cwd: string = process.cwd()): DynamicValues {
  const at =
    <T>(fn: (root: string) => T[]) =>
    () => {
      const root = repoRoot(cwd);
      return root ? fn(root).map((value) => ({ value: String(value) })) : [];
    };
  const epics = at(epicIds);
  const issues = at(issueIds);
  const workers = at(workerNames);
  const agents = at((root) => ["claude", "scripted", ...Object.keys(readConfig(root).agents ?? {})]);
  const epicsAndWorkers = () => [...epics(), ...workers()];
  return {
    arguments: { epic: epics, id: issues, worker: workers, name: epicsAndWorkers },
    options: { epic: epics, issue: issues, worker: workers, agent: agents },
  };
}

/** Every visible command of the program, its flags and arguments, as completion needs them. */
function describeProgram(program: Command): CompletionCommand[] {
  const help = program.createHelp();
  const out: CompletionCommand[] = [];
  const walk = (command: Command, path: string) => {
    out.push({
      path,
      description: command.description(),
      options: help.visibleOptions(command).flatMap((option) =>
        option.long
          ? [
              {
                long: option.long.slice(2),
                short: option.short?.slice(1),
                description: option.description,
                takesValue: option.required || option.optional,
                choices: option.argChoices,
              },
            ]
          : [],
      ),
      arguments: command.registeredArguments.map((argument) => ({
        name: argument.name(),
        variadic: argument.variadic,
        choices: argument.argChoices,
      })),
    });
    for (const sub of help.visibleCommands(command))
      if (sub.name() !== "help") walk(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  walk(program, "");
  return out;
}

/** `jig completion <shell>`. */
export async function printScript(program: Command, shell: string): Promise<void> {
  await printCompletionScript(program.name(), shell);
}

/** `jig complete -- <words>`: what the completion script asks on each Tab. */
export async function printWords(program: Command, words: string[]): Promise<void> {
  await printCompletions(describeProgram(program), words, completionValues());
}
