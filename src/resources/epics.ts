import { ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { epicProgress } from "../core/epic-progress.js";
import { loadEpicStats } from "../core/epic-stats.js";
import { assertSafeId } from "../core/ids.js";
import { type RegisterResource, reads, variable } from "./resource.js";

// jig://epics/{epic}: the epic's progress as JSON (each subtask's state, worker, what it waits on, target diff).
export const registerEpics: RegisterResource = (server, ctx) => {
  const epics = async () => (await ctx.issues.list()).filter((issue) => issue.kind === "epic");
  server.registerResource(
    "epic",
    new ResourceTemplate("jig://epics/{epic}", {
      list: async () => ({
        resources: (await epics()).map((epic) => ({
          uri: `jig://epics/${epic.id}`,
          name: epic.id,
          title: epic.title,
          mimeType: "application/json",
        })),
      }),
      complete: {
        epic: async (value) =>
          (await epics())
            .map((e) => e.id)
            .filter((id) => id.startsWith(value))
            .slice(0, 100),
      },
    }),
    {
      title: "Epic progress",
      description:
        "Each subtask's status, worker and dependency wait; the target branch and its diff size; and `stats`: time to claim, work and land per task, retries, cost per landed change, the critical path",
      mimeType: "application/json",
    },
    reads(async (uri, variables) => {
      const id = assertSafeId(variable(variables.epic), "epic id");
      const progress = { ...(await epicProgress(ctx, id)), stats: await loadEpicStats(ctx, id) };
      return {
        contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(progress, null, 2) }],
      };
    }),
  );
};
