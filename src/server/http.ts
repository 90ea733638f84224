// Just over 300 lines: the Host/Origin guard, bearer auth, session binding and caps are one request
// path; each step relies on the one before it having run.
import { randomUUID } from "node:crypto";
import { createServer as createHttpsServer } from "node:https";
import { serve } from "@hono/node-server";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { type Context, Hono } from "hono";
import type { JigContext } from "../core/context.js";
import { authenticate, type Caller } from "../core/identity.js";
import { type ErrorCode, JigError, toJigError } from "../errors.js";
import { createServer, type JigServer } from "./create-server.js";
import { createDashboardApp } from "./dashboard/app.js";
import { httpStatus, publicMessage } from "./http-status.js";
import { renderMetrics } from "./metrics.js";
import type { TlsMaterial } from "./tls.js";

// `jig serve`: Streamable HTTP at /mcp on hono. Every request must come from an allowed Host/Origin
// (the DNS-rebinding guard) and carry a bearer token; each session is one McpServer bound to the caller
// that opened it; bodies are size-limited; idle sessions expire. The web dashboard is mounted at "/"
// behind the same guard (its own routes take the admin token once, then a cookie).

export interface HttpOptions {
  ctx: JigContext;
  /** Host names accepted in Host/Origin besides the loopback names. */
  allowedHosts?: string[];
  maxBodyBytes?: number;
  idleMs?: number;
  /** Serve the web dashboard at "/" (default true). */
  dashboard?: boolean;
  /** Session limits; default from jig.json `http` (config.ts). */
  maxSessions?: number;
  maxSessionsPerIdentity?: number;
  unusedMs?: number;
}

interface Session {
  server: JigServer;
  transport: WebStandardStreamableHTTPServerTransport;
  caller: Caller;
  lastSeen: number;
  /** Whether any request followed the initialize; unused sessions expire within seconds. */
  used: boolean;
}

const identityKey = (caller: Caller): string => `${caller.role}:${caller.name}`;

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]", "::1"];

/** The one place MCP-endpoint errors are rendered: the code's status (http-status.ts) + a JSON-RPC error. */
function errorResponse(
  c: Context,
  code: ErrorCode,
  message: string,
  hint?: string,
  extraHeaders: Record<string, string> = {},
): Response {
  const status = httpStatus(code);
  const headers: Record<string, string> = {
    ...(status === 401 ? { "WWW-Authenticate": 'Bearer realm="jig"' } : {}),
    ...extraHeaders,
  };
  return c.json(
    {
      jsonrpc: "2.0",
      error: { code: -32000, message: `[${code}] ${message}`, data: { code, hint } },
      id: null,
    },
    status,
    headers,
  );
}

export function hostnameOf(value: string): string {
  try {
    return new URL(value.includes("://") ? value : `http://${value}`).hostname.toLowerCase();
  } catch {
    return "";
  }
}

