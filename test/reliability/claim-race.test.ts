import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { gitRepo } from "../helpers/repo.js";
import { epicFiles } from "../helpers/workers.js";
import { callTool, httpClient, serveHttp, stdioClient, tally } from "./harness.js";

// 50 claimers at once — 25 stdio server processes and 25 HTTP sessions on one `jig serve` — for 20
// tasks, in rounds (one epic per round): every task is claimed by exactly one claimer, every round.
const CLAIMERS = 50;
const TASKS = 20;
const ROUNDS = 3;

describe("claim race", () => {
  it(`${CLAIMERS} claimers (processes and HTTP sessions mixed), ${TASKS} tasks, ${ROUNDS} rounds`, async () => {
    const epics = Array.from({ length: ROUNDS }, (_, i) => `r${i + 1}`);
    const root = gitRepo({
      "README.md": "x\n",
      ...Object.assign({}, ...epics.map((e) => epicFiles(e, TASKS))),
    });
    const served = await serveHttp(root);
    const clients: Client[] = [];
    try {
      const half = CLAIMERS / 2;
      clients.push(
        ...(await Promise.all([
          ...Array.from({ length: half }, (_, i) => stdioClient(root, undefined, `stdio-${i}`)),
          ...Array.from({ length: half }, (_, i) => httpClient(served.url, served.token, `http-${i}`)),
        ])),
      );
      let claims = 0;
      // A task handed to two claimers: counted from what the claimers were told, then asserted zero.
      let doubleClaims = 0;
      for (const epic of epics) {
        const results = await Promise.all(clients.map((client) => callTool(client, "claim_task", { epic })));
        claims += results.length;
        const won = results.filter((r) => !r.isError).map((r) => (r.data as { id: string }).id);
        doubleClaims += won.length - new Set(won).size;
        tally("claim-race", { claimers: CLAIMERS, tasks: TASKS, rounds: ROUNDS, claims, doubleClaims });
        expect(doubleClaims).toBe(0);
        expect(won).toHaveLength(TASKS);
        expect(new Set(won).size).toBe(TASKS);
        for (const lost of results.filter((r) => r.isError))
          expect(lost.text).toMatch(new RegExp(`^\\[NOT_FOUND\\] no task is ready in epic '${epic}'`));
        const ctx = await openContext({ root });
        const subtasks = (await ctx.issues.list()).filter((i) => i.kind === "subtask" && i.epic === epic);
        expect(subtasks.filter((i) => i.status === "in-progress")).toHaveLength(TASKS);
        expect(new Set(subtasks.map((i) => i.assigned)).size).toBe(1); // all by the admin identity
      }
    } finally {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      served.stop();
    }
  });
});
