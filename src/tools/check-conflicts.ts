import { z } from "zod";
import { authorize } from "../core/authority.js";
import { checkConflicts } from "../core/landing/index.js";
import { describeConflicts } from "./set-status.js";
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
    target: z.array(z.string()).describe("Files that conflict with the target branch"),
    targetBranch: z.string().describe("The target branch your work lands on"),
    workers: z.array(z.object({ name: z.string(), files: z.array(z.string()) })),
    next: z.string().describe("What to do now, with the exact git command"),
  },
  annotations: {
    title: "Check for conflicts",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { ctx, caller }) {
    const worker = authorize(caller, "check_conflicts", { worker: args.worker })!;
    const result = await checkConflicts(ctx, worker);
    const targetBranch = (await ctx.workers.require(worker)).target;
    const lines = [
      result.target.length
        ? `With the target ${targetBranch}: ${result.target.join(", ")}`
        : `No conflict with the target ${targetBranch}.`,
      ...result.workers.map((w) => `With worker ${w.name}: ${w.files.join(", ")}`),
    ];
    const next =
      result.target.length || result.workers.length
        ? `${describeConflicts(result, targetBranch)} Then call check_conflicts again.`
        : "Nothing to resolve: carry on, commit, and call land when the acceptance criteria are met.";
    return {
      text: `${lines.join("\n")}\nNext: ${next}`,
      structured: { target: result.target, targetBranch, workers: result.workers, next },
    };
  },
});
