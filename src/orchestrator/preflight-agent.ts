import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JigConfig } from "../core/config.js";
import type { JigPaths } from "../core/paths.js";
import { toJigError } from "../errors.js";
import { runProgram } from "../lib/exec.js";
import type { LaunchSpec } from "./backends/backend.js";
import { claudeAllowsBypass } from "./backends/claude.js";
import { resolveAgent } from "./backends/index.js";
import { which } from "./backends/which.js";
import { bad, type Check, ok } from "./check.js";

// `jig doctor`'s check of the configured agent (a blocker for `jig plan`/`jig run`): its CLI present and
// usable and, for Claude Code, logged in and the rule for root met; for Codex, its sandbox able to start.

const BYPASS_FLAGS = ["bypassPermissions", "--dangerously-skip-permissions"];

/** The configured agent: its CLI present and usable; for Claude Code, logged in and the root rule met. */
export async function checkAgent(
  root: string,
  config: JigConfig,
  agentName: string | undefined,
  paths: JigPaths,
): Promise<Check[]> {
  let agent: ReturnType<typeof resolveAgent>;
  try {
    agent = resolveAgent(config, agentName);
  } catch (error) {
    const e = toJigError(error);
    return [bad("agent", true, `agent ${agentName ?? config.agent}`, e.message, e.hint ?? "")];
  }
  const label = `agent '${agent.name}' (${agent.config.type})`;
  if (agent.config.type === "scripted") return [ok("agent", `${label}: built in, nothing to install`)];
  if (agent.config.type === "custom") {
    const first = (agent.config.command ?? "").trim().split(/\s+/)[0] ?? "";
    if (!first)
      return [bad("agent", true, label, "no command template", 'set "command" under agents in jig.json')];
    return which(first)
      ? [ok("agent", `${label}: ${first} found`)]
      : [
          bad(
            "agent",
            true,
            label,
            `'${first}' is not installed or not on PATH`,
            `install ${first} or fix its command in jig.json`,
          ),
        ];
  }
  let spec: Awaited<ReturnType<typeof agent.backend.launch>>;
  try {
    spec = await agent.backend.launch({
      name: "jig-doctor",
      role: "worker",
      cwd: root,
      prompt: "(jig doctor)",
      mcpConfigPath: join(paths.jigDir, "doctor.mcp.json"),
      mcpServer: { command: process.execPath, args: [], env: {} },
      // Codex and Gemini write their session config here; a throwaway directory, not a session's.
      privateDir: await mkdtemp(join(tmpdir(), "jig-doctor-")),
      writableRoots: [],
      instructions: "",
      resume: null,
      budget: null,
      issue: null,
      config: agent.config,
    });
  } catch (error) {
    const e = toJigError(error);
    return [bad("agent", true, label, e.message, e.hint ?? "")];
  }
  if (agent.config.type === "codex" && which(spec.command) && agent.config.sandbox !== false)
    return [ok("agent", `${label}: ${spec.command}`), await checkCodexSandbox(spec, root, agent.name)];
  if (agent.config.type !== "claude") {
    return which(spec.command)
      ? [ok("agent", `${label}: ${spec.command}`)]
      : [
          bad(
            "agent",
            true,
            label,
            `'${spec.command}' is not installed or not on PATH`,
            `install it, or pick another agent with --agent`,
          ),
        ];
  }
  const checks: Check[] = [];
  // `claude auth status` runs the binary (usable) and says whether it can authenticate, with the
  // environment a worker would get (jig.json's agents.<name>.env included).
  const status = await runProgram(spec.command, ["auth", "status", "--json"], {
    cwd: root,
    env: { ...spec.env, DISABLE_TELEMETRY: "1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1" },
    timeoutMs: 30_000,
  });
  if (status.error) {
    return [
      bad(
        "agent",
        true,
        label,
        `${spec.command} does not run: ${status.error}`,
        "reinstall Claude Code: npm install -g @anthropic-ai/claude-code",
      ),
    ];
  }
  let auth: { loggedIn?: boolean; authMethod?: string; apiKeySource?: string } | null = null;
  try {
    auth = JSON.parse(status.stdout);
  } catch {}
  const version = (
    await runProgram(spec.command, ["--version"], { cwd: root, env: spec.env, timeoutMs: 30_000 })
  ).stdout.trim();
  checks.push(ok("agent", `${label}: ${spec.command}${version ? ` (${version})` : ""}`));
  const envSays = [
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
  ].find((key) => spec.env[key]);
  const loggedIn = auth ? auth.loggedIn === true : Boolean(envSays);
  checks.push(
    loggedIn
      ? ok(
          "agent-login",
          `Claude Code can authenticate (${auth?.apiKeySource ?? auth?.authMethod ?? envSays})`,
        )
      : bad(
          "agent-login",
          true,
          "Claude Code login",
          "Claude Code is not logged in and no API key is set, so every session would fail at its first request",
          "run `claude` once and /login, or set ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL with ANTHROPIC_AUTH_TOKEN for a gateway) — in the environment or in jig.json agents.<name>.env",
        ),
  );
  // As root, the only difference between the two is IS_SANDBOX: Claude Code's rule, in one place.
  const isRoot = !claudeAllowsBypass({});
  const bypass = spec.args.some((arg) => BYPASS_FLAGS.includes(arg));
  const sandbox = spec.env.IS_SANDBOX || undefined;
  if (bypass && !claudeAllowsBypass(spec.env)) {
    checks.push(
      bad(
        "root-sandbox",
        true,
        "permissions as root",
        `jig would start Claude Code with bypassPermissions as root, which Claude Code refuses unless IS_SANDBOX=1 (IS_SANDBOX=${sandbox === undefined ? "unset" : `'${sandbox}'`}): every worker would exit at once`,
        "set IS_SANDBOX=1 if this machine is a sandbox; otherwise unset it and remove bypass flags from jig.json agents.<name>.args",
      ),
    );
  } else if (isRoot && sandbox !== undefined && sandbox !== "1") {
    checks.push(
      bad(
        "root-sandbox",
        false,
        "permissions as root",
        `IS_SANDBOX is '${sandbox}', but Claude Code only accepts exactly '1': it counts as unset, so workers run with only the tools jig pre-approves`,
        "set IS_SANDBOX=1 (only in a sandbox) or unset it",
      ),
    );
  } else {
    checks.push(
      ok(
        "root-sandbox",
        isRoot
          ? sandbox === "1"
            ? "root with IS_SANDBOX=1: Claude Code allows bypassPermissions"
            : "root without IS_SANDBOX: workers run with pre-approved tools (--permission-mode dontAsk)"
          : "not root: Claude Code allows bypassPermissions",
      ),
    );
  }
  return checks;
}

/**
 * Codex workers run in Codex's workspace-write sandbox (bubblewrap on Linux, which needs user
 * namespaces): where it cannot start, every command a worker runs fails, so it is a blocker.
 */
async function checkCodexSandbox(spec: LaunchSpec, root: string, agent: string): Promise<Check> {
  const probe = await runProgram(
    spec.command,
    ["sandbox", "-c", 'sandbox_mode="workspace-write"', "--", "true"],
    { cwd: root, env: spec.env, timeoutMs: 30_000 },
  );
  if (probe.exitCode === 0)
    return ok("agent-sandbox", "Codex's sandbox runs (workers' commands are confined)");
  const why =
    probe.error ??
    `${
      `${probe.stderr}\n${probe.stdout}`
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith("WARNING"))
        .at(-1) ?? `exit code ${probe.exitCode}`
    }`;
  return bad(
    "agent-sandbox",
    true,
    "Codex sandbox",
    `Codex's workspace-write sandbox does not start here (${why}), so every command a worker runs would fail`,
    `allow it (on Linux: unprivileged user namespaces for bubblewrap), or run workers without it: "sandbox": false on agents.${agent} in jig.json`,
  );
}
