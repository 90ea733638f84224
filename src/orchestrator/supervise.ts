import { spawn } from "node:child_process";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import type { JigContext } from "../core/context.js";
import { recordEvent } from "../core/events.js";
import type { WorkerRecord } from "../core/workers.js";
import { readJsonFile } from "../lib/fs.js";
import type { LaunchSpec } from "./backends/backend.js";

// The supervisor of one session (`jig agent-supervise <name>`, started detached by spawn): runs the agent
// with its output in the worker's log, then records the exit code and the agent's reported cost/usage.

export async function superviseSession(ctx: JigContext, name: string): Promise<number> {
  const record = await ctx.workers.require(name);
  const spec = await readJsonFile<LaunchSpec>(join(ctx.paths.workersDir, `${name}.launch.json`));
  if (!spec) return 1;
  const log = openSync(record.logPath, "a");
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ["ignore", log, log] });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGTERM", () => forward("SIGTERM"));
  process.on("SIGINT", () => forward("SIGINT"));
  let spawnError: string | null = null;
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once("exit", (c, s) => resolve([c, s]));
    child.once("error", (error) => {
      spawnError = error.message;
      resolve([127, null]);
    });
  });
  closeSync(log);
  const tail = readTail(record.logPath, 512 * 1024);
  const result = spec.usageFormat === "claude-stream-json" ? claudeResult(tail) : null;
  // What the agent said last: Claude Code's result (its answer, or why it failed); for other agents,
  // the last line they printed when they failed.
  const said =
    spawnError ?? result?.said ?? (signal === null && code !== 0 && !result ? lastLine(tail) : null);
  const ended = await ctx.workers.update(name, (current: WorkerRecord) => ({
    ...current,
    exited: { code, signal, at: new Date().toISOString(), said: said ? clip(said) : null },
    usage: result?.usage ?? current.usage,
  }));
  await recordEvent(ctx, {
    type: "session-ended",
    epic: ended.epic,
    worker: name,
    task: ended.issue,
    code,
    signal,
    usage: ended.usage,
  });
  return code ?? 1;
}

const clip = (text: string) => {
  const line = text.trim().split("\n")[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
};

function readTail(path: string, bytes: number): string {
  try {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, bytes);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      return buffer.toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

const lastLine = (text: string): string | null =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .at(-1) ?? null;

/** Cost, tokens and the final message from the last `result` event of Claude Code's stream-json output. */
export function claudeResult(tail: string): { usage: WorkerRecord["usage"]; said: string | null } | null {
  for (const line of tail.split("\n").reverse()) {
    if (!line.includes('"type":"result"')) continue;
    try {
      const event = JSON.parse(line) as {
        total_cost_usd?: number;
        num_turns?: number;
        usage?: { input_tokens?: number; output_tokens?: number };
        result?: string;
        is_error?: boolean;
        subtype?: string;
      };
      return {
        usage: {
          costUsd: event.total_cost_usd ?? null,
          inputTokens: event.usage?.input_tokens ?? null,
          outputTokens: event.usage?.output_tokens ?? null,
          turns: event.num_turns ?? null,
        },
        said: event.result || (event.is_error ? (event.subtype ?? "error") : null),
      };
    } catch {}
  }
  return null;
}
