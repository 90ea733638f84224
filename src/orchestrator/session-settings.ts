import { chmod, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { AgentBackendConfig } from "../core/config.js";
import type { JigContext } from "../core/context.js";
import { assertSafeId } from "../core/ids.js";
import { sessionFile, stateDir } from "../core/paths.js";
import { writeFileAtomic } from "../lib/fs.js";

// Claude Code settings for one spawned session (passed with --settings): permission deny rules over
// jig's state and secrets, and, when the agent's config asks for it, Claude Code's OS sandbox. Deny
// rules always win over the session's allowed tools, in every permission mode. They bind the Read,
// Edit and Write tools and Bash commands that name the paths; a Bash command that reaches a file
// without naming it is stopped only by the sandbox (docs/security.md says where each boundary ends).

/** jig's state that no session reads or writes directly: everything under `.jig/` but the worktrees. */
function privateDirs(ctx: JigContext): string[] {
  const { paths } = ctx;
  return [
    stateDir(paths.root),
    paths.workersDir,
    paths.logsDir,
    paths.landDir,
    paths.runsDir,
    paths.locksDir,
    dirname(paths.gitMemoFile),
    join(paths.jigDir, "planners"),
    join(paths.jigDir, "secrets"),
    join(paths.jigDir, "agents"),
  ];
}

export interface SessionSettings {
  permissions: { deny: string[] };
  sandbox?: {
    enabled: boolean;
    failIfUnavailable: boolean;
    allowUnsandboxedCommands: boolean;
    filesystem: { denyRead: string[] };
  };
}

export function sessionSettings(ctx: JigContext, config: AgentBackendConfig): SessionSettings {
  const dirs = privateDirs(ctx);
  // `//` marks an absolute path in Claude Code's permission rules.
  const deny = dirs.flatMap((dir) => [
    `Read(/${dir}/**)`,
    `Edit(/${dir}/**)`,
    `Write(/${dir}/**)`,
    `Bash(*${dir}*)`,
  ]);
  // The issue files change only through jig's tools (plan_epic, claim_task, set_status, land).
  deny.push(`Edit(/${ctx.paths.issuesDir}/**)`, `Write(/${ctx.paths.issuesDir}/**)`);
  // A session's identity is its own MCP server's; it never starts another jig server or reads a token.
  deny.push("Bash(*JIG_TOKEN*)", "Bash(*jig serve*)", "Bash(*secrets*)");
  const settings: SessionSettings = { permissions: { deny } };
  if (config.sandbox)
    settings.sandbox = {
      enabled: true,
      failIfUnavailable: true,
      allowUnsandboxedCommands: false,
      filesystem: { denyRead: dirs },
    };
  return settings;
}

/** Writes the session's settings beside its MCP config (outside the repository) and returns the path. */
export async function writeSessionSettings(
  ctx: JigContext,
  name: string,
  config: AgentBackendConfig,
): Promise<string> {
  const file = sessionFile(ctx.paths, assertSafeId(name, "worker name"), "settings");
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await chmod(dirname(file), 0o700);
  await writeFileAtomic(file, `${JSON.stringify(sessionSettings(ctx, config), null, 2)}\n`, 0o600);
  return file;
}
