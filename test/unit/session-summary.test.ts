import { describe, expect, it } from "vitest";
import { lastLine } from "../../src/orchestrator/supervise.js";

// What `jig ps` and `jig run` say of a session that exited with an error: the error, not the hint or the
// stack frame printed after it (a new user saw only "at async Module.run (…)" and a hint without its URL).
describe("a failed session's summary line", () => {
  it.each([
    [
      "cloning x\nerror: cannot reach the coordinator at http://h:1/mcp: fetch failed\nhint: check the URL\n",
      "error: cannot reach the coordinator at http://h:1/mcp: fetch failed",
    ],
    [
      "internal error, please report: Author identity unknown\n    at run (file:///a.js:1:2)\n    at async Module.run (file:///b.js:4:22)\n",
      "internal error, please report: Author identity unknown",
    ],
    ["fatal: not a git repository\n", "fatal: not a git repository"],
    ["TypeError: x is not a function\n    at f (a.js:1)\n", "TypeError: x is not a function"],
    ["working…\nall done, but exit 3\n", "all done, but exit 3"],
    ["", null],
  ])("%j", (output, said) => {
    expect(lastLine(output)).toBe(said);
  });
});
