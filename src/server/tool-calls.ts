import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { CallToolRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { touchSeen } from "../core/alarms.js";
import type { JigContext } from "../core/context.js";
import type { Caller } from "../core/identity.js";
import { takeWarnings } from "../core/warnings.js";
import { JigError } from "../errors.js";
import type { ToolDefinition } from "../tools/tool.js";
import { renderToolError } from "./errors.js";

// tools/call, answered by jig itself. The SDK's McpServer lists the tools (their JSON Schemas come
// from the same zod shapes), but its own call path refuses bad arguments with a bare
// "MCP error -32602: Input validation error: …". Here every refusal is jig's: `[INVALID_INPUT]` naming
// each bad field and the value sent, and what to do next — the same form as every other jig error.

interface Compiled {
  tool: ToolDefinition;
  input: z.ZodObject;
  output: z.ZodObject | null;
}

// Compiled once per tool list, shared by every session (a zod object compiles its parser on first use).
const compiled = new WeakMap<readonly ToolDefinition[], Map<string, Compiled>>();

function compiledFor(tools: readonly ToolDefinition[]): Map<string, Compiled> {
  let byName = compiled.get(tools);
  if (!byName) {
    byName = new Map(
      tools.map((tool) => [
        tool.name,
        {
          tool,
          input: z.object(tool.inputSchema),
          output: tool.outputSchema ? z.object(tool.outputSchema) : null,
        },
      ]),
    );
    compiled.set(tools, byName);
  }
  return byName;
}

export function answerToolCalls(
  server: McpServer,
  tools: readonly ToolDefinition[],
  env: { ctx: JigContext; caller: Caller },
): void {
  const byName = compiledFor(tools);
  const root = env.ctx.paths.root;
  server.server.removeRequestHandler(CallToolRequestSchema.shape.method.value);
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const name = request.params.name;
    const found = byName.get(name);
    if (!found) {
      return renderToolError(
        new JigError("NOT_FOUND", `there is no tool named ${JSON.stringify(name.slice(0, 80))}`, {
          hint: `jig's tools are ${[...byName.keys()].join(", ")}`,
        }),
        root,
      );
    }
    const args = request.params.arguments ?? {};
    const parsed = found.input.safeParse(args);
    if (!parsed.success) return renderToolError(argumentsError(name, parsed.error, args), root);
    try {
      if (env.caller.role === "worker") await touchSeen(env.ctx, env.caller.name);
      const out = await found.tool.run(parsed.data as never, { ...env, extra });
      if (found.output && out.structured && !found.output.safeParse(out.structured).success) {
        throw new JigError("INTERNAL", `${name} produced a result that does not match its output schema`);
      }
      // A worker learns what changed under it (a land that broke its branch) in its next result.
      const warnings = env.caller.role === "worker" ? await takeWarnings(env.ctx, env.caller.name, name) : [];
      if (warnings.length === 0)
        return {
          content: [{ type: "text", text: out.text }],
          ...(out.structured ? { structuredContent: out.structured } : {}),
        };
      const said = warnings.map((w) => `⚠ ${w.message} ${w.next}`).join("\n");
      return {
        content: [{ type: "text", text: `${out.text}\n${said}` }],
        structuredContent: { ...(out.structured ?? {}), warnings },
      };
    } catch (error) {
      return renderToolError(error, root);
    }
  });
}

/** Every bad field (up to five), each with what was expected and the value sent. */
export function argumentsError(tool: string, error: z.ZodError, args: unknown): JigError {
  const problems = error.issues.slice(0, 5).map((issue) => {
    const path = formatPath(issue.path);
    const sent = valueAt(args, issue.path);
    const got =
      sent === undefined ? "missing" : issue.code === "unrecognized_keys" ? "" : `got ${preview(sent)}`;
    return `${path || "arguments"}: ${issue.message}${got ? ` (${got})` : ""}`;
  });
  const more = error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : "";
  return new JigError("INVALID_INPUT", `invalid arguments for ${tool}: ${problems.join("; ")}${more}`, {
    hint: `fix ${problems.length === 1 ? "that argument" : "those arguments"} and call ${tool} again (its input schema is in tools/list)`,
  });
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((key, index) =>
      typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key).slice(0, 60)}`,
    )
    .join("");
}

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** A value as it was sent, short: strings clipped (a megabyte string is reported by its length). */
function preview(value: unknown): string {
  if (typeof value === "string")
    return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === "object") return "an object";
  return String(value);
}
