import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, relative } from "node:path";
import { CONFIG_FILE, ConfigSchema } from "../core/config.js";
import { openContext } from "../core/context.js";
import { ensureExcluded } from "../core/exclude.js";
import { assertSafeId } from "../core/ids.js";
import { JigError } from "../errors.js";
import { pathExists } from "../lib/fs.js";
import { PACKAGE_NAME, PACKAGE_ROOT, VERSION } from "../version.js";
import { which } from "./backends/which.js";

// A repository set up for jig (`jig init`, `jig demo`), and what `jig doctor` and `jig new-epic` read or
// write of that set-up: what a repo needs for jig, written so a team can commit it (no paths of this machine),
// and never over a person's edits: what exists is left alone and said so.

export interface McpServerEntry {
  command: string;
  args: string[];
}

/** How .mcp.json starts jig: the `jig` on PATH, else `npx` with the package name (chosen in package.json). */
export function mcpServerEntry(options: { npx?: boolean } = {}): McpServerEntry {
  if (!options.npx && which("jig")) return { command: "jig", args: ["serve", "--stdio"] };
  return { command: "npx", args: ["-y", `${PACKAGE_NAME}@^${VERSION}`, "serve", "--stdio"] };
}

/** Where Claude Code keeps user- and local-scope MCP servers (`claude mcp add`). */
export function claudeConfigFile(): string {
  return join(process.env.CLAUDE_CONFIG_DIR || homedir(), ".claude.json");
}

export interface ClaudeRegistration {
  scope: "user" | "local";
  command: string;
}

/** The `jig` servers added with `claude mcp add` for everyone (user scope) or for this repo (local scope). */
export async function claudeRegistrations(root: string): Promise<ClaudeRegistration[]> {
  interface Server {
    command?: string;
    args?: string[];
    url?: string;
  }
  let config: {
    mcpServers?: Record<string, Server>;
    projects?: Record<string, { mcpServers?: Record<string, Server> }>;
  };
  try {
    config = JSON.parse(await readFile(claudeConfigFile(), "utf8"));
  } catch {
    return [];
  }
  const describe = (s: Server) => s.url ?? [s.command, ...(s.args ?? [])].filter(Boolean).join(" ");
  const found: ClaudeRegistration[] = [];
  const user = config.mcpServers?.jig;
  if (user) found.push({ scope: "user", command: describe(user) });
  const local = config.projects?.[root]?.mcpServers?.jig;
  if (local) found.push({ scope: "local", command: describe(local) });
  return found;
}

/** An entry naming files of one machine (the node binary, a checkout's dist/) cannot be shared. */
export function hasMachinePaths(entry: { command?: string; args?: string[] }): boolean {
  return [entry.command ?? "", ...(entry.args ?? [])].some((part) => isAbsolute(part));
}

/** The epic template: the frontmatter and sections the planner reads. */
export function epicTemplate(name: string): string {
  return `---
# An epic: an issue with no \`epic\` field. \`jig plan issues/${name}.md\` hands it to the planner agent,
# which splits it into subtask files (${name}-01-…) that workers take in parallel.
target: feature/${name}   # the shared branch every subtask lands on
status: planned
---

# ${name.replace(/[-_.]+/g, " ")}

## Objective
What exists when this epic is done, in a few sentences: the behaviour a user sees, not the steps.

## Acceptance Criteria
- [ ] Something checkable: a command that passes (\`npm test\`), a request and its answer, a file that exists
- [ ] One line per criterion; the planner turns them into each subtask's criteria

## Context
Where the code lives (files, modules), decisions already taken, libraries to use or avoid, and what is
out of scope. The planner reads this and the code; parts that touch different files run in parallel.
`;
}

/** Writes issues/<name>.md from the template; refuses to replace an existing file. */
export async function writeEpic(issuesDir: string, name: string): Promise<string> {
  assertSafeId(name, "epic name");
  const file = join(issuesDir, `${name}.md`);
  if (await pathExists(file))
    throw new JigError("CONFLICT", `${file} already exists`, {
      hint: "pick another name, or edit that file",
    });
  await mkdir(issuesDir, { recursive: true });
  await writeFile(file, epicTemplate(name), { flag: "wx" });
  return file;
}

/** The package's skills that a repo's copy does not match (missing or edited). */
export async function skillsState(root: string): Promise<{ missing: string[]; differ: string[] }> {
  const source = join(PACKAGE_ROOT, "skills");
  const missing: string[] = [];
  const differ: string[] = [];
  for (const name of await readdir(source).catch(() => [])) {
    const ours = await readFile(join(source, name, "SKILL.md"), "utf8").catch(() => null);
    const theirs = await readFile(join(root, ".claude", "skills", name, "SKILL.md"), "utf8").catch(
      () => null,
    );
    if (theirs === null) missing.push(name);
    else if (ours !== null && ours !== theirs) differ.push(name);
  }
  return { missing, differ };
}

