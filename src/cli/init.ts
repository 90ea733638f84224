import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { openContext } from "../core/context.js";
import { ensureExcluded } from "../core/exclude.js";
import { pathExists } from "../lib/fs.js";
import { CLI_ENTRY, PACKAGE_ROOT } from "../version.js";
import type { CommandIO, CommandOutput } from "./output.js";

/** Sets a repo up for jig; idempotent, so running it twice changes nothing the second time. */
export async function initRepo(cwd: string): Promise<{ root: string; done: string[] }> {
  const ctx = await openContext({ cwd });
  const { root } = ctx.paths;
  const done: string[] = [];
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
  const mcpFile = join(root, ".mcp.json");
  const mcp = (await pathExists(mcpFile))
    ? (JSON.parse(await readFile(mcpFile, "utf8")) as { mcpServers?: Record<string, unknown> })
    : {};
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

export async function run(_args: unknown, io: CommandIO): Promise<CommandOutput> {
  const { root, done } = await initRepo(io.cwd);
  const text =
    done.length === 0
      ? `jig is already set up in ${root}`
      : `jig set up in ${root}:\n${done.map((line) => `  • ${line}`).join("\n")}`;
  return { text, json: { root, done } };
}
