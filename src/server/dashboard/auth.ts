import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import type { JigContext } from "../../core/context.js";
import { adminToken, authenticate } from "../../core/identity.js";

// Who may read the dashboard: the admin (the token `jig serve` prints). The token is presented once,
// from the printed link's fragment (never sent as part of a URL), to POST /dashboard/session; the page then lives on an HttpOnly SameSite=Strict cookie holding an HMAC of the token
// (so it survives a restart of `jig serve` and dies when the admin token is replaced), or on an
// `Authorization: Bearer` header for scripts.

const COOKIE_PURPOSE = "jig-dashboard-session-v1";

/** The cookie's name: one per repository, so two `jig serve` on one host do not overwrite each other. */
export function sessionCookieName(root: string): string {
  return `jig_dashboard_${createHash("sha256").update(root).digest("hex").slice(0, 12)}`;
}

export function sessionCookieValue(token: string): string {
  return createHmac("sha256", token).update(COOKIE_PURPOSE).digest("base64url");
}

function sameValue(a: string, b: string): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}

/** Whether `token` is this repository's admin token. */
export async function isAdminToken(ctx: JigContext, token: string): Promise<boolean> {
  try {
    return (await authenticate(ctx.paths, token)).role === "admin";
  } catch {
    return false;
  }
}

/** The value of one cookie in a Cookie header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The request's `Authorization: Bearer` credential, or null. */
export function bearerToken(c: Context): string | null {
  return /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? null;
}

/** Whether the request carries the admin's session cookie or bearer token. */
export async function isSignedIn(c: Context, ctx: JigContext): Promise<boolean> {
  const bearer = bearerToken(c);
  if (bearer !== null) return isAdminToken(ctx, bearer);
  const cookie = readCookie(c.req.header("cookie"), sessionCookieName(ctx.paths.root));
  if (!cookie) return false;
  return sameValue(cookie, sessionCookieValue(await adminToken(ctx.paths)));
}

/** The Set-Cookie header value that signs the browser in. */
export function sessionCookie(ctx: JigContext, token: string): string {
  return `${sessionCookieName(ctx.paths.root)}=${sessionCookieValue(token)}; Path=/; HttpOnly; SameSite=Strict`;
}
