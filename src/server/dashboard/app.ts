import { basename } from "node:path";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { streamSSE } from "hono/streaming";
import type { JigContext } from "../../core/context.js";
import { type ErrorCode, toJigError } from "../../errors.js";
import { httpStatus, publicMessage } from "../http-status.js";
import { bearerToken, isAdminToken, isSignedIn, sessionCookie } from "./auth.js";
import { clientFile } from "./client-files.js";
import { SnapshotFeed, type SnapshotFeedOptions } from "./feed.js";
import { ASSET_PATHS, dashboardPage, SECURITY_HEADERS, signInPage } from "./page.js";
import { dashboardIssue } from "./snapshot.js";
import { DASHBOARD_CSS } from "./styles.js";

// The web dashboard: a hono sub-app for `jig serve` to mount at "/" (`app.route("/", dashboard.app)`),
// so it sits behind the server's Host/Origin guard. Its own routes (GETs and the one sign-in POST) are all guarded here
// (route by route, never `use("*")`, which would also run on the server's /mcp once mounted): the
// admin only, no foreign Origin, strict security headers.

export interface DashboardOptions extends SnapshotFeedOptions {
  ctx: JigContext;
  /** Seconds between keep-alive comments on the event stream (default 15). */
  pingSeconds?: number;
}

export interface DashboardApp {
  app: Hono;
  feed: SnapshotFeed;
  /** Ends every open event stream and stops watching files. */
  close: () => Promise<void>;
}

/** The one place dashboard errors are rendered: the sign-in page for the page itself, JSON elsewhere. */
function failure(c: Context, code: ErrorCode, message: string, hint?: string) {
  const status = httpStatus(code);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  if (new URL(c.req.url).pathname === "/") {
    const body = status === 401 ? signInPage(message) : signInPage(`[${code}] ${message}`);
    return c.html(body, status);
  }
  return c.json({ error: { code, message, hint: hint ?? null } }, status);
}

export function createDashboardApp(options: DashboardOptions): DashboardApp {
  const { ctx } = options;
  const feed = new SnapshotFeed(ctx, options);
  const streams = new Set<() => void>();
  const app = new Hono();

  // Same-origin only: a page elsewhere (even another port on this host) gets nothing, and the
  // server's guard has already refused foreign Host names (DNS rebinding).
  const sameOrigin: MiddlewareHandler = async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && origin !== new URL(c.req.url).origin)
      return failure(c, "FORBIDDEN", `Origin '${origin.slice(0, 100)}' is not allowed`);
    if (c.req.header("sec-fetch-site") === "cross-site" && c.req.header("sec-fetch-mode") !== "navigate")
      return failure(c, "FORBIDDEN", "cross-site requests are refused");
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  };

  const signedIn: MiddlewareHandler = async (c, next) => {
    if (!(await isSignedIn(c, ctx)))
      return failure(
        c,
        "UNAUTHORIZED",
        "the dashboard needs the admin token",
        "open the link jig serve printed (it ends in /#token=…), or send Authorization: Bearer <token>",
      );
    await next();
  };

  app.get("/", sameOrigin, async (c, next) => {
    // A token in the query string would sit in history, server and proxy logs: refused, so that an
    // old link fails loudly instead of leaking.
    if (c.req.query("token") !== undefined)
      return failure(
        c,
        "INVALID_INPUT",
        "a token in the URL's query string (?token=…) is refused: it would be kept in logs and history",
        "open the link jig serve prints now (it ends in /#token=…)",
      );
    return signedIn(c, next);
  });
  app.get("/", (c) => c.html(dashboardPage(basename(ctx.paths.root))));
  app.get(ASSET_PATHS.signIn, sameOrigin, async (c) =>
    c.body(await clientFile("sign-in.js"), 200, { "Content-Type": "text/javascript; charset=utf-8" }),
  );
  // The sign-in script's exchange: the admin token as a bearer credential, once, for the cookie.
  app.post(ASSET_PATHS.session, sameOrigin, async (c) => {
    const token = bearerToken(c);
    if (token === null || !(await isAdminToken(ctx, token)))
      return failure(c, "UNAUTHORIZED", "the token in the link is not this repository's admin token");
    c.header("Set-Cookie", sessionCookie(ctx, token));
    return c.body(null, 204);
  });
  app.get(`${ASSET_PATHS.client}:file`, sameOrigin, signedIn, async (c) =>
    c.body(await clientFile(c.req.param("file")), 200, { "Content-Type": "text/javascript; charset=utf-8" }),
  );
  app.get(ASSET_PATHS.style, sameOrigin, signedIn, (c) =>
    c.body(DASHBOARD_CSS, 200, { "Content-Type": "text/css; charset=utf-8" }),
  );
  app.get("/dashboard/snapshot", sameOrigin, signedIn, async (c) =>
    c.body(await feed.current(), 200, { "Content-Type": "application/json; charset=utf-8" }),
  );
  app.get("/dashboard/issues/:id", sameOrigin, signedIn, async (c) =>
    c.json(await dashboardIssue(ctx, c.req.param("id"))),
  );
  app.get("/dashboard/events", sameOrigin, signedIn, (c) =>
    streamSSE(c, async (stream) => {
      let end!: () => void;
      const ended = new Promise<void>((resolve) => {
        end = resolve;
      });
      streams.add(end);
      stream.onAbort(end);
      const send = (json: string) => stream.writeSSE({ event: "snapshot", data: json }).catch(end);
      try {
        await stream.writeSSE({ event: "snapshot", data: await feed.current(), retry: 2_000 });
        const unsubscribe = feed.subscribe((json) => void send(json));
        const ping = setInterval(
          () => void stream.write(": ping\n\n").catch(end),
          (options.pingSeconds ?? 15) * 1000,
        );
        await ended;
        clearInterval(ping);
        unsubscribe();
      } finally {
        streams.delete(end);
      }
    }),
  );
  app.get("/favicon.ico", (c) => c.body(null, 204));

  app.onError((error, c) => {
    const jig = toJigError(error);
    return failure(c, jig.code, publicMessage(jig), jig.hint);
  });

  return {
    app,
    feed,
    close: async () => {
      for (const end of [...streams]) end();
      feed.close();
    },
  };
}
