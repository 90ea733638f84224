import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { JigError } from "../errors.js";
import { SCRIPTED_USAGE } from "./backends/scripted.js";

// The built-in scripted agent: a real MCP client (over stdio, like Claude Code) whose "brain" is a script.
// A worker's script is the ```jig-script``` JSON block in its task text; a planner's plan is the
// ```jig-plan``` JSON block in the epic. Without a script a worker writes a note file and lands it.
// Over 300 lines on purpose: it is one interpreter — the step vocabulary, the planner's and the ad-hoc
// worker's paths share its MCP client and its helpers, and it changes only with the steps it learns.

const StepSchema = z.union([
  z.object({ write: z.object({ path: z.string(), content: z.string() }) }),
  z.object({ append: z.object({ path: z.string(), content: z.string() }) }),
  z.object({ commit: z.string() }),
  z.object({ status: z.enum(["working", "blocked", "done"]), message: z.string().optional() }),
  z.object({ land: z.literal(true) }),
  z.object({ crash: z.literal(true) }),
  /** Crash the first session only (a marker in the worktree's .jig/ remembers), to exercise retries. */
  z.object({ crashOnce: z.literal(true) }),
  z.object({ exit: z.number().int() }),
  z.object({ hang: z.literal(true) }),
  z.object({ flood: z.number().int().positive() }),
  z.object({ call: z.string(), args: z.record(z.string(), z.unknown()).optional() }),
  /** Run git in the worktree as an agent might (e.g. leave its branch for a detached HEAD). */
  z.object({ git: z.array(z.string()).min(1) }),
  /** Wait (up to a minute) until another task reaches a status: how the demo makes a conflict certain. */
  z.object({ waitForTask: z.object({ id: z.string(), status: z.array(z.string()) }) }),
  /** Wait (up to ten minutes) until a file exists: lets a test or a person decide when a worker goes on. */
  z.object({ waitForFile: z.string().min(1) }),
  /** Report spend as a CLI would (a JSON line in the output the scripted backend reads): stats and budgets see it. */
  z.object({
    usage: z.object({
      costUsd: z.number().nonnegative(),
      inputTokens: z.number().int().nonnegative().optional(),
      outputTokens: z.number().int().nonnegative().optional(),
    }),
  }),
]);
const ScriptSchema = z.object({
  steps: z.array(StepSchema).optional(),
  /** Files to write when land reports a conflict: the resolution, applied during a rebase onto the target. */
  resolve: z.record(z.string(), z.string()).optional(),
  skipClaim: z.boolean().optional(),
});
type Script = z.infer<typeof ScriptSchema>;

export function extractBlock(text: string, language: string): string | null {
  const match = new RegExp(`\`\`\`${language}\\s*\\n([\\s\\S]*?)\\n\`\`\``).exec(text);
  return match ? match[1]! : null;
}

function say(line: string): void {
  process.stdout.write(`[scripted] ${line}\n`);
}

interface McpConfig {
  mcpServers: Record<string, { command: string; args?: string[]; env?: Record<string, string> }>;
}

export async function connectFromConfig(configPath: string): Promise<Client> {
  const config = JSON.parse(readFileSync(configPath, "utf8")) as McpConfig;
  const server = config.mcpServers.jig;
  if (!server)
    throw new JigError("INVALID_INPUT", `${configPath} has no "jig" MCP server`, {
      hint: "spawn sessions with jig",
    });
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args ?? [],
    env: { ...env, ...server.env },
    stderr: "inherit",
  });
  const client = new Client({ name: "jig-scripted-agent", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({ name, arguments: args }, undefined, {
    timeout: 120_000,
  })) as CallToolResult;
  const text = result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
  say(`${name} → ${result.isError ? "ERROR " : ""}${text.split("\n")[0]}`);
  // What a model would read in the result: the warnings jig pushed to this worker (core/warnings.ts).
  const warnings = (
    result.structuredContent as { warnings?: { message?: string; next?: string }[] } | undefined
  )?.warnings;
  for (const warning of warnings ?? []) say(`warning: ${warning.message} ${warning.next}`);
  return {
    isError: result.isError === true,
    text,
    data: (result.structuredContent ?? {}) as Record<string, unknown>,
  };
}

function gitHere(args: string[], env: Record<string, string> = {}): string {
  return execFileSync("git", args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GIT_EDITOR: "true", ...env },
  });
}

