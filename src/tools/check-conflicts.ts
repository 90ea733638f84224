import { z } from "zod";
import { checkConflicts } from "../core/landing/index.js";
import { JigError } from "../errors.js";
import { defineTool } from "./tool.js";

export const checkConflictsTool = defineTool({
  name: "check_conflicts",
  title: "Check for conflicts before landing",
  description:
    "Worker: find out early whether your committed work would conflict with the target branch or with other active " +
    "workers' branches, and in which files — without changing anything. Call it after a commit, before land, when you " +
    "touch shared files. If it names files, rebase onto the target now (or coordinate) rather than at landing.",
  inputSchema: { worker: z.string().max(120).optional().describe("Admin only: the worker to check") },
  outputSchema: {
    target: z.array(z.string()),
    workers: z.array(z.object({ name: z.string(), files: z.array(z.string()) })),
  },
  annotations: {
    title: "Check for conflicts",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { ctx, caller }) {
    if (caller.role === "worker" && args.worker && args.worker !== caller.name)
      throw new JigError(
        "FORBIDDEN",
        `worker '${caller.name}' may check only its own branch, not '${args.worker}'s`,
        {
          hint: "omit the worker argument",
        },
      );
    const worker = caller.role === "worker" ? caller.name : args.worker;
    if (!worker)
      throw new JigError("INVALID_INPUT", "which worker? pass `worker`", {
        hint: "see `jig ps` for worker names",
      });
    const result = await checkConflicts(ctx, worker);
    const lines = [
      result.target.length ? `With the target: ${result.target.join(", ")}` : "No conflict with the target.",
      ...result.workers.map((w) => `With worker ${w.name}: ${w.files.join(", ")}`),
    ];
    return { text: lines.join("\n"), structured: { ...result } };
  },
});
