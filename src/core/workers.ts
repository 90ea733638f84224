import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { JigError } from "../errors.js";
import { killTree } from "../lib/exec.js";
import { readJsonFile, writeFileAtomic } from "../lib/fs.js";
import { isProcessAlive } from "../lib/pid.js";
import { redactSecrets } from "../lib/redact.js";
import { assertSafeId } from "./ids.js";
import type { JigPaths } from "./paths.js";
import { worktreeStatusFile } from "./paths.js";

// The registry of workers: one JSON file per worker under .jig/workers/, written atomically,
// so many processes can add and read workers without a shared lock and a crash tears nothing.

export const WorkerKindSchema = z.enum(["task", "adhoc", "planner"]);

export const UsageSchema = z.object({
  costUsd: z.number().nullable(),
  inputTokens: z.number().nullable(),
  outputTokens: z.number().nullable(),
  turns: z.number().nullable(),
});

export const WorkerRecordSchema = z.object({
  name: z.string(),
  kind: WorkerKindSchema,
  /** The issue id a task worker was spawned for (null for ad-hoc workers). */
  issue: z.string().nullable(),
  epic: z.string().nullable(),
  /** The worker's own branch, `_jig/<name>`. */
  branch: z.string(),
  /** The branch its work lands onto (task workers) or was started from (ad-hoc). */
  target: z.string(),
  worktree: z.string(),
  agent: z.string(),
  pid: z.number().int().nullable(),
  started: z.string(),
  logPath: z.string(),
  /** Set when the session process ended: its exit code, the time, and what the agent said last. */
  exited: z
    .object({
      code: z.number().nullable(),
      signal: z.string().nullable(),
      at: z.string(),
      /** The agent's final message or error (Claude Code's `result`; a custom agent's last output line). */
      said: z.string().nullable().optional(),
    })
    .nullable()
    .default(null),
  attempt: z.number().int().default(1),
  /** Cost and usage the agent reported, summed over every attempt of this worker (what its budget counts). */
  usage: UsageSchema.nullable().default(null),
  /** The part of `usage` spent by earlier attempts (this attempt's own is added to it). */
  usageBefore: UsageSchema.nullable().default(null),
  /** The agent CLI's conversation id, so a retry can resume the conversation. */
  session: z.string().nullable().default(null),
  /**
   * Where the session runs: `local` (its worktree here), or the jig.json launcher kind that placed it
   * elsewhere (`command`, `ssh`…); a remote worker's `worktree` is only its status directory here.
   */
  launcher: z.string().default("local"),
  /** The host a launcher chose, if it chooses among hosts. */
  host: z.string().nullable().default(null),
});
export type WorkerRecord = z.infer<typeof WorkerRecordSchema>;
/** A record as written: fields with defaults may be left out. */
export type WorkerRecordInput = z.input<typeof WorkerRecordSchema>;

export const WorkerStateSchema = z.enum(["working", "blocked", "done"]);
export type WorkerState = z.infer<typeof WorkerStateSchema>;

export const WorkerStatusSchema = z
  .object({
    status: WorkerStateSchema,
    message: z.string().nullable(),
    updated: z.string().optional(),
  })
  .passthrough();
export type WorkerStatus = z.infer<typeof WorkerStatusSchema>;

export class WorkerRegistry {
  constructor(private readonly paths: JigPaths) {}

  private fileOf(name: string): string {
    return join(this.paths.workersDir, `${assertSafeId(name, "worker name")}.json`);
  }

  async save(record: WorkerRecordInput): Promise<void> {
    await writeFileAtomic(this.fileOf(record.name), `${JSON.stringify(record, null, 2)}\n`);
  }

  async get(name: string): Promise<WorkerRecord | null> {
    const data = await readJsonFile(this.fileOf(name));
    if (data === null) return null;
    const parsed = WorkerRecordSchema.safeParse(data);
    return parsed.success ? parsed.data : null;
  }

  async require(name: string): Promise<WorkerRecord> {
    const record = await this.get(name);
    if (!record) {
      throw new JigError("NOT_FOUND", `no worker named '${name}'`, {
        hint: "run `jig ps` to see the workers",
        toolHint:
          "read the jig://workers resource for the workers' names (a worker acts only as itself: omit the worker argument)",
      });
    }
    return record;
  }

