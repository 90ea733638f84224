import { describe, expect, it } from "vitest";
import { redactForCaller, redactSecrets } from "../../src/lib/redact.js";

const SECRET = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA";

describe("redactSecrets", () => {
  it.each([
    [`token jig_admin.YWRtaW4.${SECRET} leaked`, "token <redacted> leaked"],
    [`jig_worker.d29ya2VyLTE.${SECRET}`, "<redacted>"],
    [`jig_planner.cGxhbm5lcg.djEuMg.${SECRET}`, "<redacted>"],
    [`old worker.alice.${SECRET} and planner.v1.2.${SECRET}`, "old <redacted> and <redacted>"],
    [`admin.${SECRET}`, "<redacted>"],
    [`Authorization: Bearer abc.def-ghi`, "Authorization: Bearer <redacted>"],
    [`JIG_TOKEN=abc123 npx jig`, "JIG_TOKEN=<redacted> npx jig"],
    [`export JIG_TOKEN='x y'`, "export JIG_TOKEN=<redacted>"],
    [`{"JIG_TOKEN": "secret-value"}`, `{"JIG_TOKEN": <redacted>}`],
    [`http://127.0.0.1:4000/?token=abc&x=1`, "http://127.0.0.1:4000/?token=<redacted>&x=1"],
    [`dashboard at http://127.0.0.1:4000/#token=abc`, "dashboard at http://127.0.0.1:4000/#token=<redacted>"],
    [
      `cookie: jig_dashboard_0123456789ab=hmacvalue; x=1`,
      "cookie: jig_dashboard_0123456789ab=<redacted>; x=1",
    ],
  ])("scrubs %s", (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it("leaves prose, file names and short dotted words alone", () => {
    const text = "see src/core/worker.ts and admin.token; worker.alice is done";
    expect(redactSecrets(text)).toBe(text);
  });
});

describe("redactForCaller", () => {
  it("makes repo paths relative and hides other absolute paths and secrets", () => {
    const out = redactForCaller(
      `ENOTDIR: /repo/x/issues/a.md and /home/u/.local/state/jig/s.token (jig_admin.YWRtaW4.${SECRET})`,
      "/repo/x",
    );
    expect(out).toBe("ENOTDIR: issues/a.md and <path> (<redacted>)");
  });
});
