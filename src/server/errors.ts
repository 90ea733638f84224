import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type JigError, toJigError } from "../errors.js";
import { redactForCaller } from "../lib/redact.js";

// The one place MCP errors are rendered: `[CODE] message — hint`, with no stack, no absolute paths
// outside the repository and no secrets (lib/redact.ts).
export function renderToolError(error: unknown, root: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: sanitize(toJigError(error), root) }] };
}

export function sanitize(error: JigError, root: string): string {
  return redactForCaller(error.toToolLine(), root);
}
