import { z } from "zod";
import { JigError } from "../errors.js";
import { renderDocument } from "../lib/frontmatter.js";
import { git } from "../lib/git.js";
import { authorize } from "./authority.js";
import type { JigContext } from "./context.js";
import { epicBranches, recordBase } from "./epics.js";
import { recordEvent } from "./events.js";
import { logBetween, refExists } from "./git-ops.js";
import { findCycles } from "./graph.js";
import type { Caller } from "./identity.js";
import { explainBadSlug, formatSubtaskId, slugify } from "./ids.js";
import type { IssueWrite } from "./issue-store.js";

// A planner's decomposition of an epic, validated as a whole and written all at once (or not at all).

export const MAX_SUBTASKS = 50;

export const PlanSubtaskSchema = z.object({
  title: z
    .string()
    .trim()
    .min(3)
    .max(200)
    .describe("Short imperative title, e.g. 'Add JWT token generation'"),
  slug: z
    .string()
    .max(48)
    .optional()
    .describe(
      "File-name slug: lowercase words joined by '-', e.g. 'jwt'. Defaults to one made from the title.",
    ),
  objective: z
    .string()
    .trim()
    .min(1)
    .max(20_000)
    .describe("What this subtask must achieve, in a few sentences"),
  acceptanceCriteria: z
    .array(z.string().trim().min(1).max(1_000))
    .min(1)
    .max(30)
    .describe("Checkable criteria, e.g. 'npm test -- auth passes'"),
  context: z.string().max(50_000).optional().describe("Files, modules, decisions the worker needs to know"),
  depends: z
    .array(z.string().max(160))
    .max(30)
    .default([])
    .describe(
      "Slugs of earlier subtasks in this plan (or ids of existing issues) that must be complete first",
    ),
});
export type PlanSubtask = z.input<typeof PlanSubtaskSchema>;

export const PlanSchema = z.object({
  epic: z.string().min(1).max(120).describe("The epic's id (its file name without .md), e.g. 'feature-auth'"),
  subtasks: z
    .array(PlanSubtaskSchema)
    .min(1)
    .max(MAX_SUBTASKS)
    .describe("The subtasks in the order they should be numbered"),
});
export type PlanInput = z.input<typeof PlanSchema>;

export interface PlanResult {
  epic: string;
  target: string;
  base: string;
  created: { id: string; title: string; depends: string[] }[];
  targetCreated: boolean;
}

function planError(message: string, hint: string, field: string): JigError {
  return new JigError("INVALID_INPUT", `invalid plan: ${message}`, { hint, details: { field } });
}

/** Validates a whole plan, creates the target branch and writes every subtask file (journaled, all or nothing). */
export async function planEpic(ctx: JigContext, caller: Caller, input: PlanInput): Promise<PlanResult> {
  const parsed = PlanSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw planError(
      `${issue.path.join(".") || "plan"}: ${issue.message}`,
      "fix that field and call plan_epic again with the whole plan",
      issue.path.join("."),
    );
  }
  const plan = parsed.data;
  authorize(caller, "plan", { epic: plan.epic });
  const { epic, target, base } = await epicBranches(ctx, plan.epic);

  // Slugs: given or derived, valid, unique within the plan.
  const slugs = plan.subtasks.map((task) => task.slug ?? slugify(task.title));
  slugs.forEach((slug, i) => {
    const why = explainBadSlug(slug);
    if (why)
      throw planError(
        `subtasks.${i}.slug ${JSON.stringify(slug)}: ${why}`,
        "use lowercase words joined by '-', e.g. 'jwt-tokens'",
        `subtasks.${i}.slug`,
      );
    const first = slugs.indexOf(slug);
    if (first !== i)
      throw planError(
        `subtasks ${first} and ${i} both have slug '${slug}'`,
        "give each subtask a distinct slug",
        `subtasks.${i}.slug`,
      );
  });

  // Check the base before writing anything, so a bad base leaves no files behind.
  if (
    !(await refExists(ctx.paths.root, `refs/heads/${target}`)) &&
    !(await refExists(ctx.paths.root, `${base}^{commit}`))
  ) {
    throw await missingBase(
      ctx.paths.root,
      base,
      `base branch '${base}' of epic '${epic.id}' does not exist`,
    );
  }
  const planned = (await ctx.issues.list()).some((i) => i.kind === "subtask" && i.epic === epic.id);
  await assertTargetOurs(ctx.paths.root, target, base, { trusted: planned });
  const result = await ctx.issues.transact(async ({ issues }) => {
    const all = issues.filter((issue) => issue.epic === epic.id && issue.kind === "subtask");
    // Cancelled subtasks (abandoned, or replaced by a re-plan) free their slugs but never their numbers.
    const existing = all.filter((issue) => issue.status !== "cancelled");
    const existingIds = new Set(issues.map((issue) => issue.id));
    for (const [i, slug] of slugs.entries()) {
      const clash = existing.find(
        (issue) =>
          issue.id.endsWith(`-${slug}`) &&
          /^\d{2,3}$/.test(issue.id.slice(epic.id.length + 1, -(slug.length + 1))),
      );
      if (clash)
        throw planError(
          `subtasks.${i}: slug '${slug}' is already used by ${clash.id}`,
          "choose another slug; existing subtasks are kept",
          `subtasks.${i}.slug`,
        );
    }
    const next = Math.max(0, ...all.map((issue) => issue.number ?? 0)) + 1;
    if (next + slugs.length - 1 > 999)
      throw planError("the epic would pass 999 subtasks", "split the epic", "subtasks");
    const ids = slugs.map((slug, i) => formatSubtaskId(epic.id, next + i, slug));
    const bySlug = new Map(slugs.map((slug, i) => [slug, ids[i]!]));
    const depends = plan.subtasks.map((task, i) =>
      [...new Set(task.depends)].map((ref) => {
        const id = bySlug.get(ref) ?? (existingIds.has(ref) ? ref : undefined);
        if (!id) {
          throw planError(
            `subtasks.${i} (${slugs[i]}) depends on '${ref}', which is neither a slug in this plan nor an existing issue`,
            `use one of: ${slugs.join(", ")}`,
            `subtasks.${i}.depends`,
          );
        }
        if (id === ids[i])
          throw planError(
            `subtasks.${i} (${slugs[i]}) depends on itself`,
            "remove it from its own depends",
            `subtasks.${i}.depends`,
          );
        return id;
      }),
    );
    const cycles = findCycles(ids.map((id, i) => ({ id, status: "planned", depends: depends[i]! })));
    if (cycles.length > 0) {
      throw planError(
        `dependency cycle: ${cycles[0]!.join(" → ")}`,
        "a subtask can only depend on work that does not depend on it; reorder or merge them",
        "subtasks.depends",
      );
    }
    const writes: IssueWrite[] = plan.subtasks.map((task, i) => ({
      id: ids[i]!,
      content: renderDocument(
        { epic: epic.id, status: "planned", assigned: null, target, depends: depends[i]! },
        renderBody(task.title, task.objective, task.acceptanceCriteria, task.context),
      ),
    }));
    return {
      writes,
      result: plan.subtasks.map((task, i) => ({ id: ids[i]!, title: task.title, depends: depends[i]! })),
    };
  });

  const targetCreated = await ensureBranch(ctx.paths.root, target, base, { trusted: true });
  await recordBase(ctx, epic.id, base);
  await recordEvent(ctx, {
    type: "planned",
    epic: epic.id,
    target,
    tasks: result.map(({ id, depends }) => ({ id, depends })),
  });
  return { epic: epic.id, target, base, created: result, targetCreated };
}

