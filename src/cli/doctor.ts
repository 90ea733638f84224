import { join } from "node:path";
import { openContext } from "../core/context.js";
import { jigPaths } from "../core/paths.js";
import type { JigError } from "../errors.js";
import { readJsonFile } from "../lib/fs.js";
import { findRepoRoot } from "../lib/git.js";
import { which } from "../orchestrator/backends/which.js";
import type { Check } from "../orchestrator/check.js";
import {
  checkGate,
  checkGit,
  checkJigDir,
  checkLauncher,
  checkLeftovers,
  checkPort,
  loadConfigCheck,
} from "../orchestrator/preflight.js";
import { checkAgent } from "../orchestrator/preflight-agent.js";
import { claudeRegistrations, hasMachinePaths, skillsState } from "../orchestrator/setup.js";
import { type CommandIO, type CommandOutput, colors } from "./output.js";

// `jig doctor`: every setup problem found so far, each with its fix, before it costs an epic.
// Exit 1 when a blocker fails (what `jig plan`/`jig run` would refuse to start with).

async function checkSetup(root: string): Promise<Check[]> {
  const checks: Check[] = [];
  const skills = await skillsState(root);
  checks.push(
    skills.missing.length + skills.differ.length === 0
      ? { id: "skills", ok: true, blocker: false, title: "skills in .claude/skills are this jig's" }
      : {
          id: "skills",
          ok: false,
          blocker: false,
          title: "skills in .claude/skills",
          problem: [
            skills.missing.length ? `missing: ${skills.missing.join(", ")}` : "",
            skills.differ.length ? `older or edited: ${skills.differ.join(", ")}` : "",
          ]
            .filter(Boolean)
            .join("; "),
          fix: "run jig init (delete an edited copy first to replace it); workers get their own copy either way",
        },
  );
  const mcp = await readJsonFile<{ mcpServers?: Record<string, { command?: string; args?: string[] }> }>(
    join(root, ".mcp.json"),
  );
  const entry = mcp?.mcpServers?.jig;
  const registered = await claudeRegistrations(root);
  const bad = (problem: string, fix: string): Check => ({
    id: "mcp-config",
    ok: false,
    blocker: false,
    title: "MCP config for Claude Code",
    problem,
    fix,
  });
  if (entry && registered.length > 0)
    checks.push(
      bad(
        `two 'jig' servers: .mcp.json and \`claude mcp add\` (${registered.map((r) => r.scope).join(", ")} scope)`,
        `keep one: \`claude mcp remove jig -s ${registered[0]!.scope}\`, or delete jig from .mcp.json`,
      ),
    );
  else if (entry && hasMachinePaths(entry))
    checks.push(
      bad(
        `.mcp.json starts jig by paths of this machine (${entry.command} ${(entry.args ?? []).join(" ")})`,
        "delete the jig entry from .mcp.json and run jig init: it writes `jig serve --stdio` (or npx)",
      ),
    );
  else if (entry?.command && !which(entry.command))
    checks.push(
      bad(
        `.mcp.json starts jig with '${entry.command}', which is not on PATH`,
        "npm install -g jig, or delete the entry and run jig init --npx",
      ),
    );
  else if (!entry && registered.length === 0)
    checks.push(bad("no jig MCP server for your own Claude Code", "run jig init (writes .mcp.json)"));
  else
    checks.push({
      id: "mcp-config",
      ok: true,
      blocker: false,
      title: entry
        ? `.mcp.json starts jig as \`${entry.command} ${(entry.args ?? []).join(" ")}\``
        : `jig added to Claude Code (${registered.map((r) => `${r.scope} scope`).join(", ")})`,
    });
  return checks;
}

export async function run(args: { agent?: string; port?: number }, io: CommandIO): Promise<CommandOutput> {
  const checks: Check[] = [];
  const port = args.port ?? 7411;
  let root: string | null = null;
  try {
    root = await findRepoRoot(io.cwd);
    checks.push({ id: "repo", ok: true, blocker: false, title: `git repository ${root}` });
  } catch (error) {
    const e = error as JigError;
    checks.push({
      id: "repo",
      ok: false,
      blocker: true,
      title: "git repository",
      problem: e.message,
      fix: e.hint ?? "",
    });
  }
  checks.push(await checkGit(root ?? io.cwd));
  if (root) {
    const { config, check } = await loadConfigCheck(root);
    checks.push(check);
    const paths = jigPaths(root, config.issuesDir);
    checks.push(...(await checkAgent(root, config, args.agent, paths)));
    checks.push(checkGate(root, config));
    checks.push(...(await checkJigDir(paths)));
    checks.push(await checkPort(port));
    checks.push(...(await checkLauncher(root, config)));
    checks.push(...(await checkSetup(root)));
    if (check.ok) checks.push(...(await checkLeftovers(await openContext({ root }))));
  } else {
    checks.push(await checkPort(port));
  }
  const blockers = checks.filter((c) => !c.ok && c.blocker);
  const warnings = checks.filter((c) => !c.ok && !c.blocker);
  const summary =
    blockers.length === 0
      ? warnings.length === 0
        ? "ready: nothing to fix"
        : `ready, with ${warnings.length} warning${warnings.length === 1 ? "" : "s"}`
      : `${blockers.length} blocker${blockers.length === 1 ? "" : "s"}: jig plan and jig run will not start until ${blockers.length === 1 ? "it is" : "they are"} fixed`;
  return {
    text: [...checks.map(renderCheck), "", summary].join("\n"),
    json: { ok: blockers.length === 0, checks },
    exitCode: blockers.length > 0 ? 1 : 0,
  };
}

export function renderCheck(check: Check): string {
  if (check.ok) return `${colors.green("✓")} ${check.title}`;
  const mark = check.blocker ? colors.red("✗") : colors.yellow("✗");
  const kind = check.blocker ? "" : colors.dim(" (warning)");
  return `${mark} ${check.title}${kind}: ${check.problem}\n    ${colors.dim("fix:")} ${check.fix}`;
}
