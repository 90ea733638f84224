// A scripted Gemini API endpoint (generateContent and streamGenerateContent?alt=sse) on 127.0.0.1, so the
// real Gemini CLI runs in tests with no network: GOOGLE_GEMINI_BASE_URL points at it and GEMINI_API_KEY
// is any string. MCP tools reach the model as mcp_<server>_<tool> function declarations; results come
// back as functionResponse parts.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface GeminiToolStep {
  /** The function name as the CLI declares it: "mcp_jig_claim_task", "run_shell_command", … */
  tool: string;
  input: Record<string, unknown>;
}

interface Part {
  text?: string;
  functionCall?: { name: string; args: unknown };
  functionResponse?: { id?: string; name: string; response: unknown };
}
export interface GeminiRequest {
  contents?: { role: string; parts?: Part[] }[];
  tools?: { functionDeclarations?: { name: string }[] }[];
  systemInstruction?: unknown;
  [key: string]: unknown;
}

export interface FakeGemini {
  /** For GOOGLE_GEMINI_BASE_URL. */
  url: string;
  /** Main-loop requests (those that declare tools). */
  requests: GeminiRequest[];
  errors: Error[];
  /** Function responses the CLI sent back, in step order. */
  responses: { name: string; response: unknown }[];
  /** Main-loop requests answered (each reports `usage`): what the sessions have spent. */
  readonly answered: number;
  close(): Promise<void>;
}

/**
 * Says this text instead of taking step `next` (the index of the step the conversation is at); undefined
 * goes on with the step. A promise that never settles holds the request (a model that "thinks" forever).
 */
export type GeminiIntercept = (
  request: GeminiRequest,
  next: number,
) => string | undefined | Promise<string | undefined>;

/**
 * Calls the steps' tools in order, one per main-loop request, then says `finalText`. The step is read
 * from the conversation (the function responses already in it). Requests without tools (the CLI's
 * side questions: routing, summaries) get a short JSON-ish text answer.
 */
export async function startFakeGemini(
  steps: GeminiToolStep[],
  finalText = "Done.",
  usage = { promptTokenCount: 100, candidatesTokenCount: 20 },
  intercept?: GeminiIntercept,
): Promise<FakeGemini> {
  const requests: GeminiRequest[] = [];
  const errors: Error[] = [];
  let responses: FakeGemini["responses"] = [];
  let answered = 0;
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => {
      raw += chunk.toString("utf8");
    });
    req.on("end", async () => {
      try {
        const body = JSON.parse(raw || "{}") as GeminiRequest;
        const hasTools = (body.tools ?? []).some((t) => (t.functionDeclarations ?? []).length > 0);
        let part: Part;
        if (!hasTools) part = { text: '{"reasoning": "simple", "model_choice": "flash"}' };
        else {
          requests.push(body);
          // Each call once: a resumed conversation may carry a call's response twice.
          const byId = new Map<string, { name: string; response: unknown }>();
          for (const c of body.contents ?? [])
            for (const p of c.parts ?? [])
              if (p.functionResponse)
                byId.set(p.functionResponse.id ?? JSON.stringify(p.functionResponse), p.functionResponse);
          const done = [...byId.values()];
          responses = done;
          const step = steps[done.length];
          const instead = await intercept?.(body, done.length);
          part =
            instead !== undefined
              ? { text: instead }
              : step
                ? { functionCall: { name: step.tool, args: step.input } }
                : { text: finalText };
          answered++;
        }
        const answer = {
          candidates: [{ content: { role: "model", parts: [part] }, finishReason: "STOP", index: 0 }],
          usageMetadata: { ...usage, totalTokenCount: usage.promptTokenCount + usage.candidatesTokenCount },
          modelVersion: "gemini-2.5-flash",
        };
        if ((req.url ?? "").includes("streamGenerateContent")) {
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.end(`data: ${JSON.stringify(answer)}\n\n`);
        } else {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(answer));
        }
      } catch (error) {
        errors.push(error as Error);
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: 500, message: String(error) } }));
      }
    });
  });
  // A long step (a slow machine, a tool that runs for a while) must not meet a keep-alive connection the
  // server is closing just as the CLI reuses it ("fetch failed", then a retried request).
  server.keepAliveTimeout = 600_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    errors,
    get responses() {
      return responses;
    },
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
