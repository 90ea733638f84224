import { colors } from "../output.js";

// `jig logs`: Claude Code's stream-json output read as a transcript — the session, what the model said,
// each tool call with its result summarised, errors, and the final cost. Lines that are not stream-json
// events (another agent's output, a stderr line) pass through unchanged.

type Block = {
  type?: string;
  text?: string;
  name?: string;
  id?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
};
type StreamEvent = {
  type?: string;
  subtype?: string;
  session_id?: string;
  model?: string;
  tools?: unknown[];
  mcp_servers?: { name?: string; status?: string }[];
  message?: { content?: string | Block[] };
  result?: string;
  is_error?: boolean;
  num_turns?: number;
  total_cost_usd?: number;
  duration_ms?: number;
  usage?: { input_tokens?: number; output_tokens?: number };
  error?: unknown;
  terminal_reason?: string;
  api_error?: string;
};

const RESULT_LINES = 3;
const WIDTH = 160;

/** Renders stream-json lines one at a time; it remembers tool names so a result says what it answers. */
export class TranscriptRenderer {
  private readonly toolNames = new Map<string, string>();

  /** The text for one line of the log (with its newline), or "" for events with nothing to show. */
  render(line: string): string {
    const event = parseEvent(line);
    if (!event) return `${line}\n`;
    const out = this.renderEvent(event);
    return out.length > 0 ? `${out.join("\n")}\n` : "";
  }

  private renderEvent(event: StreamEvent): string[] {
    switch (event.type) {
      case "system":
        return event.subtype === "init" ? [init(event)] : [];
      case "assistant":
        // An API error reaches the stream as a synthetic assistant message carrying `error`.
        if (event.error)
          return blocks(event).map((b) => `${colors.red("✗")} ${clip(b.text ?? String(event.error))}`);
        return blocks(event).flatMap((block) => this.assistantBlock(block));
      case "user":
        return blocks(event).flatMap((block) => this.toolResult(block));
      case "result":
        return [result(event)];
      default:
        return [];
    }
  }

  private assistantBlock(block: Block): string[] {
    if (block.type === "text" && block.text?.trim())
      return [`${colors.bold("●")} ${clean(block.text.trim())}`];
    if (block.type === "tool_use") {
      const name = block.name ?? "?";
      if (block.id) this.toolNames.set(block.id, name);
      const input = toolInput(block.input);
      return [`${colors.cyan("→")} ${colors.cyan(shortTool(name))}${input ? ` ${clip(input)}` : ""}`];
    }
    return [];
  }

  private toolResult(block: Block): string[] {
    if (block.type !== "tool_result") return [];
    const text = resultText(block.content);
    const lines = (summarizeJson(text) ?? text).split("\n").filter((l) => l.trim() !== "");
    const shown = lines.slice(0, RESULT_LINES).map((l) => clip(l));
    const more =
      lines.length > RESULT_LINES ? [colors.dim(`… ${lines.length - RESULT_LINES} more line(s)`)] : [];
    const mark = block.is_error ? colors.red("✗") : colors.dim("←");
    const body = shown.length > 0 ? shown : [colors.dim("(no output)")];
    return [`  ${mark} ${body[0]}`, ...[...body.slice(1), ...more].map((l) => `    ${l}`)];
  }
}

function parseEvent(line: string): StreamEvent | null {
  if (!line.startsWith("{")) return null;
  try {
    const event = JSON.parse(line) as StreamEvent;
    return typeof event === "object" && event !== null && typeof event.type === "string" ? event : null;
  } catch {
    return null;
  }
}

const blocks = (event: StreamEvent): Block[] => {
  const content = event.message?.content;
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? content : [];
};

function init(event: StreamEvent): string {
  const servers = (event.mcp_servers ?? []).map((s) => `${s.name}: ${s.status}`).join(", ");
  return colors.dim(
    `── session ${event.session_id ?? "?"} · model ${event.model ?? "?"} · ${event.tools?.length ?? 0} tools${servers ? ` · MCP ${servers}` : ""}`,
  );
}

function result(event: StreamEvent): string {
  const failed = event.is_error === true || (event.subtype !== undefined && event.subtype !== "success");
  const why =
    event.terminal_reason ?? event.api_error ?? (event.subtype !== "success" ? event.subtype : null);
  const facts = [
    ...(failed ? [why ?? "error"] : []),
    ...(event.num_turns !== undefined ? [`${event.num_turns} turn(s)`] : []),
    ...(event.total_cost_usd !== undefined ? [`$${event.total_cost_usd.toFixed(4)}`] : []),
    ...(event.usage
      ? [`${event.usage.input_tokens ?? 0} in / ${event.usage.output_tokens ?? 0} out tokens`]
      : []),
    ...(event.duration_ms !== undefined ? [`${(event.duration_ms / 1000).toFixed(1)} s`] : []),
  ];
  const said = event.result?.trim() ? `: ${clip(event.result.trim().split("\n")[0]!)}` : "";
  const head = failed ? colors.red("✗ session failed") : colors.green("✓ session ended");
  return `${head} (${facts.join(" · ")})${said}`;
}

/** `mcp__jig__land` → `jig.land`: the server and the tool, without the prefix noise. */
const shortTool = (name: string) => {
  const match = /^mcp__(.+?)__(.+)$/.exec(name);
  return match ? `${match[1]}.${match[2]}` : name;
};

/** What a call was about, in one line: the command, the file, the pattern, or the arguments. */
function toolInput(input: unknown): string {
  if (input === null || typeof input !== "object") return "";
  const fields = input as Record<string, unknown>;
  for (const key of ["command", "file_path", "path", "pattern", "query", "url"]) {
    if (typeof fields[key] === "string") return oneLine(fields[key] as string);
  }
  const json = JSON.stringify(input);
  return json === "{}" ? "" : json;
}

/**
 * A tool's JSON result (what Claude Code passes on from an MCP tool's structuredContent) as its short
 * fields on one line and its `next` on another; long texts (a task's body) and nested values are left out.
 */
function summarizeJson(text: string): string | null {
  if (!text.startsWith("{")) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const fields: string[] = [];
  let next: string | null = null;
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (key === "next" && typeof field === "string") next = field;
    else if (typeof field === "string" && field.length <= 60 && !field.includes("\n"))
      fields.push(`${key}: ${/^[0-9a-f]{40}$/.test(field) ? field.slice(0, 10) : field}`);
    else if (typeof field === "number" || typeof field === "boolean") fields.push(`${key}: ${field}`);
    else if (Array.isArray(field) && field.length > 0)
      fields.push(
        `${key}: ${field.every((f) => typeof f === "string") ? field.map((f) => (/^[0-9a-f]{40}$/.test(f) ? f.slice(0, 10) : f)).join(", ") : `${field.length} item(s)`}`,
      );
  }
  return [fields.join(" · "), ...(next ? [`next: ${next}`] : [])].join("\n");
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: { type?: string; text?: string; tool_name?: string }) =>
      part.type === "text"
        ? (part.text ?? "")
        : part.type === "tool_reference"
          ? `(loaded ${part.tool_name})`
          : "",
    )
    .join("\n");
}

// Control characters (terminal escapes a model or a tool printed) are dropped: this goes to a terminal.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const clean = (text: string) => text.replace(CONTROL, "");
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ⏎ ");
const clip = (raw: string) => {
  const text = clean(raw);
  return text.length > WIDTH ? `${text.slice(0, WIDTH - 1)}…` : text;
};
