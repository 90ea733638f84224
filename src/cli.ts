#!/usr/bin/env node
import { Argument, Command, CommanderError, Option } from "commander";
import {
  type CommandIO,
  type CommandOutput,
  colors,
  escapeControls,
  printOutput,
  terminalSafe,
} from "./cli/output.js";
import { isJigError, toJigError } from "./errors.js";
import { VERSION } from "./version.js";

// The CLI entry: parse argv, load the command lazily, render the one result, set the exit code.
// Exit codes: 0 success, 1 a domain error, 2 a usage error.
// Over 300 lines on purpose: every command's definition (arguments, options, help) is one commander
// program here, which `jig --help`, the docs test and shell completion all read; what each command does
// is in cli/<command>.ts.

type Loader = () => Promise<{ run: (args: never, io: CommandIO) => Promise<CommandOutput | undefined> }>;

function makeIO(json: boolean): CommandIO {
  return {
    cwd: process.cwd(),
    json,
    write: (text) => process.stdout.write(terminalSafe(text)),
    warn: (text) => process.stderr.write(terminalSafe(text.endsWith("\n") ? text : `${text}\n`)),
  };
}

/** The exit code a command asked for through its output (see CommandOutput.exitCode). */
let commandExitCode = 0;

function action(load: Loader, argNames: string[] = []) {
  return async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const options = command.opts();
    const args: Record<string, unknown> = { ...options };
    argNames.forEach((name, index) => {
      args[name] = params[index];
    });
    const json = Boolean(options.json);
    const io = makeIO(json);
    const module = await load();
    const output = await module.run(args as never, io);
    printOutput(io, output);
    commandExitCode = output?.exitCode ?? 0;
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("jig")
    .description(
      "Plan an epic, run many coding agents on it in parallel worktrees, land their work continuously.",
    )
    .version(VERSION, "-v, --version")
    .showHelpAfterError()
    .exitOverride();

  program
    .command("init")
    .description(
      "set this repo up for jig: issues dir, .jig/ excluded, agent skills, jig.json, .mcp.json for Claude Code",
    )
    .option("--example", "also write an example epic, issues/example.md")
    .option("--npx", "start jig through npx in .mcp.json, even when jig is on PATH")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/init.js")));

  program
    .command("new")
    .description("create a file from a template")
    .command("epic <name>")
    .description("write issues/<name>.md: an epic with the frontmatter and sections the planner reads")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/new-epic.js"), ["name"]));

  program
    .command("doctor")
    .description(
      "check this machine and repo for jig: git, the agent CLI and its login, gate, .jig/, port, skills, MCP config, leftovers",
    )
    .option("--agent <name>", "check this agent backend instead of jig.json's default")
    .option("--port <port>", "the HTTP port jig serve would use", parsePort, 7411)
    .option("--json", "print JSON")
    .action(action(() => import("./cli/doctor.js")));

  const issues = program.command("issues").description("read and check issue files");
  issues
    .command("list")
    .description("list issues")
    .option("--epic <epic>", "only this epic's issues")
    .addOption(
      new Option("--status <status>", "only issues with this status").choices([
        "planned",
        "in-progress",
        "blocked",
        "complete",
        "cancelled",
        "merged",
      ]),
    )
    .option("--ready", "only tasks ready to start (planned, dependencies complete)")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/issues-list.js")));
  issues
    .command("show <id>")
    .description("show one issue (full id or short reference such as feature-auth-01)")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/issues-show.js"), ["id"]));
  issues
    .command("validate")
    .description("check every issue file and report every problem")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/issues-validate.js")));

  program
    .command("plan <epic>")
    .description(
      "create the epic's target branch, run the planner agent, then spawn (--auto) or print the spawn commands",
    )
    .option("--auto", "spawn workers and run the epic to completion")
    .option("-y, --yes", "do not ask for confirmation (same as --auto)")
    .option("--agent <name>", "agent backend (claude, codex, gemini, scripted, or one from jig.json)")
    .option("--max-workers <n>", "parallel workers", parsePositive)
    .option("--budget <amount>", 'the epic\'s spending limit, e.g. "$5", "200k" tokens, or both')
    .option("--replan", "plan again: replace the subtasks not yet started, keep the others")
    .option("--reuse-target", "build on an existing target branch jig did not create")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/plan.js"), ["epic"]));

  program
    .command("run <epic>")
    .description(
      "execute (or resume) an epic: spawn ready tasks, respawn crashed ones, until complete or blocked",
    )
    .option("--agent <name>", "agent backend")
    .option("--max-workers <n>", "parallel workers", parsePositive)
    .option("--budget <amount>", 'the epic\'s spending limit, e.g. "$5", "200k" tokens, or both')
    .option("--json", "print JSON")
    .action(action(() => import("./cli/run.js"), ["epic"]));

  program
    .command("spawn [name]")
    .description('spawn a worker: --issue <id> for a task, or <name> --context "…" for ad-hoc work')
    .option("--issue <id>", "the issue (path or id) this worker takes")
    .option("--context <text>", "ad-hoc task description")
    .option("--agent <name>", "agent backend")
    .option("--budget <amount>", 'this worker\'s spending limit, e.g. "$5", "200k" tokens, or both')
    .option("--local", "start it on this machine even when jig.json's launcher places workers elsewhere")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/spawn.js"), ["name"]));

  program
    .command("budget <id> [amount]")
    .description(
      'show a task\'s or epic\'s spend against its budget, or set it ("$5", "200k" tokens, "$5,200k"); raising it resumes tasks stopped at it',
    )
    .option("--json", "print JSON")
    .action(action(() => import("./cli/budget.js"), ["id", "amount"]));

  program
    .command("ps")
    .description("workers: status, issue, changes, blocked messages")
    .option("--epic <epic>", "only this epic's workers")
    .option("--watch", "refresh until interrupted")
    .option("--all", "also list the finished workers of completed epics")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/ps.js")));

  program
    .command("status <epic>")
    .description("an epic's progress: complete, running, waiting, blocked; target diff size")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/status.js"), ["epic"]));

  program
    .command("stats <epic>")
    .description("an epic's measures: time to land, cost per landed change, retries, critical path")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/stats.js"), ["epic"]));

  program
    .command("land <worker>")
    .description("land a worker's branch onto its target (as the worker's land tool does)")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/land.js"), ["worker"]));

  program
    .command("review <name>")
    .description(
      "what landed on an epic's target (or an ad-hoc worker's branch): commits, diff stats, open tasks",
    )
    .option("--json", "print JSON")
    .action(action(() => import("./cli/review.js"), ["name"]));

  program
    .command("merge <name>")
    .description("merge an epic's target (or an ad-hoc worker's branch) into its base, then clean up")
    .option("--force", "merge even when tasks are not complete")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/merge.js"), ["name"]));

  program
    .command("kill <worker>")
    .description("stop a worker's agent session")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/kill.js"), ["worker"]));

  program
    .command("retry <task>")
    .description("respawn a blocked, dead or abandoned task in its kept worktree (retry count reset)")
    .option("--agent <name>", "agent backend (default: the one it had)")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/retry.js"), ["task"]));

  program
    .command("unblock <task>")
    .description("after you fixed what blocked a task: let it move again (jig run respawns it)")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/unblock.js"), ["task"]));

  program
    .command("abandon <name>")
    .description("give up a task or a whole epic: stop its sessions, keep its work at a backup ref")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/abandon.js"), ["name"]));

  program
    .command("clean")
    .description(
      "remove finished workers: records, worktrees, _jig/ branches (unlanded work is kept and listed)",
    )
    .option("--epic <epic>", "only this epic's workers")
    .option("--force", "also remove finished workers with unlanded work, keeping it at a backup ref")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/clean.js")));

  program
    .command("logs <worker>")
    .description("a worker's session log")
    .option("-f, --follow", "keep printing as the log grows, until the session ends")
    .option("--raw", "print the log as written (Claude Code's stream-json), not as a transcript")
    .action(action(() => import("./cli/logs.js"), ["worker"]));

  program
    .command("serve")
    .description("the MCP server: --stdio for one client on stdin/stdout, else Streamable HTTP at /mcp")
    .option("--stdio", "serve over stdin/stdout")
    .option("--port <port>", "HTTP port (0 picks a free one)", parsePort, 7411)
    .option("--host <host>", "HTTP bind address", "127.0.0.1")
    .option("--tls-cert <file>", "serve HTTPS with this PEM certificate (chain); with --tls-key")
    .option("--tls-key <file>", "the PEM private key of --tls-cert")
    .option(
      "--insecure-http",
      "allow plain HTTP on a non-loopback address (tokens in clear: a trusted network or a TLS proxy only)",
    )
    .option("--allowed-host <host...>", "extra Host/Origin names to accept")
    .option("--idle-timeout <seconds>", "close an HTTP session idle this long", parseSeconds, 1800)
    .action(action(() => import("./cli/serve.js")));

  program
    .command("k8s-job")
    .description(
      "print the Kubernetes Secret + Job of one remote worker for `kubectl apply -f -` (token from JIG_TOKEN)",
    )
    .requiredOption("--name <worker>", "the worker's name ({name} in a command launcher)")
    .requiredOption("--task <id>", "its task ({task})")
    .requiredOption("--target <branch>", "the branch its task lands on ({target})")
    .requiredOption("--agent <name>", "its agent ({agent})")
    .requiredOption("--url <url>", "the coordinator's MCP endpoint as the pod reaches it ({url})")
    .requiredOption("--remote <url>", "the shared git remote as the pod reaches it ({remote})")
    .option("--image <image>", "the container image (default: kubernetes.image in jig.json)")
    .option("--namespace <namespace>", "the namespace (default: kubernetes.namespace, else kubectl's)")
    .action(action(() => import("./cli/k8s-job.js")));

  program
    .command("ssh-session", { hidden: true })
    .description("what the ssh launcher runs: ssh with the worker's token on stdin, held open while it runs")
    .argument("<sshArgs...>")
    .allowUnknownOption()
    .action(action(() => import("./cli/ssh-session.js"), ["sshArgs"]));

  program
    .command("demo")
    .description(
      "the whole plan → work → land pipeline on a sample epic in a temporary repo (scripted agent, no network)",
    )
    .option("--keep", "keep the temporary repo and print its path")
    .option("--json", "print JSON")
    .action(action(() => import("./cli/demo.js")));

  program
    .command("worker")
    .description(
      "run one worker session here for a coordinator elsewhere: clone the shared remote, run the agent against the coordinator's MCP URL, push before each land (token: JIG_TOKEN or --token-file)",
    )
    .requiredOption("--url <url>", "the coordinator's MCP endpoint, e.g. https://coordinator:7411/mcp")
    .requiredOption("--remote <git-url>", "the shared git remote, as this machine reaches it")
    .requiredOption("--task <id>", "the task the coordinator spawned this worker for")
    .option("--target <branch>", "the branch the task lands on (default: learnt from claim_task)")
    .option("--agent <name>", "the agent (as named in the repository's jig.json)")
    .option("--dir <path>", "cache of clones and worktrees (default $JIG_WORKER_HOME or ~/.cache/jig/worker)")
    .option(
      "--token-file <file>",
      "read the worker's token from this file (- for stdin) instead of JIG_TOKEN",
    )
    .option(
      "--coordinator-timeout <seconds>",
      "stop the agent when the coordinator stays unreachable this long (default $JIG_WORKER_COORDINATOR_TIMEOUT or 300)",
      parseSeconds,
    )
    .action(action(() => import("./cli/worker.js")));

  program
    .command("worker-mcp", { hidden: true })
    .description(
      "a remote worker agent's MCP server: stdio to the agent, HTTP to the coordinator (started by jig worker)",
    )
    .action(action(async () => ({ run: (await import("./cli/worker.js")).proxy })));

  program
    .command("agent-scripted", { hidden: true })
    .description("the built-in scripted agent (used by the scripted backend)")
    .requiredOption("--mcp-config <file>", "MCP config naming the jig server")
    .option("--role <role>", "worker | planner | adhoc", "worker")
    .action(action(() => import("./cli/agent-scripted.js")));

  program
    .command("agent-supervise <name>", { hidden: true })
    .description("run a worker's agent session and record how it ended (started by spawn)")
    .action(action(() => import("./cli/agent-supervise.js"), ["name"]));

  program
    .command("completion")
    .description("print the completion script for bash, zsh or fish (source it from your shell's rc file)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]))
    .action(async (shell: string, _options: unknown, command: Command) =>
      (await import("./cli/completion.js")).printScript(command.parent!, shell),
    );

  program
    .command("complete [words...]", { hidden: true })
    .description(
      "the completions of a command line (called by the completion script: jig complete -- <words>)",
    )
    .allowUnknownOption()
    .action(async (words: string[] = [], _options: unknown, command: Command) =>
      (await import("./cli/completion.js")).printWords(command.parent!, words),
    );

  return program;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new CommanderError(2, "jig.usage", `expected a whole number from 1 to 64, got '${value}'`);
  return n;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 7 * 24 * 3600)
    throw new CommanderError(2, "jig.usage", `expected seconds from 1 to 604800 (a week), got '${value}'`);
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new CommanderError(2, "jig.usage", `expected a port from 0 to 65535, got '${value}'`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.configureOutput({
    writeOut: (text) => process.stdout.write(text),
    writeErr: (text) => process.stderr.write(text),
  });
  // `--json` commands print their errors as JSON too (on stdout, where a script reads the result).
  const json = argv.includes("--json");
  try {
    await program.parseAsync(argv);
    return commandExitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help"
      )
        return 0;
      if (error.code === "jig.usage") process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    if (json) {
      process.stdout.write(`${JSON.stringify({ error: errorJson(error) }, null, 2)}\n`);
      return 1;
    }
    if (isJigError(error)) {
      process.stderr.write(`${colors.red("error:")} ${escapeControls(error.message)}\n`);
      if (error.hint) process.stderr.write(`${colors.dim("hint:")} ${escapeControls(error.hint)}\n`);
      return 1;
    }
    const internal = toJigError(error);
    process.stderr.write(`${colors.red("internal error, please report:")} ${internal.message}\n`);
    if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

function errorJson(error: unknown) {
  const jig = toJigError(error);
  return { ...jig.toJSON(), ...(isJigError(error) ? {} : { internal: true }) };
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
