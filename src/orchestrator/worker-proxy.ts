import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { dirtyFiles } from "../core/git-ops.js";
import { workerBranch } from "../core/worktrees.js";
import { JigError } from "../errors.js";
import { gitRun } from "../lib/git.js";
import { withLock } from "../lib/lock.js";
import { VERSION } from "../version.js";
import { commitsOffBranch, connectCoordinator, pushWork } from "./remote-worker.js";

// `jig worker-mcp`: the agent's jig MCP server on a remote worker's machine (docs/remote.md). It speaks
// stdio to the agent and forwards every request to the coordinator's HTTP endpoint with the worker's
// token, so the agent sees exactly the tools and resources a local worker sees. Before forwarding
// `land` it checks the worktree is committed and pushes the branch to `refs/jig/workers/<name>` on the
// shared remote (the coordinator fetches it from there); after `claim_task`, `land` and any result that
// carries a warning it refreshes the local copy of the target, so the rebase a conflict verdict or a
// warning asks for works here as written.

function env(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new JigError("INVALID_INPUT", `${name} is not set`, {
      hint: "jig worker-mcp is started by jig worker, which sets it in the agent's MCP config",
    });
  return value;
}

export async function runWorkerProxy(): Promise<void> {
  const worktree = env("JIG_WORKER_DIR");
  const name = env("JIG_WORKER_NAME");
  // Given by jig worker's --target, else learnt from the first claim_task or land result.
  let target = process.env.JIG_WORKER_TARGET || null;
  const lock = env("JIG_WORKER_LOCK");
  const upstream = new Upstream(env("JIG_MCP_URL"), env("JIG_TOKEN"));
  const first = await upstream.client();
  const server = new Server(
    { name: "jig", version: VERSION },
    {
      capabilities: { tools: {}, resources: {} },
      ...(first.getInstructions() ? { instructions: first.getInstructions() } : {}),
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, (request) =>
    upstream.send((c) => c.listTools(request.params)),
  );
  server.setRequestHandler(ListResourcesRequestSchema, (request) =>
    upstream.send((c) => c.listResources(request.params)),
  );
  server.setRequestHandler(ListResourceTemplatesRequestSchema, (request) =>
    upstream.send((c) => c.listResourceTemplates(request.params)),
  );
  server.setRequestHandler(ReadResourceRequestSchema, (request) =>
    upstream.send((c) => c.readResource(request.params)),
  );
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const tool = request.params.name;
    if (tool === "land" && request.params.arguments?.worker === undefined) {
      const refused = await beforeLand(worktree, name);
      if (refused) return refused;
    }
    const result = await upstream.send((c) => c.callTool(request.params, undefined, { timeout: 120_000 }));
    // A warning (core/warnings.ts) says the target moved under this branch: its fix rebases onto the
    // target, so the local copy must be the new one.
    const warned = Array.isArray((result.structuredContent as { warnings?: unknown } | undefined)?.warnings);
    if (tool === "land" || tool === "claim_task" || warned) {
      const named = (result.structuredContent as { target?: unknown } | undefined)?.target;
      if (typeof named === "string" && BRANCH.test(named) && !named.includes("..")) target = named;
      if (target) await refreshTarget(worktree, target, lock);
    }
    return result;
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
  });
  await server.connect(transport);
  process.stdin.once("end", () => void server.close());
  await closed;
  await upstream.close();
}

/**
 * The coordinator session the agent's requests go through. A coordinator that restarted has forgotten
 * it and answers 404 before handling the request, so a new session is opened and the request sent again
 * (once): the agent never sees the restart. Any other failure (the coordinator down) reaches the agent.
 */
class Upstream {
  private current: Promise<Client> | null = null;

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  client(): Promise<Client> {
    if (!this.current) {
      const opening = connectCoordinator(this.url, this.token);
      this.current = opening;
      // A failed open is not kept: the next request tries again.
      opening.catch(() => {
        if (this.current === opening) this.current = null;
      });
    }
    return this.current;
  }

  async send<T>(request: (client: Client) => Promise<T>): Promise<T> {
    const used = await this.client();
    try {
      return await request(used);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 404) throw error;
      // Several requests may fail at once: the first opens the new session, the others use it.
      if (this.current && (await this.current.catch(() => null)) === used) {
        this.current = null;
        void used.close().catch(() => {});
      }
      return request(await this.client());
    }
  }

  async close(): Promise<void> {
    const client = await this.current?.catch(() => null);
    await client?.close().catch(() => {});
  }
}

/** Refuses uncommitted work (as the coordinator does for a local worker), then pushes the branch. */
async function beforeLand(worktree: string, name: string): Promise<CallToolResult | null> {
  const dirty = await dirtyFiles(worktree).catch(() => [] as string[]);
  if (dirty.length > 0)
    return refusal(
      `[PRECONDITION_FAILED] uncommitted changes in ${dirty.slice(0, 10).join(", ")}${dirty.length > 10 ? ` and ${dirty.length - 10} more` : ""} — commit your work (git add -A && git commit -m '…') or discard it, then call land again`,
    );
  const off = await commitsOffBranch(worktree, name);
  if (off) return refusal(`[PRECONDITION_FAILED] ${off}, then call land again`);
  const failed = await pushWork(worktree, name);
  if (failed)
    return refusal(
      `[PRECONDITION_FAILED] could not push ${workerBranch(name)} to the shared remote: ${failed} — the coordinator lands only what reached the remote; check the network, then call land again`,
    );
  return null;
}

const BRANCH = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$/;

const refusal = (text: string): CallToolResult => ({ content: [{ type: "text", text }], isError: true });

/** The target as the remote has it now, as a local branch of the clone (best effort). */
async function refreshTarget(worktree: string, target: string, lock: string): Promise<void> {
  await withLock(lock, () =>
    gitRun(worktree, [
      "fetch",
      "--quiet",
      "--no-tags",
      "origin",
      `+refs/heads/${target}:refs/heads/${target}`,
    ]),
  ).catch(() => {});
}
