import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { createServer } from "../../src/server/create-server.js";
import { TOOLS } from "../../src/tools/index.js";
import { call, connect } from "../helpers/mcp.js";
import { gitIn, gitRepo } from "../helpers/repo.js";
import { epicFiles, makeWorker } from "../helpers/workers.js";

// Every session's McpServer shares one registry of tools and resources (server/create-server.ts): a
// session costs its protocol state, not ~40 zod schemas and ~50 closures. Sessions must still be
// independent — each lists every tool and reads every resource, acts as its own caller, and closing
// one leaves the others working.

describe("sessions share one tool and resource registry", () => {
  it("is one registry for every session, and each session still lists, reads and acts as its own caller", async () => {
    const root = gitRepo({ "README.md": "# r\n", ...epicFiles("e", 2) });
    gitIn(root, "branch", "feature/e");
    const ctx = await openContext({ root });
    const worker = await makeWorker(ctx, "e-01-t1");

    const a = createServer({ ctx, caller: worker.caller });
    const b = createServer({ ctx, caller: { role: "admin", name: "admin" } });
    const registry = (server: unknown) =>
      (server as { _registeredTools: object; _registeredResourceTemplates: object })._registeredTools;
    expect(registry(a.server)).toBe(registry(b.server));
    await a.close();
    await b.close();

    const first = await connect(ctx, worker.caller);
    const second = await connect(ctx);
    for (const { client } of [first, second]) {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(TOOLS.map((tool) => tool.name).sort());
      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.length).toBeGreaterThan(0);
      const issue = await client.readResource({ uri: "jig://issues/e-02-t2" });
      expect((issue.contents[0] as { text: string }).text).toContain("Do task 2");
    }
    // Each acts as its own caller: the worker claims its own task; the admin claims the next one.
    const mine = await call(first.client, "claim_task");
    expect(mine.isError, mine.text).toBe(false);
    expect(mine.data).toMatchObject({ id: "e-01-t1" });
    const admins = await call(second.client, "claim_task", { issue: "e-02-t2" });
    expect(admins.isError, admins.text).toBe(false);
    // A worker cannot claim the admin's pick through the shared registry.
    const refused = await call(first.client, "claim_task", { issue: "e-02-t2" });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/may claim only its own task/);

    await first.close();
    const { tools } = await second.client.listTools();
    expect(tools.length).toBe(TOOLS.length);
    const listed = await call(second.client, "list_tasks");
    expect(listed.isError, listed.text).toBe(false);
    expect(listed.data).toMatchObject({ total: 2 });
    await second.close();
  });
});
