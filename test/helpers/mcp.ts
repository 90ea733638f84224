import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type JigContext, openContext } from "../../src/core/context.js";
import { ADMIN, type Caller } from "../../src/core/identity.js";
import { createServer } from "../../src/server/create-server.js";

// A real MCP Client talking to a real jig server over the SDK's in-memory transport.
export async function connect(
  ctx: JigContext,
  caller: Caller = ADMIN,
): Promise<{ client: Client; close: () => Promise<void> }> {
  const { server, close } = createServer({ ctx, caller });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "jig-test", version: "0.0.0" });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await close();
    },
  };
}

export async function connectRepo(root: string, caller: Caller = ADMIN) {
  const ctx = await openContext({ root });
  return { ctx, ...(await connect(ctx, caller)) };
}

/** Calls a tool and returns its text and structured result, whether or not it is an error. */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
  return {
    isError: result.isError === true,
    text,
    data: result.structuredContent as Record<string, unknown> | undefined,
  };
}

/** One raw Streamable HTTP request, as a client would send it (for what the SDK client never sends). */
export function postMcp(
  url: string,
  options: { token: string; session?: string; body: unknown },
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${options.token}`,
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
      ...(options.session ? { "mcp-session-id": options.session } : {}),
    },
    body: JSON.stringify(options.body),
  });
}

export const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
};
