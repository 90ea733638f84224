import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { JigContext } from "../core/context.js";
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
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once("exit", (c, s) => resolve([c, s]));
    child.once("error", () => resolve([127, null]));
  });
  closeSync(log);
  const usage = spec.usageFormat === "claude-stream-json" ? readClaudeUsage(record.logPath) : null;
  await ctx.workers.update(name, (current: WorkerRecord) => ({
    ...current,
    exited: { code, signal, at: new Date().toISOString() },
    usage: usage ?? current.usage,
  }));
  return code ?? 1;
}

/** Cost and tokens from the last `result` event of Claude Code's stream-json output. */
export function readClaudeUsage(logPath: string): WorkerRecord["usage"] {
  try {
    const size = statSync(logPath).size;
    const text = readFileSync(logPath, "utf8").slice(Math.max(0, size - 512 * 1024));
    const lines = text.split("\n").reverse();
    for (const line of lines) {
      if (!line.includes('"type":"result"')) continue;
      const event = JSON.parse(line) as {
        total_cost_usd?: number;
        num_turns?: number;
        usage?: { input_tokens?: number; output_tokens?: number };
      };
      return {
        costUsd: event.total_cost_usd ?? null,
        inputTokens: event.usage?.input_tokens ?? null,
        outputTokens: event.usage?.output_tokens ?? null,
        turns: event.num_turns ?? null,
      };
    }
  } catch {}
  return null;
}
