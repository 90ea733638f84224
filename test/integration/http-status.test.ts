import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { adminToken } from "../../src/core/identity.js";
import { ERROR_CODES, type ErrorCode, JigError } from "../../src/errors.js";
import { createDashboardApp } from "../../src/server/dashboard/app.js";
import { createHttpApp } from "../../src/server/http.js";
import { gitRepo } from "../helpers/repo.js";

// One table from error code to HTTP status for both HTTP surfaces: every ErrorCode thrown inside the
// MCP endpoint's app and inside the dashboard's comes out with the same, right status.

const EXPECTED: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  GIT_FAILED: 500,
  PROCESS_FAILED: 500,
  INTERNAL: 500,
  NOT_AVAILABLE: 503,
  TIMEOUT: 504,
};

const BASE = "http://127.0.0.1:7411";
const HOST = { host: "127.0.0.1:7411" };
const thrown = (code: ErrorCode) =>
  new JigError(code, `boom /home/someone/secret for ${code}`, { hint: `hint for ${code}` });

describe("HTTP status of each error code", () => {
  it("the MCP endpoint's app answers each code with its status and a JSON-RPC error", async () => {
    const ctx = await openContext({ root: gitRepo() });
    const http = createHttpApp({ ctx, dashboard: false });
    http.app.get("/throw/:code", (c) => {
      throw thrown(c.req.param("code") as ErrorCode);
    });
    for (const code of ERROR_CODES) {
      const response = await http.app.request(`${BASE}/throw/${code}`, { headers: HOST });
      expect(response.status, code).toBe(EXPECTED[code]);
      const body = (await response.json()) as { error: { message: string; data: { code: string } } };
      expect(body.error.data.code, code).toBe(code);
      if (EXPECTED[code] === 500) expect(body.error.message).toBe(`[${code}] internal error`);
      else expect(body.error.message).toBe(`[${code}] boom /home/someone/secret for ${code}`);
    }
    await http.close();
  });

  it("the dashboard answers each code with the same status, as JSON or on the sign-in page", async () => {
    const ctx = await openContext({ root: gitRepo() });
    const dashboard = createDashboardApp({ ctx });
    dashboard.app.get("/dashboard/throw/:code", (c) => {
      throw thrown(c.req.param("code") as ErrorCode);
    });
    const auth = { ...HOST, authorization: `Bearer ${await adminToken(ctx.paths)}` };
    for (const code of ERROR_CODES) {
      const response = await dashboard.app.request(`${BASE}/dashboard/throw/${code}`, { headers: auth });
      expect(response.status, code).toBe(EXPECTED[code]);
      const body = (await response.json()) as { error: { code: string; message: string; hint: string } };
      expect(body.error.code, code).toBe(code);
      expect(body.error.hint).toBe(`hint for ${code}`);
      if (EXPECTED[code] === 500) expect(body.error.message).toBe("internal error");
    }
    // A refusal on the page itself keeps the page's form: the sign-in page with the status.
    const page = await dashboard.app.request(`${BASE}/`, { headers: HOST });
    expect(page.status).toBe(401);
    expect(await page.text()).toContain("sign-in required");
    await dashboard.close();
  });
});