function renderBody(
  title: string,
  objective: string,
  criteria: string[],
  context: string | undefined,
): string {
  const lines = [
    `\n# ${title.replace(/\s+/g, " ")}`,
    "",
    "## Objective",
    objective.trim(),
    "",
    "## Acceptance Criteria",
    ...criteria.map((c) => `- [ ] ${c.replace(/\s+/g, " ")}`),
  ];
  if (context?.trim()) lines.push("", "## Context", context.trim());
  return `${lines.join("\n")}\n`;
}

/** Why a base is missing: in a repository without a commit, no branch exists until the first commit. */
async function missingBase(root: string, base: string, message: string): Promise<JigError> {
  const hasCommit = await refExists(root, "HEAD^{commit}");
  return new JigError(
    "PRECONDITION_FAILED",
    hasCommit ? message : `${message}: this repository has no commits yet`,
    {
      hint: hasCommit
        ? `set \`base:\` in the epic's frontmatter or \`baseBranch\` in jig.json to an existing branch (not '${base}')`
        : "make a first commit (git add -A && git commit -m 'Initial commit'), then run this again",
    },
  );
}

/** The ref that says jig made (or was told to adopt) a target branch: `refs/jig/targets/<target>`. */
const targetMarker = (target: string): string => `refs/jig/targets/${target}`;

/** Refuses an existing target that jig neither created nor was told to adopt, when it has commits of its own. */
export async function assertTargetOurs(
  root: string,
  branch: string,
  base: string,
  options: { reuse?: boolean; trusted?: boolean } = {},
): Promise<void> {
  if (options.reuse || options.trusted) return;
  if (!(await refExists(root, `refs/heads/${branch}`)) || (await refExists(root, targetMarker(branch))))
    return;
  const foreign = (await refExists(root, `${base}^{commit}`)) ? await logBetween(root, base, branch, 20) : [];
  if (foreign.length === 0) return;
  throw new JigError(
    "CONFLICT",
    `the target branch '${branch}' already exists with ${foreign.length === 20 ? "20+" : foreign.length} commit(s) not on ${base} that jig did not make: ${foreign
      .slice(0, 5)
      .map((c) => `${c.sha.slice(0, 10)} ${c.subject} (${c.author})`)
      .join("; ")}`,
    {
      hint: "build on it with `jig plan <epic> --reuse-target`, or set another `target:` in the epic's frontmatter, or rename that branch",
      details: { target: branch, commits: foreign.map((c) => c.sha) },
    },
  );
}

/**
 * Creates the target `branch` from `base` unless it exists; refuses a base that does not exist. An
 * existing target jig did not create is refused when it carries commits of its own (named in the
 * error), unless `reuse` (or `trusted`: the epic already has subtasks jig planned onto it).
 */
export async function ensureBranch(
  root: string,
  branch: string,
  base: string,
  options: { reuse?: boolean; trusted?: boolean } = {},
): Promise<boolean> {
  const marker = targetMarker(branch);
  if (await refExists(root, `refs/heads/${branch}`)) {
    await assertTargetOurs(root, branch, base, options);
    await git(root, ["update-ref", marker, `refs/heads/${branch}`]);
    return false;
  }
  if (!(await refExists(root, `${base}^{commit}`))) {
    throw await missingBase(root, base, `base branch '${base}' does not exist`);
  }
  await git(root, ["branch", "--no-track", branch, base]).catch(async (error) => {
    if (await refExists(root, `refs/heads/${branch}`)) return "";
    throw error;
  });
  await git(root, ["update-ref", marker, `refs/heads/${branch}`]);
  return true;
}
