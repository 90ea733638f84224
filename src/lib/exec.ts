import { execa } from "execa";

// The only importer of execa. Runs shell commands (gates, custom agents) in their own process group so
// a timeout kills the whole tree, and keeps only the tail of what they print.

export interface CommandResult {
  exitCode: number | null;
  timedOut: boolean;
  /** The last `maxOutput` characters of stdout+stderr interleaved. */
  output: string;
  truncated: boolean;
}

export async function runShell(
  command: string,
  options: {
    cwd: string;
    timeoutMs: number;
    maxOutput?: number;
    env?: Record<string, string>;
    /** Only `env`, nothing inherited from this process (a gate must not see jig's or an agent's secrets). */
    cleanEnv?: boolean;
    /** Called once the process group exists (its leader's pid), before waiting for it. */
    onSpawn?: (pid: number) => Promise<void> | void;
  },
): Promise<CommandResult> {
  const maxOutput = options.maxOutput ?? 64 * 1024;
  let output = "";
  let truncated = false;
  const child = execa(command, {
    shell: true,
    cwd: options.cwd,
    env: options.env,
    extendEnv: !options.cleanEnv,
    detached: true,
    buffer: false,
    all: true,
    stdin: "ignore",
    reject: false,
  });
  child.all?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.length > maxOutput * 2) {
      output = output.slice(-maxOutput);
      truncated = true;
    }
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killTree(child.pid);
  }, options.timeoutMs);
  try {
    if (child.pid && options.onSpawn) await options.onSpawn(child.pid);
    const result = await child;
    if (output.length > maxOutput) {
      output = output.slice(-maxOutput);
      truncated = true;
    }
    return { exitCode: timedOut ? null : (result.exitCode ?? null), timedOut, output, truncated };
  } finally {
    clearTimeout(timer);
    killTree(child.pid);
  }
}

/** Kills a process group started with `detached: true` (the child and everything it spawned). */
export function killTree(pid: number | undefined, signal: NodeJS.Signals = "SIGKILL"): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {}
  }
}

/** Runs a program (no shell) and returns its exit code and output; never throws on a failure to start. */
export async function runProgram(
  file: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs: number },
): Promise<{ exitCode: number | null; stdout: string; stderr: string; error: string | null }> {
  const result = await execa(file, [...args], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: options.env === undefined,
    stdin: "ignore",
    reject: false,
    timeout: options.timeoutMs,
  });
  const failedToRun = result.exitCode === undefined;
  return {
    exitCode: result.exitCode ?? null,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
    error: failedToRun ? ((result.cause as Error | undefined)?.message ?? "could not run") : null,
  };
}
