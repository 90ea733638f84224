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

// Terminal escapes: text an agent wrote (titles, messages, logs) could retitle the window (ESC ] 0;…),
// hide lines or fake output. Controls other than newline and tab, C1 controls and bidi overrides are
// shown as visible escapes instead.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// `\u001b`: readable, and inside `--json` output still a valid JSON escape of the same character.
const visible = (ch: string): string => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** Every control character made visible: for a string someone else wrote, before jig colours it. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, visible);
}

// jig's own colours (SGR) and the screen clear of `jig ps --watch`; nothing else reaches the terminal.
const OWN_SEQUENCE = /\u001b\[[0-9;]*[mJH]/g;

/** The last net before stdout/stderr: jig's own colour codes pass, every other control is made visible. */
export function terminalSafe(text: string): string {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(OWN_SEQUENCE)) {
    out += escapeControls(text.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return out + escapeControls(text.slice(last));
}
