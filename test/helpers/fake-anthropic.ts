// A scripted Anthropic Messages endpoint on 127.0.0.1, so the real Claude Code CLI can run in tests with
// no network and no API key (ANTHROPIC_BASE_URL points at it). See docs/claude-code-notes.md.
import { existsSync, mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** What the fake model says in one turn. Tool-use ids are generated when omitted. */
export type AssistantBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; name: string; input: Record<string, unknown>; id?: string };

export interface FakeTurn {
  content: AssistantBlock[];
  /** Defaults to "tool_use" when the turn calls a tool, else "end_turn". */
  stopReason?: "end_turn" | "tool_use" | "max_tokens" | "stop_sequence";
}

/** The parts of a Messages API request the fake reads; the rest is kept in `body`. */
export interface MessagesRequest {
  model: string;
  messages: Message[];
  tools?: ToolDefinition[];
  system?: unknown;
  stream?: boolean;
  [key: string]: unknown;
}
export interface Message {
  role: string;
  content: string | ContentBlock[];
}
export interface ContentBlock {
  type: string;
  [key: string]: unknown;
}
export interface ToolDefinition {
  name: string;
  description?: string;
  input_schema?: unknown;
  defer_loading?: boolean;
}

/** A tool result as the CLI sent it back to the model. */
export interface ToolResult {
  toolUseId: string;
  /** The name of the tool the model called (from the matching tool_use block). */
  tool: string;
  input: Record<string, unknown>;
  /** The text of the result's text blocks, joined by newlines. */
  text: string;
  isError: boolean;
  /** The raw result content (text blocks, or tool_reference blocks for ToolSearch). */
  content: unknown;
}

export interface ScriptContext {
  request: MessagesRequest;
  /** Index of this main-loop turn: the number of assistant messages already in the conversation. */
  turn: number;
  /** Tools the model may call now: those sent without defer_loading plus deferred ones already loaded. */
  callableTools: string[];
  /** Deferred tools not loaded yet: the model must call ToolSearch before calling them. */
  deferredTools: string[];
  /** Every tool result in the conversation so far, oldest first. */
  toolResults: ToolResult[];
}

/** Either a function from the request to the next turn, or a fixed list of turns (one per main-loop request). */
export type FakeScript =
  | ((ctx: ScriptContext) => FakeTurn | string | Promise<FakeTurn | string>)
  | Array<FakeTurn | string>;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
  /** "main" (the agent loop), "side" (a request without tools: titles, summaries…), or "other". */
  kind: "main" | "side" | "count_tokens" | "other";
}

export interface FakeAnthropic {
  /** Base URL for ANTHROPIC_BASE_URL, e.g. http://127.0.0.1:40123 */
  url: string;
  requests: RecordedRequest[];
  /** Errors the script threw; each was also answered with HTTP 500 so the CLI fails visibly. */
  errors: Error[];
  close(): Promise<void>;
}

const SIDE_ANSWER = "OK.";

/**
 * Starts the fake endpoint on 127.0.0.1, port 0. `usage` replaces the estimated token counts of every
 * main-loop answer (a budget test reports large usage).
 */
