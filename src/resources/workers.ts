import { listAlarms } from "../core/alarms.js";
import { listWorkerViews } from "../core/worker-view.js";
import { type RegisterResource, reads } from "./resource.js";

// jig://workers: what `jig ps` shows, as JSON: `{ workers, alarms }`.
async function workersAndAlarms(ctx: Parameters<RegisterResource>[1]) {
  const workers = await listWorkerViews(ctx);
  return { workers, alarms: await listAlarms(ctx, workers) };
}

export const registerWorkers: RegisterResource = (server, ctx) => {
  server.registerResource(
    "workers",
    "jig://workers",
    {
      title: "Workers",
      description:
        "Every worker (status, message, issue, branch, changes (+/-), liveness, cost) and the alarms: silent workers, lands queued or refused too long, sessions that died",
      mimeType: "application/json",
    },
    reads(async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "application/json",
          text: JSON.stringify(await workersAndAlarms(ctx), null, 2),
        },
      ],
    })),
  );
};
