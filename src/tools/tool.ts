import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { JigContext } from "../core/context.js";
import type { Caller } from "../core/identity.js";

// The shape every tool file exports: its definition for the model and a thin run() over the core.

export interface ToolEnv {
  ctx: JigContext;
  caller: Caller;
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>;
}

export interface ToolOutput {
  /** What the model reads: short, with the next step. */
  text: string;
  /** Machine-readable result matching the tool's outputSchema. */
  structured?: Record<string, unknown>;
}

export interface ToolDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  inputSchema: Shape;
  outputSchema?: z.ZodRawShape;
  annotations: ToolAnnotations;
  run(args: z.infer<z.ZodObject<Shape>>, env: ToolEnv): Promise<ToolOutput>;
}

export const defineTool = <Shape extends z.ZodRawShape>(tool: ToolDefinition<Shape>): ToolDefinition<Shape> =>
  tool;
