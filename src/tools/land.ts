import { z } from "zod";
import { authorize } from "../core/authority.js";
import { requestLand } from "../core/landing/index.js";
import { LandVerdictSchema } from "../core/landing/queue.js";
import { defineTool } from "./tool.js";

/** What the worker does after a verdict, with the real target branch in every command. */
function nextStep(verdict: { state: string; target: string; conflicts?: string[] }): string {
  switch (verdict.state) {
    case "landed":
      return "Done: your work is on the target branch and your task is complete. Stop here.";
    case "blocked":
      return verdict.conflicts?.length
        ? `Resolve the conflict in your worktree: git rebase ${verdict.target}, fix ${verdict.conflicts.join(", ")}, git add them, git rebase --continue; then call land again.`
        : `Read the reason above, fix it in your worktree and commit (your branch must build on ${verdict.target}), then call land again.`;
    case "queued":
      return "Your branch is in the landing queue. Call land again to keep waiting for the verdict.";
    default:
      return "Your branch is being landed right now. Call land again to get the verdict.";
  }
}

export const landTool = defineTool({
  name: "land",
  title: "Land your work on the target branch",
  description:
    "Worker: call when your work is committed and the acceptance criteria are met. jig queues your branch, rebases its " +
    "commits onto the shared target branch without touching your worktree, runs the configured gate on the exact result, and moves the target " +
    "(one land at a time, safely). Returns within about 30 seconds: landed (with commits; your task is complete), " +
    "blocked (with the conflicting files or the gate's output — fix, commit, call land again), or queued/landing (call " +
    "land again to keep waiting). Calling it twice never lands twice. Uncommitted changes are refused: commit first.",
  inputSchema: {
    worker: z.string().max(120).optional().describe("Admin only: the worker to land; workers omit it"),
    waitSeconds: z
      .number()
      .int()
      .min(0)
      .max(30)
      .optional()
      .describe("How long to wait for the verdict (default 25)"),
  },
  // The verdict's own shape, so every field a verdict carries (head, fix, conflict kinds…) is declared:
  // MCP clients that validate (the SDK's, Gemini CLI's) refuse a result with an undeclared field.
  outputSchema: {
    ...LandVerdictSchema.shape,
    next: z.string().describe("What to do now"),
  },
  annotations: {
    title: "Land your work",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { ctx, caller, extra }) {
    const worker = authorize(caller, "land", { worker: args.worker })!;
    const progressToken = extra._meta?.progressToken;
    let progress = 0;
    const verdict = await requestLand(ctx, worker, {
      waitMs: (args.waitSeconds ?? 25) * 1000,
      onProgress:
        progressToken === undefined
          ? undefined
          : (message) => {
              progress++;
              void extra
                .sendNotification({
                  method: "notifications/progress",
                  params: { progressToken, progress, message },
                })
                .catch(() => {});
            },
    });
    const detail =
      verdict.state === "landed"
        ? `Landed ${verdict.commits?.length ?? 0} commit(s) on ${verdict.target} (tip ${verdict.tip?.slice(0, 10)}).`
        : verdict.state === "blocked"
          ? `Blocked: ${verdict.reason ?? "see conflicts"}${verdict.conflicts?.length ? `\nConflicting files: ${verdict.conflicts.join(", ")}` : ""}${verdict.fix?.length ? `\nIn your worktree:\n${verdict.fix.map((line) => `  ${line}`).join("\n")}` : ""}`
          : verdict.state === "queued"
            ? `Queued for ${verdict.target}, position ${verdict.position ?? "?"}.`
            : `Landing onto ${verdict.target} now.`;
    const next = nextStep(verdict);
    return { text: `${detail}\nNext: ${next}`, structured: { ...LandVerdictSchema.parse(verdict), next } };
  },
});
