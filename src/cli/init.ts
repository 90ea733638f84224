import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { openContext } from "../core/context.js";
import { ensureExcluded } from "../core/exclude.js";
import { JigError } from "../errors.js";
import { pathExists } from "../lib/fs.js";
import { CLI_ENTRY, PACKAGE_ROOT } from "../version.js";
import type { CommandIO, CommandOutput } from "./output.js";

/** Sets a repo up for jig; idempotent, so running it twice changes nothing the second time. */
export async function initRepo(cwd: string): Promise<{ root: string; done: string[] }> {
  const ctx = await openContext({ cwd });
  const { root } = ctx.paths;
  const done: string[] = [];
  // Read (and refuse) a broken .mcp.json before anything is written, so a refusal leaves the repo as it was.
  const mcpFile = join(root, ".mcp.json");
  const mcp = await readMcpJson(mcpFile);
  if (!(await pathExists(ctx.paths.issuesDir))) {
    await mkdir(ctx.paths.issuesDir, { recursive: true });
    await writeFile(join(ctx.paths.issuesDir, ".gitkeep"), "");
    done.push(`created ${relative(root, ctx.paths.issuesDir)}/`);
  }
  const excluded = await ensureExcluded(root);
  if (excluded.length > 0) done.push(`excluded ${excluded.join(", ")} in .git/info/exclude`);
  await mkdir(ctx.paths.jigDir, { recursive: true });
  const skillsSource = join(PACKAGE_ROOT, "skills");
  if (await pathExists(skillsSource)) {
    for (const name of await readdir(skillsSource)) {
      const target = join(root, ".claude", "skills", name);
      if (!(await pathExists(join(target, "SKILL.md")))) {
        await cp(join(skillsSource, name), target, { recursive: true });
        done.push(`installed skill .claude/skills/${name}`);
      }
    }
  }
  if (!mcp.mcpServers?.jig) {
    mcp.mcpServers = {
      ...(mcp.mcpServers ?? {}),
      jig: { command: process.execPath, args: [CLI_ENTRY, "serve", "--stdio"] },
    };
    await writeFile(mcpFile, `${JSON.stringify(mcp, null, 2)}\n`);
    done.push("registered the jig MCP server in .mcp.json (Claude Code)");
  }
  return { root, done };
}

type McpJson = { mcpServers?: Record<string, unknown> };

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

export async function run(_args: unknown, io: CommandIO): Promise<CommandOutput> {
  const { root, done } = await initRepo(io.cwd);
  const text =
    done.length === 0
      ? `jig is already set up in ${root}`
      : `jig set up in ${root}:\n${done.map((line) => `  • ${line}`).join("\n")}`;
  return { text, json: { root, done } };
}
