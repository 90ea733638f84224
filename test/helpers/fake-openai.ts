// A scripted OpenAI Responses endpoint (POST /v1/responses, streamed) on 127.0.0.1, so the real Codex CLI
// runs in tests with no network and no API key: the session's config.toml names it as a model provider.
// Codex sends MCP tools as `namespace` tools (mcp__<server>) and expects calls back as function_call
// items carrying that namespace; tool results come back as function_call_output items in `input`.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface OpenAiToolStep {
  /** "mcp__jig__claim_task" for an MCP tool, or a built-in function name such as "exec_command". */
  tool: string;
  input: Record<string, unknown>;
}

export interface OpenAiRequest {
  input: { type: string; role?: string; call_id?: string; output?: unknown; content?: unknown }[];
  tools?: { type: string; name?: string; tools?: { name: string }[] }[];
  [key: string]: unknown;
}

export interface FakeOpenAi {
  /** Base URL for the provider's base_url, e.g. http://127.0.0.1:40123/v1 */
  url: string;
  requests: OpenAiRequest[];
  errors: Error[];
  /** Tool outputs the CLI sent back, by step index. */
  outputs: Map<number, string>;
  /** Requests answered (each reports `usage`): what the sessions have spent. */
  readonly answered: number;
  close(): Promise<void>;
}

/** Codex `settings` for jig.json: this endpoint as the model provider, no retries, no login. */
export function codexSettings(url: string): Record<string, unknown> {
  return {
    model: "gpt-fake",
    model_provider: "fake",
    model_providers: {
      fake: {
        name: "fake",
        base_url: url,
        env_key: "FAKE_OPENAI_KEY",
        wire_api: "responses",
        request_max_retries: 0,
        stream_max_retries: 0,
      },
    },
  };
}

/**
 * Says this text instead of taking step `next` (the index of the step the conversation is at); undefined
 * goes on with the step. A promise that never settles holds the request (a model that "thinks" forever).
 */
export type OpenAiIntercept = (
  request: OpenAiRequest,
  next: number,
) => string | undefined | Promise<string | undefined>;

/**
 * Calls the steps' tools in order, one per request, then says `finalText`. The step to take is read
 * from the request's own conversation (the outputs already in `input`), so each of several sessions, and
 * a resumed or retried one, gets the right answer. `usage` is reported on every response (a budget test
 * makes it large).
 */
export async function startFakeOpenAi(
  steps: OpenAiToolStep[],
  finalText = "Done.",
  usage = { input_tokens: 100, output_tokens: 20 },
  intercept?: OpenAiIntercept,
): Promise<FakeOpenAi> {
  const requests: OpenAiRequest[] = [];
  const errors: Error[] = [];
  const outputs = new Map<number, string>();
  let answered = 0;
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => {
      raw += chunk.toString("utf8");
    });
    req.on("end", async () => {
      try {
        if (req.method !== "POST" || !(req.url ?? "").endsWith("/responses")) {
          res.writeHead(404, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: `fake-openai: no route ${req.method} ${req.url}` } }));
          return;
        }
        const body = JSON.parse(raw) as OpenAiRequest;
        requests.push(body);
        const done = new Set<number>();
        for (const item of body.input) {
          const match = /^call_step_(\d+)$/.exec(item.call_id ?? "");
          if (item.type === "function_call_output" && match) {
            done.add(Number(match[1]));
            outputs.set(
              Number(match[1]),
              typeof item.output === "string" ? item.output : JSON.stringify(item.output),
            );
          }
        }
        const next = steps.findIndex((_, index) => !done.has(index));
        const instead = await intercept?.(body, next);
        const text = instead ?? (next === -1 ? finalText : undefined);
        const item =
          text !== undefined
            ? {
                type: "message",
                id: `msg_${requests.length}`,
                role: "assistant",
                status: "completed",
                content: [{ type: "output_text", text, annotations: [] }],
              }
            : functionCall(steps[next]!, next);
        answered++;
        res.writeHead(200, { "content-type": "text/event-stream" });
        const send = (type: string, data: Record<string, unknown>) =>
          res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
        const id = `resp_${requests.length}`;
        send("response.created", { response: { id } });
        send("response.output_item.added", { output_index: 0, item });
        send("response.output_item.done", { output_index: 0, item });
        send("response.completed", {
          response: {
            id,
            usage: {
              ...usage,
              input_tokens_details: { cached_tokens: 0 },
              output_tokens_details: { reasoning_tokens: 0 },
              total_tokens: usage.input_tokens + usage.output_tokens,
            },
          },
        });
        res.end();
      } catch (error) {
        errors.push(error as Error);
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: String(error) } }));
      }
    });
  });
  // A long step (a slow machine, a tool that runs for a while) must not meet a keep-alive connection the
  // server is closing just as the CLI reuses it ("fetch failed", then a retried request).
  server.keepAliveTimeout = 600_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    errors,
    outputs,
    get answered() {
      return answered;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function functionCall(step: OpenAiToolStep, index: number): Record<string, unknown> {
  const mcp = /^(mcp__[^_]+(?:_[^_]+)*)__(.+)$/.exec(step.tool);
  return {
    type: "function_call",
    id: `fc_step_${index}`,
    call_id: `call_step_${index}`,
    ...(mcp ? { namespace: mcp[1], name: mcp[2] } : { name: step.tool }),
    arguments: JSON.stringify(step.input),
  };
}
