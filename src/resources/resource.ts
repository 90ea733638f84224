import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { JigContext } from "../core/context.js";
import { type ErrorCode, toJigError } from "../errors.js";

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

// MCP's own code for a resource that does not exist; bad input is JSON-RPC's invalid params.
const JSON_RPC_CODE: Partial<Record<ErrorCode, number>> = { INVALID_INPUT: -32602, NOT_FOUND: -32002 };

/**
 * A resource read whose failures reach the client as `[CODE] message — hint` with a JSON-RPC code that
 * says what went wrong (-32602 bad input, -32002 not found, -32603 otherwise), not a bare -32603.
 * A plain Error with a numeric `code`: the SDK sends both as they are (an McpError would prefix its
 * message twice once the client wraps it again).
 */
export function reads<A extends unknown[], R>(read: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await read(...args);
    } catch (error) {
      const jig = toJigError(error);
      throw Object.assign(new Error(jig.toLine(), { cause: error }), {
        code: JSON_RPC_CODE[jig.code] ?? -32603,
      });
    }
  };
}
