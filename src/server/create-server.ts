import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { JigContext } from "../core/context.js";
import type { Caller } from "../core/identity.js";
import { RESOURCES } from "../resources/index.js";
import { TOOLS } from "../tools/index.js";
import { VERSION } from "../version.js";
import { renderToolError } from "./errors.js";
import { type ChangeEvent, watcherFor } from "./watch.js";

export interface JigServer {
  server: McpServer;
  close: () => Promise<void>;
}

const INSTRUCTIONS =
  "jig coordinates coding agents working on one epic. Workers: claim_task first, set_status as your state changes, " +
  "commit your work, then land. Planners: read the epic, then plan_epic once with the whole plan. Anyone: list_tasks, " +
  "get_task, and the jig://issues, jig://epics and jig://workers resources show the state.";

/** One MCP server for one caller: every tool and resource registered, subscriptions wired to file changes. */
export function createServer(options: { ctx: JigContext; caller: Caller }): JigServer {
  const { ctx, caller } = options;
  const server = new McpServer(
    { name: "jig", version: VERSION },
    {
      capabilities: { resources: { subscribe: true, listChanged: true }, tools: { listChanged: false } },
      instructions: INSTRUCTIONS,
    },
  );
  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        annotations: tool.annotations,
      },
      (async (args: never, extra: never) => {
        try {
          const out = await tool.run(args, { ctx, caller, extra });
          return {
            content: [{ type: "text", text: out.text }],
            ...(out.structured ? { structuredContent: out.structured } : {}),
          };
        } catch (error) {
          return renderToolError(error, ctx.paths.root);
        }
      }) as never,
    );
  }
  if (process.env.JIG_BENCH_NOOP === "1") {
    // `npm run bench` only: a tool that does nothing, through the same server and transport, so the
    // benchmark can subtract the SDK's and transport's own cost from jig's tools.
    server.registerTool(
      "noop",
      { description: "benchmark baseline: does nothing", inputSchema: {} },
      async () => ({ content: [{ type: "text", text: "ok" }] }),
    );
  }
  for (const register of RESOURCES) register(server, ctx);

  const subscriptions = new Set<string>();
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });
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