export interface InitResult {
  root: string;
  /** What this run wrote. */
  done: string[];
  /** What it found and left alone, and why. */
  kept: string[];
}

/** Sets a repo up for jig; running it again writes nothing that exists and says what it left alone. */
export async function initRepo(
  cwd: string,
  options: { example?: boolean; npx?: boolean } = {},
): Promise<InitResult> {
  const ctx = await openContext({ cwd });
  const { root } = ctx.paths;
  const done: string[] = [];
  const kept: string[] = [];
  // Read (and refuse) a broken .mcp.json before anything is written, so a refusal leaves the repo as it was.
  const mcpFile = join(root, ".mcp.json");
  const mcp = await readMcpJson(mcpFile);
  const registered = await claudeRegistrations(root);

  if (!(await pathExists(ctx.paths.issuesDir))) {
    await mkdir(ctx.paths.issuesDir, { recursive: true });
    await writeFile(join(ctx.paths.issuesDir, ".gitkeep"), "");
    done.push(`created ${relative(root, ctx.paths.issuesDir)}/`);
  }
  const excluded = await ensureExcluded(root);
  if (excluded.length > 0) done.push(`excluded ${excluded.join(", ")} in .git/info/exclude`);
  await mkdir(ctx.paths.jigDir, { recursive: true });

  const skills = await skillsState(root);
  for (const name of skills.missing) {
    await cp(join(PACKAGE_ROOT, "skills", name), join(root, ".claude", "skills", name), { recursive: true });
    done.push(`installed skill .claude/skills/${name}`);
  }
  for (const name of skills.differ)
    kept.push(
      `.claude/skills/${name}/SKILL.md differs from this jig's (kept; delete it and run jig init to update)`,
    );

  const configFile = join(root, CONFIG_FILE);
  if (await pathExists(configFile)) kept.push(`${CONFIG_FILE} exists (left as is)`);
  else {
    await writeFile(configFile, `${JSON.stringify(ConfigSchema.parse({}), null, 2)}\n`, { flag: "wx" });
    done.push(`wrote ${CONFIG_FILE} with every default spelled out (docs/usage.md#configuration)`);
  }

  const entry = mcpServerEntry(options);
  const current = mcp.mcpServers?.jig;
  const shown = (e: { command?: string; args?: string[] }) => [e.command, ...(e.args ?? [])].join(" ");
  if (current) {
    if (shown(current) !== shown(entry))
      kept.push(
        `.mcp.json: your 'jig' server (${shown(current)}) is left as is${hasMachinePaths(current) ? " — it names paths of this machine, so teammates cannot use it; delete that entry and run jig init again" : ""}`,
      );
  } else if (registered.length > 0) {
    kept.push(
      `.mcp.json: no 'jig' entry written — Claude Code already has one from \`claude mcp add\` (${registered.map((r) => `${r.scope} scope: ${r.command}`).join("; ")}), and a second server of the same name would conflict; to share one with the team instead, \`claude mcp remove jig -s ${registered[0]!.scope}\` and run jig init again`,
    );
  } else {
    mcp.mcpServers = { ...(mcp.mcpServers ?? {}), jig: entry };
    await writeFile(mcpFile, `${JSON.stringify(mcp, null, 2)}\n`);
    done.push(
      `registered the jig MCP server in .mcp.json as \`${shown(entry)}\` (no machine paths: commit it)`,
    );
  }

  if (options.example) {
    const example = join(ctx.paths.issuesDir, "example.md");
    if (await pathExists(example)) kept.push(`${relative(root, example)} exists (left as is)`);
    else {
      await writeEpic(ctx.paths.issuesDir, "example");
      done.push(
        `wrote the example epic ${relative(root, example)} (plan it with jig plan ${relative(root, example)})`,
      );
    }
  }
  return { root, done, kept };
}

type McpJson = { mcpServers?: Record<string, { command?: string; args?: string[] }> };

/** The project's `.mcp.json` (Claude Code's), or {} when there is none; a broken one is the user's to fix. */
async function readMcpJson(file: string): Promise<McpJson> {
  if (!(await pathExists(file))) return {};
  const text = await readFile(file, "utf8");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new JigError("INVALID_INPUT", `.mcp.json is not valid JSON: ${(error as Error).message}`, {
      hint: "fix or remove .mcp.json, then run `jig init` again (nothing was changed)",
      details: { file: ".mcp.json" },
    });
  }
  const servers = (data as McpJson | null)?.mcpServers;
  if (
    data === null ||
    typeof data !== "object" ||
    Array.isArray(data) ||
    (servers !== undefined && (servers === null || typeof servers !== "object" || Array.isArray(servers)))
  ) {
    throw new JigError(
      "INVALID_INPUT",
      `.mcp.json must be an object with an "mcpServers" object, got ${JSON.stringify(data).slice(0, 60)}`,
      {
        hint: "fix or remove .mcp.json, then run `jig init` again (nothing was changed)",
        details: { file: ".mcp.json" },
      },
    );
  }
  return data as McpJson;
}
