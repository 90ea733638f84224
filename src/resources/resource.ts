import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { JigContext } from "../core/context.js";

// Each resource file exports a register function; index.ts lists them.
export type RegisterResource = (server: McpServer, ctx: JigContext) => void;

/** Reads a resource variable that may arrive URL-encoded; the core validates what it names. */
export function variable(value: string | string[] | undefined): string {
  const raw = Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
