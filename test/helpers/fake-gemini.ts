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
  functionResponse?: { name: string; response: unknown };
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
  close(): Promise<void>;
}

/**
 * Calls the steps' tools in order, one per main-loop request, then says `finalText`. The step is read
 * from the conversation (the function responses already in it). Requests without tools (the CLI's
 * side questions: routing, summaries) get a short JSON-ish text answer.
 */
export async function startFakeGemini(
  steps: GeminiToolStep[],
  finalText = "Done.",
  usage = { promptTokenCount: 100, candidatesTokenCount: 20 },
): Promise<FakeGemini> {
  const requests: GeminiRequest[] = [];
  const errors: Error[] = [];
  let responses: FakeGemini["responses"] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => {
      raw += chunk.toString("utf8");
    });
    req.on("end", () => {
      try {
        const body = JSON.parse(raw || "{}") as GeminiRequest;
        const hasTools = (body.tools ?? []).some((t) => (t.functionDeclarations ?? []).length > 0);
        let part: Part;
        if (!hasTools) part = { text: '{"reasoning": "simple", "model_choice": "flash"}' };
        else {
          requests.push(body);
          const done = (body.contents ?? []).flatMap((c) =>
            (c.parts ?? []).flatMap((p) => (p.functionResponse ? [p.functionResponse] : [])),
          );
          responses = done;
          const step = steps[done.length];
          part = step ? { functionCall: { name: step.tool, args: step.input } } : { text: finalText };
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
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    errors,
    get responses() {
      return responses;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
