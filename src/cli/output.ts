import pc from "picocolors";

// The one place that turns a command's result into text or JSON on stdout.
export interface CommandOutput {
  /** What a person reads. */
  text: string;
  /** What `--json` prints (stable field names). */
  json: unknown;
  /** The process's exit code when it is not 0 (an agent's own code, 130 after Ctrl-C, 1 for a failed check). */
  exitCode?: number;
}

export interface CommandIO {
  cwd: string;
  json: boolean;
  write: (text: string) => void;
  /** Progress and warnings: stderr, so stdout stays parseable. */
  warn: (text: string) => void;
}

export function printOutput(io: CommandIO, output: CommandOutput | undefined): void {
  if (!output) return;
  if (io.json) io.write(`${JSON.stringify(output.json, null, 2)}\n`);
  else if (output.text.length > 0) io.write(output.text.endsWith("\n") ? output.text : `${output.text}\n`);
}

export const colors = pc;