  async list(): Promise<WorkerRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.paths.workersDir);
    } catch {
      return [];
    }
    const records = await Promise.all(
      names
        .filter((name) => name.endsWith(".json") && !name.startsWith("."))
        .map((name) => this.get(name.slice(0, -5)).catch(() => null)),
    );
    return records
      .filter((record): record is WorkerRecord => record !== null)
      .sort((a, b) => a.started.localeCompare(b.started));
  }

  async update(name: string, change: (record: WorkerRecord) => WorkerRecord): Promise<WorkerRecord> {
    const next = change(await this.require(name));
    await this.save(next);
    return next;
  }

  async remove(name: string): Promise<void> {
    await rm(this.fileOf(name), { force: true });
  }
}

/** Reads `.jig/status.json` of a worktree; a missing or unreadable file reads as null. */
export async function readWorkerStatus(worktree: string): Promise<WorkerStatus | null> {
  const data = await readJsonFile(worktreeStatusFile(worktree));
  const parsed = WorkerStatusSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
}

/** Merges fields into `.jig/status.json` of a worktree (atomic write), keeping what else is there. */
export async function writeWorkerStatus(
  worktree: string,
  patch: Partial<WorkerStatus> & Record<string, unknown>,
): Promise<WorkerStatus> {
  const current = (await readJsonFile<Record<string, unknown>>(worktreeStatusFile(worktree))) ?? {};
  if (typeof patch.message === "string") patch = { ...patch, message: redactSecrets(patch.message) };
  const next = {
    status: "working",
    message: null,
    ...current,
    ...patch,
    updated: new Date().toISOString(),
  } as WorkerStatus;
  // A worktree removed by hand is not recreated as a directory holding only `.jig/status.json`: that
  // leftover would make the next `jig spawn --issue` fail with "already exists".
  if (!existsSync(worktree)) return next;
  await writeFileAtomic(worktreeStatusFile(worktree), `${JSON.stringify(next, null, 2)}\n`);
  return next;
}

/** A worker placed on another machine: its work reaches this one through the shared git remote only. */
export const isRemote = (record: Pick<WorkerRecord, "launcher">): boolean => record.launcher !== "local";

/** How a session ended, for people: `exit code 1: Not logged in · Please run /login`, `killed by SIGKILL`. */
export function describeExit(record: Pick<WorkerRecord, "exited">): string {
  const { exited } = record;
  if (!exited) return "process gone";
  const how = exited.signal ? `killed by ${exited.signal}` : `exit code ${exited.code}`;
  return exited.said ? `${how}: ${exited.said}` : how;
}

/**
 * Stops a worker's session: SIGTERM to its process group (the supervisor leads it, so the agent and its
 * MCP server go too), SIGKILL after 3 s; the record says how it ended.
 */
export async function stopSession(registry: WorkerRegistry, record: WorkerRecord): Promise<void> {
  if (!isProcessAlive(record.pid)) return;
  killTree(record.pid!, "SIGTERM");
  for (let i = 0; i < 30 && isProcessAlive(record.pid); i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  if (isProcessAlive(record.pid)) killTree(record.pid!, "SIGKILL");
  await registry
    .update(record.name, (current) => ({
      ...current,
      exited: current.exited ?? { code: null, signal: "SIGTERM", at: new Date().toISOString() },
    }))
    .catch(() => {});
}

/** How long a session may be registered without a pid (its supervisor starting) before it counts as dead. */
const START_GRACE_MS = 60_000;

/**
 * The one definition of "is the session alive": not recorded as exited, and its supervisor's process
 * alive — or, before the pid is recorded, started less than a minute ago (a spawn that crashed between
 * registering and launching is dead, not starting forever).
 */
export function sessionRunning(record: Pick<WorkerRecord, "exited" | "pid" | "started">): boolean {
  if (record.exited !== null) return false;
  if (record.pid === null) return Date.now() - Date.parse(record.started) < START_GRACE_MS;
  return isProcessAlive(record.pid);
}