export async function startFakeAnthropic(
  script: FakeScript,
  options: { usage?: { input_tokens: number; output_tokens: number } } = {},
): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const errors: Error[] = [];
  let nextId = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : raw;
      } catch {
        // not JSON: keep the text
      }
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      handle(req, res, path, body).catch((error: unknown) => {
        const err = error instanceof Error ? error : new Error(String(error));
        errors.push(err);
        if (!res.headersSent) sendError(res, 500, "api_error", `fake-anthropic: ${err.message}`);
        else res.end();
      });
    });
  });

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    body: unknown,
  ): Promise<void> {
    const record = (kind: RecordedRequest["kind"]) =>
      requests.push({ method: req.method ?? "", path, headers: req.headers, body, kind });
    if (req.method === "POST" && path === "/v1/messages/count_tokens") {
      record("count_tokens");
      return sendJson(res, 200, { input_tokens: estimateTokens(body) });
    }
    if (req.method !== "POST" || path !== "/v1/messages") {
      // e.g. HEAD /api/hello, a reachability probe sent when nonessential traffic is not disabled.
      record("other");
      if (req.method === "HEAD") {
        res.writeHead(200);
        return void res.end();
      }
      return sendError(res, 404, "not_found_error", `fake-anthropic: no route ${req.method} ${path}`);
    }
    const request = body as MessagesRequest;
    const isSide = !request.tools || request.tools.length === 0;
    record(isSide ? "side" : "main");
    const turn = isSide
      ? { content: [{ type: "text" as const, text: SIDE_ANSWER }] }
      : await nextTurn(request);
    const content = turn.content.map((block) =>
      block.type === "tool_use" ? { ...block, id: block.id ?? `toolu_fake_${nextId++}` } : block,
    );
    const stopReason =
      turn.stopReason ?? (content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn");
    const usage =
      !isSide && options.usage
        ? options.usage
        : { input_tokens: estimateTokens(body), output_tokens: estimateTokens(content) };
    const message = {
      id: `msg_fake_${nextId++}`,
      type: "message",
      role: "assistant",
      model: request.model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { ...usage, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    };
    if (request.stream) streamMessage(res, message, content, usage);
    else sendJson(res, 200, message);
  }

  async function nextTurn(request: MessagesRequest): Promise<FakeTurn> {
    const ctx = scriptContext(request);
    let turn: FakeTurn | string | undefined;
    if (Array.isArray(script)) {
      turn = script[ctx.turn];
      if (turn === undefined)
        throw new Error(`the script has ${script.length} turns; turn ${ctx.turn} requested`);
    } else {
      turn = await script(ctx);
    }
    return typeof turn === "string" ? { content: [{ type: "text", text: turn }] } : turn;
  }

  // Claude Code reuses a keep-alive connection between turns; Node closes idle ones after 5 s, and on a
  // loaded machine a turn can take longer — the CLI then meets ECONNRESET (and no retries in tests).
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reads the conversation: which tools are callable, which are deferred, and every tool result. */
export function scriptContext(request: MessagesRequest): ScriptContext {
  const messages = request.messages ?? [];
  const blocks = (m: Message): ContentBlock[] => (typeof m.content === "string" ? [] : m.content);
  const toolUses = new Map<string, { name: string; input: Record<string, unknown> }>();
  const loaded = new Set<string>();
  const toolResults: ToolResult[] = [];
  for (const message of messages) {
    for (const block of blocks(message)) {
      if (block.type === "tool_use") {
        toolUses.set(String(block.id), {
          name: String(block.name),
          input: (block.input ?? {}) as Record<string, unknown>,
        });
      } else if (block.type === "tool_result") {
        const content = block.content;
        const parts =
          typeof content === "string" ? [{ type: "text", text: content }] : (content as ContentBlock[]);
        for (const part of parts ?? []) {
          if (part.type === "tool_reference") loaded.add(String(part.tool_name));
        }
        const use = toolUses.get(String(block.tool_use_id));
        toolResults.push({
          toolUseId: String(block.tool_use_id),
          tool: use?.name ?? "",
          input: use?.input ?? {},
          text: (parts ?? [])
            .filter((p) => p.type === "text")
            .map((p) => String(p.text))
            .join("\n"),
          isError: block.is_error === true,
          content,
        });
      }
    }
  }
  const tools = request.tools ?? [];
  const callableTools = tools.filter((t) => !t.defer_loading || loaded.has(t.name)).map((t) => t.name);
  // Deferred tools are announced by name in a message, not sent as definitions until ToolSearch loads them.
  const announced = deferredToolsAnnounced(messages);
  const deferredTools = [
    ...new Set([...announced, ...tools.filter((t) => t.defer_loading).map((t) => t.name)]),
  ].filter((name) => !callableTools.includes(name) && name !== "DeferredToolPlaceholder");
  const turn = messages.filter((m) => m.role === "assistant").length;
  return { request, turn, callableTools, deferredTools, toolResults };
}

// The CLI lists deferred tools one per line after this sentence, ending at a blank line.
const DEFERRED_INTRO = "deferred tools are now available via ToolSearch";

function deferredToolsAnnounced(messages: Message[]): string[] {
  const names: string[] = [];
  for (const message of messages) {
    const texts =
      typeof message.content === "string"
        ? [message.content]
        : message.content.filter((b) => b.type === "text").map((b) => String(b.text));
    for (const text of texts) {
      const start = text.indexOf(DEFERRED_INTRO);
      if (start < 0) continue;
      const lines = text.slice(start).split("\n").slice(1);
      for (const line of lines) {
        if (line.trim() === "") break;
        names.push(line.trim());
      }
    }
  }
  return names;
}

export interface ToolStep {
  /** The tool's full name as the CLI knows it: "mcp__jig__claim_task", "Bash", … */
  tool: string;
  /** Arguments, or a function of the results received so far (e.g. to use a claimed task's text). */
  input: Record<string, unknown> | ((results: ToolResult[]) => Record<string, unknown>);
}

/** A step that runs a shell command through Claude Code's built-in Bash tool. */
export function bashStep(command: string, description = "Run a shell command"): ToolStep {
  return { tool: "Bash", input: { command, description } };
}

export interface ToolCallingModel {
  script: (ctx: ScriptContext) => FakeTurn;
  /** Results of the steps' calls (not ToolSearch's), in step order, as the CLI reported them. */
  results: ToolResult[];
  /** The result of the first call to `tool`, if it has come back. */
  resultOf(tool: string): ToolResult | undefined;
}

/**
 * A model that calls the given tools in order, one per turn, then says `finalText`. A deferred tool is
 * loaded first with ToolSearch ("select:<name>"), as a real model must. Stateless per request: the step to
 * take is read from the conversation, so a retried request gets the same answer.
 */
export function toolCallingModel(steps: ToolStep[], finalText = "Done."): ToolCallingModel {
  const results: ToolResult[] = [];
  const script = (ctx: ScriptContext): FakeTurn => {
    const byId = new Map(ctx.toolResults.map((r) => [r.toolUseId, r]));
    const stepResults: ToolResult[] = [];
    for (const [index, step] of steps.entries()) {
      const id = `toolu_step_${index}`;
      const done = byId.get(id);
      if (done) {
        stepResults.push(done);
        if (!results.some((r) => r.toolUseId === id)) results.push(done);
        continue;
      }
      if (ctx.callableTools.includes(step.tool)) {
        const input = typeof step.input === "function" ? step.input(stepResults) : step.input;
        return { content: [{ type: "tool_use", id, name: step.tool, input }] };
      }
      // The CLI may answer a search before an MCP server has connected ("still connecting … try searching
      // again"), or, on a loaded machine, with an internal error: search again, as a real model would, a
      // bounded number of times.
      const searches = ctx.toolResults.filter((r) => r.toolUseId.startsWith(`toolu_search_${index}`));
      const last = searches.at(-1);
      const searchAgain = last !== undefined && searches.length < 20;
      const searchId =
        searches.length === 0 ? `toolu_search_${index}` : `toolu_search_${index}_${searches.length}`;
      if (ctx.callableTools.includes("ToolSearch") && (searches.length === 0 || searchAgain)) {
        return {
          content: [
            {
              type: "tool_use",
              id: searchId,
              name: "ToolSearch",
              input: { query: `select:${step.tool}`, max_results: 5 },
            },
          ],
        };
      }
      throw new Error(
        `step ${index}: tool ${step.tool} is not available (callable: ${ctx.callableTools.join(", ")}; ` +
          `deferred: ${ctx.deferredTools.join(", ") || "none"}; ToolSearch said: ${last?.text ?? "-"})`,
      );
    }
    return { content: [{ type: "text", text: finalText }] };
  };
  return { script, results, resultOf: (tool) => results.find((r) => r.tool === tool) };
}

/** The claude binary installed as a devDependency, or undefined when it is missing. */
export function claudeBin(): string | undefined {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const bin = join(root, "node_modules", ".bin", "claude");
  return existsSync(bin) ? bin : undefined;
}

/**
 * Environment for running the real CLI against the fake: no login, no retries, no traffic but the
 * endpoint's, config isolated under `dir`, and without the CLAUDECODE marker of a parent session.
 */
export function claudeEnv(url: string, dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = join(dir, "home");
  const configDir = join(home, ".claude");
  mkdirSync(configDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key === "CLAUDECODE" || key.startsWith("CLAUDE_CODE_") || key.startsWith("ANTHROPIC_"))
      delete env[key];
  }
  return {
    ...env,
    HOME: home,
    CLAUDE_CONFIG_DIR: configDir,
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_API_KEY: "test-key",
    CLAUDE_CODE_MAX_RETRIES: "0",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    ...extra,
  };
}

function estimateTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? "").length / 4));
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { type: "error", error: { type, message } });
}

// The event sequence of a streamed Messages response, one content block at a time.
function streamMessage(
  res: ServerResponse,
  message: Record<string, unknown>,
  content: Array<Exclude<AssistantBlock, { type: "tool_use" }> | (AssistantBlock & { id: string })>,
  usage: { input_tokens: number; output_tokens: number },
): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const send = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send("message_start", {
    message: {
      ...message,
      content: [],
      stop_reason: null,
      usage: { ...usage, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  });
  send("ping", {});
  content.forEach((block, index) => {
    if (block.type === "text") {
      send("content_block_start", { index, content_block: { type: "text", text: "" } });
      send("content_block_delta", { index, delta: { type: "text_delta", text: block.text } });
    } else {
      send("content_block_start", {
        index,
        content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
      });
      send("content_block_delta", {
        index,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
      });
    }
    send("content_block_stop", { index });
  });
  send("message_delta", {
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  send("message_stop", {});
  res.end();
}
