import { describe, expect, it } from "vitest";
import { claudeAllowsBypass, claudeBackend } from "../../src/orchestrator/backends/claude.js";

// Claude Code refuses --permission-mode bypassPermissions as root unless IS_SANDBOX is exactly "1".
describe("claudeAllowsBypass: Claude Code's own root rule", () => {
  it.each([
    ["1", true],
    ["yes", false],
    ["true", false],
    ["", false],
    [undefined, false],
  ])("as root with IS_SANDBOX=%s → %s", (value, allowed) => {
    expect(claudeAllowsBypass(value === undefined ? {} : { IS_SANDBOX: value }, 0)).toBe(allowed);
  });

  it("anyone but root may bypass", () => {
    expect(claudeAllowsBypass({}, 1000)).toBe(true);
    expect(claudeAllowsBypass({ IS_SANDBOX: "yes" }, null)).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)(
    "a root worker with IS_SANDBOX=yes is launched with --allowedTools and dontAsk, never bypassPermissions",
    async () => {
      const spec = await claudeBackend.launch({
        name: "w",
        role: "worker",
        cwd: "/tmp",
        prompt: "p",
        mcpConfigPath: "/tmp/m.json",
        issue: "e-01-a",
        config: { type: "claude", command: process.execPath, args: [], env: { IS_SANDBOX: "yes" } },
      } as never);
      const mode = spec.args[spec.args.indexOf("--permission-mode") + 1];
      expect(mode).toBe("dontAsk");
      expect(spec.args).not.toContain("bypassPermissions");
      expect(spec.args[spec.args.indexOf("--allowedTools") + 1]).toContain("mcp__jig__land");
    },
  );
});
