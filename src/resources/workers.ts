import { listWorkerViews } from "../core/worker-view.js";
import { type RegisterResource, reads } from "./resource.js";

// jig://workers: what `jig ps` shows, as JSON.
export const registerWorkers: RegisterResource = (server, ctx) => {
  server.registerResource(
    "workers",
    "jig://workers",
    {
      title: "Workers",
      description: "Every worker: status, message, issue, branch, changes (+/-), liveness, cost",
      mimeType: "application/json",
    },
    reads(async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "application/json",
          text: JSON.stringify(await listWorkerViews(ctx), null, 2),
        },
      ],
    })),
  );
};