function nothingStaged(): boolean {
  try {
    gitHere(["diff", "--cached", "--quiet"]);
    return true;
  } catch {
    return false; // exit 1: there are staged changes
  }
}

function safePath(path: string): string {
  const full = resolve(process.cwd(), path);
  if (!full.startsWith(`${process.cwd()}/`)) throw new Error(`script path ${path} escapes the worktree`);
  return full;
}

export async function runScriptedAgent(options: { mcpConfig: string; role: string }): Promise<number> {
  const client = await connectFromConfig(options.mcpConfig);
  try {
    if (options.role === "planner") return await runPlanner(client);
    if (options.role === "adhoc") return await runAdhoc(client);
    return await runWorker(client);
  } finally {
    await client.close().catch(() => {});
  }
}

async function runPlanner(client: Client): Promise<number> {
  const prompt = process.env.JIG_PROMPT ?? "";
  const epic = /planner for epic (\S+)\./.exec(prompt)?.[1];
  const file = /Read the epic in (\S+) and/.exec(prompt)?.[1];
  if (!epic || !file) throw new Error("the planner prompt does not name the epic");
  const text = readFileSync(file, "utf8");
  const block = extractBlock(text, "jig-plan");
  const plan = block ? (JSON.parse(block) as { subtasks: unknown[] }) : { subtasks: planFromHeadings(text) };
  if (!block && plan.subtasks.length === 0) {
    // The last line of the log is what `jig plan` shows as the reason.
    say(
      `nothing to plan in ${file}: the scripted planner needs a \`\`\`jig-plan block or '### ' headings under a '## Subtasks' heading`,
    );
    return 1;
  }
  const result = await call(client, "plan_epic", { epic, subtasks: plan.subtasks });
  return result.isError ? 1 : 0;
}