export function createHttpApp(options: HttpOptions): {
  app: Hono;
  close: () => Promise<void>;
  sessions: Map<string, Session>;
} {
  const { ctx } = options;
  const allowed = new Set([...LOOPBACK, ...(options.allowedHosts ?? []).map((h) => h.toLowerCase())]);
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const idleMs = options.idleMs ?? 30 * 60_000;
  const limits = ctx.config.http;
  const maxSessions = options.maxSessions ?? limits.maxSessions;
  const maxPerIdentity = options.maxSessionsPerIdentity ?? limits.maxSessionsPerIdentity;
  const unusedMs = options.unusedMs ?? limits.unusedSessionSeconds * 1000;
  const sessions = new Map<string, Session>();
  // Sessions being opened right now, per identity: parallel initializes count against the caps too.
  const opening = new Map<string, number>();
  const app = new Hono();

  app.use("*", async (c, next) => {
    const host = hostnameOf(c.req.header("host") ?? "");
    if (!allowed.has(host) && !allowed.has(`[${host}]`)) {
      return errorResponse(
        c,
        "FORBIDDEN",
        `Host '${(c.req.header("host") ?? "").slice(0, 100)}' is not allowed`,
        "connect to 127.0.0.1/localhost, or start jig serve with --allowed-host",
      );
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && origin !== "null" && !allowed.has(hostnameOf(origin))) {
      return errorResponse(
        c,
        "FORBIDDEN",
        `Origin '${origin.slice(0, 100)}' is not allowed`,
        "requests from web pages of other sites are refused",
      );
    }
    if (origin === "null")
      return errorResponse(
        c,
        "FORBIDDEN",
        "Origin 'null' is not allowed",
        "open the page from the URL jig serve printed",
      );
    await next();
  });

  app.all("/mcp", async (c) => {
    const caller = await callerOf(c);
    if (caller instanceof Response) return caller;
    const length = Number(c.req.header("content-length") ?? "0");
    if (length > maxBody)
      return errorResponse(
        c,
        "PAYLOAD_TOO_LARGE",
        `request body of ${length} bytes is over the ${maxBody}-byte limit`,
      );
    const sessionId = c.req.header("mcp-session-id");
    if (sessionId) {
      const session = sessions.get(sessionId);
      if (!session)
        return errorResponse(
          c,
          "NOT_FOUND",
          "unknown or expired session",
          "start a new session (initialize again)",
        );
      if (session.caller.name !== caller.name)
        return errorResponse(
          c,
          "FORBIDDEN",
          "this session belongs to another identity",
          "use the token that opened the session",
        );
      session.lastSeen = Date.now();
      session.used = true;
      const response = await session.transport.handleRequest(c.req.raw);
      if (c.req.method === "DELETE") await closeSession(sessionId);
      return response;
    }
    if (c.req.method !== "POST")
      return errorResponse(
        c,
        "INVALID_INPUT",
        "missing mcp-session-id header",
        "POST an initialize request first",
      );
    // Sessions cost memory: capped per identity and in total, so one token cannot exhaust the server.
    const key = identityKey(caller);
    const retryAfter = { "Retry-After": String(Math.ceil(unusedMs / 1000)) };
    const pendingTotal = [...opening.values()].reduce((a, b) => a + b, 0);
    if (sessions.size + pendingTotal >= maxSessions)
      return errorResponse(
        c,
        "NOT_AVAILABLE",
        `the server holds its maximum of ${maxSessions} sessions`,
        "close sessions you no longer use (DELETE /mcp), or raise http.maxSessions in jig.json",
        retryAfter,
      );
    let mine = opening.get(key) ?? 0;
    for (const session of sessions.values()) if (identityKey(session.caller) === key) mine++;
    if (mine >= maxPerIdentity)
      return errorResponse(
        c,
        "TOO_MANY_REQUESTS",
        `${caller.role} '${caller.name}' already holds ${mine} sessions (at most ${maxPerIdentity})`,
        "reuse or close your sessions (DELETE /mcp), or raise http.maxSessionsPerIdentity in jig.json",
        retryAfter,
      );
    opening.set(key, (opening.get(key) ?? 0) + 1);
    try {
      const server = createServer({ ctx, caller });
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        maxRequestBodySize: maxBody,
        onsessioninitialized: (id) => {
          sessions.set(id, { server, transport, caller, lastSeen: Date.now(), used: false });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
        void server.close();
      };
      await server.server.connect(transport);
      const response = await transport.handleRequest(c.req.raw);
      if (!transport.sessionId || !sessions.has(transport.sessionId)) await server.close();
      return response;
    } finally {
      const left = (opening.get(key) ?? 1) - 1;
      if (left > 0) opening.set(key, left);
      else opening.delete(key);
    }
  });

  // Prometheus scrapes with the admin token (bearer_token in its scrape config), like any admin client.
  app.get("/metrics", async (c) => {
    const caller = await callerOf(c);
    if (caller instanceof Response) return caller;
    if (caller.role !== "admin")
      return errorResponse(
        c,
        "FORBIDDEN",
        "metrics are for the admin token only",
        "scrape with the token jig serve printed",
      );
    const { contentType, body } = await renderMetrics(ctx);
    return c.body(body, 200, { "Content-Type": contentType });
  });

  const dashboard = options.dashboard === false ? null : createDashboardApp({ ctx });
  if (dashboard) app.route("/", dashboard.app);

  app.notFound((c) =>
    errorResponse(
      c,
      "NOT_FOUND",
      `no route ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 100)}`,
      "the MCP endpoint is /mcp",
    ),
  );
  app.onError((error, c) => {
    const jig = toJigError(error);
    return errorResponse(c, jig.code, publicMessage(jig), jig.hint);
  });

  async function callerOf(c: Context): Promise<Caller | Response> {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match)
      return errorResponse(
        c,
        "UNAUTHORIZED",
        "a bearer token is required",
        "send Authorization: Bearer <token> (jig serve printed it)",
      );
    try {
      return await authenticate(ctx.paths, match[1]!);
    } catch (error) {
      const jig = error instanceof JigError ? error : toJigError(error);
      return errorResponse(c, "UNAUTHORIZED", jig.message, jig.hint);
    }
  }

  async function closeSession(id: string): Promise<void> {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    await session.transport.close().catch(() => {});
    await session.server.close();
  }

  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const [id, session] of sessions)
        if (now - session.lastSeen > (session.used ? idleMs : unusedMs)) void closeSession(id);
    },
    Math.max(200, Math.min(idleMs, unusedMs / 2, 60_000)),
  );
  sweeper.unref();

  return {
    app,
    sessions,
    close: async () => {
      clearInterval(sweeper);
      await dashboard?.close();
      await Promise.all([...sessions.keys()].map(closeSession));
    },
  };
}

/** Serves the app on host:port (HTTPS with `tls`); resolves with the bound port once listening. */
export async function listenHttp(
  app: Hono,
  options: { host: string; port: number; tls?: TlsMaterial },
): Promise<{ port: number; close: () => Promise<void> }> {
  const secure = options.tls
    ? { createServer: createHttpsServer, serverOptions: { cert: options.tls.cert, key: options.tls.key } }
    : {};
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, hostname: options.host, port: options.port, ...secure },
      (info) => {
        resolve({ port: info.port, close: () => new Promise((done) => server.close(() => done())) });
      },
    );
    server.on("error", reject);
    // Node closes a connection idle for 5 s; a client reusing it at that moment (a remote worker between
    // polls, any client on a loaded machine) gets ECONNRESET instead of an answer, and over TLS every new
    // connection costs a handshake. Clients (undici) keep it a second less than the server says.
    (server as { keepAliveTimeout: number }).keepAliveTimeout = KEEP_ALIVE_MS;
  });
}

// Under Node's 60 s headersTimeout, which also bounds how long a connection may sit without a request.
const KEEP_ALIVE_MS = 30_000;
