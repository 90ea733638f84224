import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { JigContext } from "../core/context.js";
import type { Caller } from "../core/identity.js";
import { WarningSchema } from "../core/warnings.js";
import { redactForCaller } from "../lib/redact.js";
import { RESOURCES } from "../resources/index.js";
import { TOOLS } from "../tools/index.js";
import { defineTool, type ToolDefinition } from "../tools/tool.js";
import { VERSION } from "../version.js";
import { answerToolCalls } from "./tool-calls.js";
import { type ChangeEvent, watcherFor } from "./watch.js";

const WARNINGS = z
  .array(WarningSchema)
  .optional()
  .describe(
    "Changes that concern you since your last call (e.g. a land that made your branch conflict): act on them first",
  );

export interface JigServer {
  server: McpServer;
  close: () => Promise<void>;
}

const INSTRUCTIONS =
  "jig coordinates coding agents working on one epic. Workers: claim_task first, set_status as your state changes, " +
  "commit your work, then land. Planners: read the epic, then plan_epic once with the whole plan. Anyone: list_tasks, " +
  "get_task, and the jig://issues, jig://epics and jig://workers resources show the state.";

const NOOP_TOOL = defineTool({
  name: "noop",
  title: "No-op",
  description: "benchmark baseline: does nothing",
  inputSchema: {},
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run: async () => ({ text: "ok" }),
}) as unknown as ToolDefinition;
const BENCH_TOOLS = [...TOOLS, NOOP_TOOL];

const CAPABILITIES = {
  capabilities: { resources: { subscribe: true, listChanged: true }, tools: { listChanged: false } },
  instructions: INSTRUCTIONS,
};

/**
 * McpServer's registries (private in the SDK): the tools and resources with their schemas, URI
 * templates and callbacks. Its request handlers read them through `this` at each request.
 */
interface Registries {
  _registeredTools: object;
  _registeredResources: object;
  _registeredResourceTemplates: object;
  _registeredPrompts: object;
  setCompletionRequestHandler(): void;
}

// One set of registries per repository and tool list, shared by every session: none of it depends on
// the caller (tools/call is answered per caller by answerToolCalls; resource reads take only the
// repository). Per session, the registries cost ~40 zod schemas and ~50 closures (docs/performance.md).
const registries = new WeakMap<JigContext, Map<readonly ToolDefinition[], Registries>>();

function registriesFor(ctx: JigContext, tools: readonly ToolDefinition[]): Registries {
  let byTools = registries.get(ctx);
  if (!byTools) {
    byTools = new Map();
    registries.set(ctx, byTools);
  }
  const known = byTools.get(tools);
  if (known) return known;
  const template = new McpServer({ name: "jig", version: VERSION }, CAPABILITIES);
  for (const tool of tools) {
    template.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        // Any result may carry warnings pushed to the worker (see core/warnings.ts).
        outputSchema: tool.outputSchema && { ...tool.outputSchema, warnings: WARNINGS },
        annotations: tool.annotations,
      },
      // Never called: tools/call is answered by answerToolCalls (below), which validates the arguments itself.
      async () => {
        throw new Error("unreachable");
      },
    );
  }
  for (const register of RESOURCES) register(withScrubbedResourceErrors(template, ctx.paths.root), ctx);
  const shared = template as unknown as Registries;
  byTools.set(tools, shared);
  return shared;
}

/** One MCP server for one caller: every tool and resource registered, subscriptions wired to file changes. */
export function createServer(options: { ctx: JigContext; caller: Caller }): JigServer {
  const { ctx, caller } = options;
  const server = new McpServer({ name: "jig", version: VERSION }, CAPABILITIES);
  // The benchmark's baseline (`npm run bench` only): a tool that does nothing, through the same server
  // and transport, so the SDK's and transport's own cost can be subtracted from jig's tools.
  const tools = process.env.JIG_BENCH_NOOP === "1" ? BENCH_TOOLS : TOOLS;
  const shared = registriesFor(ctx, tools);
  const own = server as unknown as Registries;
  own._registeredTools = shared._registeredTools;
  own._registeredResources = shared._registeredResources;
  own._registeredResourceTemplates = shared._registeredResourceTemplates;
  own._registeredPrompts = shared._registeredPrompts;
  own.setCompletionRequestHandler();
  answerToolCalls(server, tools, { ctx, caller });

  const subscriptions = new Set<string>();
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });
  // A server lives long and answers many reads: its issue store trusts the directory's watch rather than
  // stat'ing every file per read (core/issue-store.ts).
  ctx.issues.trackChanges();
  const watcher = watcherFor(ctx);
  const onChange = (event: ChangeEvent) => {
    if (!server.isConnected()) return;
    if (event.listChanged) server.sendResourceListChanged();
    for (const uri of subscriptions) {
      const hit = event.uris.has(uri) || (uri.startsWith("jig://epics/") && event.uris.has("jig://epics/*"));
      if (hit) void server.server.sendResourceUpdated({ uri }).catch(() => {});
    }
  };
  watcher.retain();
  watcher.on("change", onChange);
  let closed = false;
  return {
    server,
    close: async () => {
      if (closed) return;
      closed = true;
      watcher.off("change", onChange);
      watcher.release();
      await server.close().catch(() => {});
    },
  };
}

/**
 * The server as resource files see it, with each read callback's errors passed through the one
 * scrubber (lib/redact.ts): a failed read names no absolute path outside the repository and no secret.
 */
function withScrubbedResourceErrors(server: McpServer, root: string): McpServer {
  const register = server.registerResource.bind(server) as (...args: unknown[]) => unknown;
  const guarded = Object.create(server) as McpServer;
  guarded.registerResource = ((...args: unknown[]) => {
    const read = args[args.length - 1] as (...inner: unknown[]) => Promise<unknown>;
    const scrubbed = async (...inner: unknown[]) => {
      try {
        return await read(...inner);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw Object.assign(new Error(redactForCaller(message, root)), {
          ...(typeof (error as { code?: unknown }).code === "number"
            ? { code: (error as { code: number }).code }
            : {}),
        });
      }
    };
    return register(...args.slice(0, -1), scrubbed);
  }) as McpServer["registerResource"];
  return guarded;
}
