import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type JigError, toJigError } from "../core/errors.js";

// The one place MCP errors are rendered: `[CODE] message — hint`, with no stack, no absolute paths
// outside the repository and no secrets.
export function renderToolError(error: unknown, root: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: sanitize(toJigError(error), root) }] };
}

export function sanitize(error: JigError, root: string): string {
  let text = error.toLine();
  text = text.split(`${root}/`).join("").split(root).join(".");
  // Any other absolute path (home directories, temp dirs) is not the caller's business.
  text = text.replace(/(^|[\s'"(=])\/(?:[\w.@+-]+\/)+[\w.@+-]*/g, "$1<path>");
  return text.replace(/\b(worker|planner|admin)\.[A-Za-z0-9_-]{16,}\b/g, "<token>");
}
