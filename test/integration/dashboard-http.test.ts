import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { adminToken, issueToken } from "../../src/core/identity.js";
import { createHttpApp } from "../../src/server/http.js";
import { gitRepo } from "../helpers/repo.js";

// The dashboard's door, through the same hono app `jig serve` runs: the admin token once in the URL,
// then an HttpOnly cookie; nothing readable without it; no foreign Origin; strict headers.

const BASE = "http://127.0.0.1:7411";

async function app() {
  const ctx = await openContext({ root: gitRepo() });
  const http = createHttpApp({ ctx });
  const get = (path: string, headers: Record<string, string> = {}) =>
    http.app.request(`${BASE}${path}`, { headers: { host: "127.0.0.1:7411", ...headers } });
  const post = (path: string, headers: Record<string, string> = {}) =>
    http.app.request(`${BASE}${path}`, { method: "POST", headers: { host: "127.0.0.1:7411", ...headers } });
  return { ctx, http, get, post, token: await adminToken(ctx.paths) };
}

describe("dashboard over HTTP", () => {
  it("trades the admin token for a cookie, then serves the page, assets and snapshot", async () => {
    const { get, post, token, http } = await app();
    // The sign-in page loads its script, which anyone may fetch (it holds nothing) ...
    const signInPage = await (await get("/")).text();
    expect(signInPage).toContain('<script type="module" src="/dashboard/sign-in.js">');
    expect(signInPage).toContain("/#token=");
    const script = await get("/dashboard/sign-in.js");
    expect(script.status).toBe(200);
    expect(await script.text()).toContain("/dashboard/session");
    // ... and it posts the token from the link's fragment as a bearer credential, for the cookie.
    const signIn = await post("/dashboard/session", { authorization: `Bearer ${token}`, origin: BASE });
    expect(signIn.status).toBe(204);
    const cookie = signIn.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    expect(cookie).not.toContain(token);
    const jar = { cookie: cookie.split(";")[0]! };
    const page = await get("/", jar);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/dashboard/client/app.js">');
    // The client's modules: the entry, every file it imports, nothing else.
    const entry = await get("/dashboard/client/app.js", jar);
    expect(entry.status).toBe(200);
    expect(entry.headers.get("content-type")).toContain("text/javascript");
    const imports = [...(await entry.text()).matchAll(/from "\.\/([a-z-]+\.js)"/g)].map((m) => m[1]);
    expect(imports).toEqual(expect.arrayContaining(["live.js", "render.js"]));
    for (const name of imports) expect((await get(`/dashboard/client/${name}`, jar)).status, name).toBe(200);
    for (const name of ["nope.js", "app.ts", "..%2Fapp.js", "%2E%2E%2F%2E%2E%2Fversion.js"])
      expect((await get(`/dashboard/client/${name}`, jar)).status, name).toBe(404);
    const snapshot = await get("/dashboard/snapshot", jar);
    expect(snapshot.status).toBe(200);
    expect(await snapshot.json()).toMatchObject({ epics: [], workers: [] });
    expect((await get("/dashboard/snapshot", { authorization: `Bearer ${token}` })).status).toBe(200);
    await http.close();
  });

  it("shows how a dead session ended, in the agent's own words", async () => {
    const { ctx, get, token, http } = await app();
    await ctx.workers.save({
      name: "w1",
      kind: "adhoc",
      issue: null,
      epic: null,
      branch: "_jig/w1",
      target: "main",
      worktree: `${ctx.paths.root}/.jig/worktrees/w1`,
      agent: "claude",
      pid: 2 ** 22 + 1, // above Linux's pid_max: never alive
      started: new Date().toISOString(),
      logPath: `${ctx.paths.logsDir}/w1.log`,
      exited: {
        code: 1,
        signal: null,
        at: new Date().toISOString(),
        said: "Not logged in · Please run /login",
      },
      attempt: 1,
      usage: null,
    });
    const response = await get("/dashboard/snapshot", { authorization: `Bearer ${token}` });
    const snapshot = (await response.json()) as { workers: unknown[] };
    expect(snapshot.workers).toEqual([
      expect.objectContaining({
        name: "w1",
        status: "dead",
        alive: false,
        exit: "exit code 1: Not logged in · Please run /login",
      }),
    ]);
    await http.close();
  });

  it("refuses everything else: no token, a wrong or worker token, a forged cookie, a foreign Origin", async () => {
    const { get, post, http, ctx, token } = await app();
    const worker = await issueToken(ctx.paths, "w1");
    const anonymous = await get("/");
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain("sign-in required");
    // A token in the query string is refused outright (it would sit in logs and history), even the
    // right one, and signs nobody in.
    for (const query of [`/?token=${token}`, "/?token=nope"]) {
      const refused = await get(query);
      expect(refused.status, query).toBe(400);
      expect(refused.headers.get("set-cookie"), query).toBeNull();
      expect(await refused.text(), query).toContain("query string");
    }
    for (const bearer of ["nope", worker]) {
      const refused = await post("/dashboard/session", { authorization: `Bearer ${bearer}` });
      expect(refused.status).toBe(401);
      expect(refused.headers.get("set-cookie")).toBeNull();
    }
    expect((await post("/dashboard/session")).status).toBe(401);
    // A page elsewhere cannot sign a browser in, even holding the token.
    const crossSite = await post("/dashboard/session", {
      authorization: `Bearer ${token}`,
      origin: "http://evil.example",
    });
    expect(crossSite.status).toBe(403);
    for (const path of [
      "/dashboard/snapshot",
      "/dashboard/client/app.js",
      "/dashboard/events",
      "/dashboard/issues/x",
    ]) {
      expect((await get(path)).status, path).toBe(401);
      expect((await get(path, { authorization: `Bearer ${worker}` })).status, path).toBe(401);
    }
    const name = (await post("/dashboard/session", { authorization: `Bearer ${token}` })).headers
      .get("set-cookie")!
      .split("=")[0]!;
    expect((await get("/dashboard/snapshot", { cookie: `${name}=forged` })).status).toBe(401);
    const foreign = await get("/dashboard/snapshot", {
      authorization: `Bearer ${token}`,
      origin: "http://evil.example",
    });
    expect(foreign.status).toBe(403);
    const otherPort = await get("/dashboard/snapshot", {
      authorization: `Bearer ${token}`,
      origin: "http://127.0.0.1:9999",
    });
    expect(otherPort.status).toBe(403);
    const traversal = await get("/dashboard/issues/..%2F..%2Fetc%2Fpasswd", {
      authorization: `Bearer ${token}`,
    });
    expect([400, 404]).toContain(traversal.status);
    expect(await traversal.text()).not.toContain("root:");
    await http.close();
  });
});