// "### 1. Title" headings under "## Subtasks" become subtasks, each depending on nothing.
function planFromHeadings(text: string): unknown[] {
  const section = text.split(/^## Subtasks\s*$/m)[1] ?? "";
  return [...section.matchAll(/^###\s+(?:\d+\.\s*)?(.+)\n([\s\S]*?)(?=^###\s|^##\s|(?![\s\S]))/gm)].map(
    (m) => ({
      title: m[1]!.trim(),
      objective: m[2]!.trim() || m[1]!.trim(),
      acceptanceCriteria: [`${m[1]!.trim()} is done`],
    }),
  );
}

async function runWorker(client: Client): Promise<number> {
  const claim = await call(client, "claim_task");
  if (claim.isError) return 2;
  const id = String(claim.data.id);
  const target = String(claim.data.target);
  const body = String(claim.data.body ?? "");
  const block = extractBlock(body, "jig-script");
  const script: Script = block
    ? ScriptSchema.parse(JSON.parse(block))
    : {
        steps: [
          {
            write: {
              path: `notes/${id}.md`,
              content: `# ${claim.data.title}\n\nDone by the scripted agent.\n`,
            },
          },
          { commit: `${id}: ${claim.data.title}` },
          { land: true },
        ],
      };
  await call(client, "set_status", { status: "working" });
  return runSteps(client, script, target);
}

// An ad-hoc worker has no task to claim: its task is the prompt's context. It follows a jig-script block
// there, or writes the context to notes/<name>.md and commits it; a human reviews and merges the branch.
async function runAdhoc(client: Client): Promise<number> {
  const prompt = process.env.JIG_PROMPT ?? "";
  const name = /You are jig worker (\S+),/.exec(prompt)?.[1] ?? "adhoc";
  const context = /Your task:\n\n([\s\S]*?)\n\nCommit your work/.exec(prompt)?.[1] ?? prompt;
  const block = extractBlock(context, "jig-script");
  const script: Script = block
    ? ScriptSchema.parse(JSON.parse(block))
    : {
        steps: [
          { write: { path: `notes/${name}.md`, content: `# ${name}\n\n${context.trim()}\n` } },
          { commit: `${name}: ${context.trim().split("\n")[0]!.slice(0, 60)}` },
        ],
      };
  return runSteps(client, script, gitHere(["rev-parse", "--abbrev-ref", "HEAD"]).trim());
}

async function runSteps(client: Client, script: Script, target: string): Promise<number> {
  for (const step of script.steps ?? []) {
    if ("write" in step) {
      mkdirSync(dirname(safePath(step.write.path)), { recursive: true });
      writeFileSync(safePath(step.write.path), step.write.content);
    } else if ("append" in step) {
      mkdirSync(dirname(safePath(step.append.path)), { recursive: true });
      appendFileSync(safePath(step.append.path), step.append.content);
    } else if ("commit" in step) {
      gitHere(["add", "-A"]);
      if (nothingStaged()) {
        // A retried session runs its script again in the kept worktree: the commit is already there.
        say(`nothing to commit for "${step.commit}" (an earlier attempt committed it)`);
        continue;
      }
      gitHere(["-c", "commit.gpgsign=false", "commit", "-q", "-m", step.commit]);
      say(`committed: ${step.commit}`);
    } else if ("status" in step) {
      await call(client, "set_status", {
        status: step.status,
        ...(step.message ? { message: step.message } : {}),
      });
    } else if ("land" in step) {
      const code = await landUntilDone(client, target, script.resolve);
      if (code !== 0) return code;
    } else if ("crash" in step) {
      say("crashing on purpose");
      process.kill(process.pid, "SIGKILL");
    } else if ("crashOnce" in step) {
      const marker = join(process.cwd(), ".jig", "crashed-once");
      if (!existsSync(marker)) {
        writeFileSync(marker, "1");
        say("crashing on purpose (first session only)");
        process.kill(process.pid, "SIGKILL");
      }
    } else if ("exit" in step) {
      return step.exit;
    } else if ("hang" in step) {
      say("hanging on purpose");
      await new Promise(() => {});
    } else if ("flood" in step) {
      const line = `${"x".repeat(199)}\n`;
      for (let i = 0; i < step.flood; i++) process.stdout.write(line);
    } else if ("waitForTask" in step) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const task = await client.callTool({ name: "get_task", arguments: { id: step.waitForTask.id } });
        const status = (task.structuredContent as { status?: string } | undefined)?.status;
        if (status && step.waitForTask.status.includes(status)) break;
        if (Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } else if ("waitForFile" in step) {
      say(`waiting for ${step.waitForFile}`);
      const deadline = Date.now() + 600_000;
      while (!existsSync(resolve(step.waitForFile)) && Date.now() < deadline)
        await new Promise((done) => setTimeout(done, 100));
    } else if ("call" in step) {
      await call(client, step.call, step.args ?? {});
    } else if ("git" in step) {
      gitHere(step.git);
      say(`git ${step.git.join(" ")}`);
    } else if ("usage" in step) {
      process.stdout.write(`${JSON.stringify({ [SCRIPTED_USAGE]: step.usage })}\n`);
    }
  }
  return 0;
}

async function landUntilDone(
  client: Client,
  target: string,
  resolution: Record<string, string> | undefined,
): Promise<number> {
  let resolutions = 0;
  for (let attempt = 0; attempt < 200; attempt++) {
    const result = await call(client, "land", {});
    const state = result.data.state;
    if (state === "landed") return 0;
    if (state === "queued" || state === "landing") continue;
    const conflicts = (result.data.conflicts as string[] | undefined) ?? [];
    if (state === "blocked" && conflicts.length > 0 && resolution && resolutions < 3) {
      say(`resolving the conflict in ${conflicts.join(", ")}`);
      resolveByRebase(target, resolution);
      resolutions++;
      await call(client, "set_status", {
        status: "working",
        message: "resolved the conflict; landing again",
      });
      continue;
    }
    say(`giving up: ${result.text.split("\n")[0]}`);
    return 3;
  }
  return 4;
}

// What a person (or a model) does with a conflict: rebase onto the target, fix the files, continue.
function resolveByRebase(target: string, resolution: Record<string, string>): void {
  try {
    gitHere(["rebase", target]);
    return;
  } catch {
    // Expected: the rebase stops at the conflict.
  }
  for (let round = 0; round < 20; round++) {
    for (const [path, content] of Object.entries(resolution)) {
      mkdirSync(dirname(safePath(path)), { recursive: true });
      writeFileSync(safePath(path), content);
      gitHere(["add", "--", path]);
    }
    try {
      gitHere(["-c", "core.editor=true", "rebase", "--continue"], { GIT_EDITOR: "true" });
      return;
    } catch {
      // Another commit of the rebase conflicted too: resolve it the same way.
    }
  }
  gitHere(["rebase", "--abort"]);
}

export const scriptedAgentFile = (dir: string) => join(dir, "jig-script.json");
