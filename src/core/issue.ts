import { z } from "zod";
import { JigError } from "../errors.js";
import { parseFrontmatter, type ScalarValue, splitDocument, updateFrontmatter } from "../lib/frontmatter.js";
import { explainUnsafeId, parseSubtaskId } from "./ids.js";

export const ISSUE_STATUSES = ["planned", "in-progress", "blocked", "complete", "cancelled"] as const;
export const IssueStatusSchema = z.enum(ISSUE_STATUSES);
export type IssueStatus = z.infer<typeof IssueStatusSchema>;

// git refuses these in branch names; checked here so a bad target is caught when the file is read.
export function explainBadBranch(name: string): string | null {
  if (name.length === 0 || name.length > 200) return "it must be 1–200 characters";
  if (name.startsWith("-") || name.startsWith("/") || name.endsWith("/"))
    return "it starts or ends with '-' or '/'";
  if (/\.\.|\/\/|@\{|[\s~^:?*[\\\u0000-\u001f\u007f]/.test(name))
    return "it contains a character git forbids in branch names";
  if (name.endsWith(".lock") || name.endsWith(".") || name.split("/").some((part) => part.startsWith(".")))
    return "a component starts with '.' or ends with '.lock'";
  // Branch names reach prompts and custom agents' command lines: no shell metacharacters ($ ` ; & | …).
  if (!/^[A-Za-z0-9._/+@=,-]+$/.test(name))
    return "it may contain only letters, digits and . _ / + @ = , - (no shell metacharacters)";
  return null;
}

const idField = z.string().superRefine((value, ctx) => {
  const why = explainUnsafeId(value);
  if (why)
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a safe issue id: ${why}` });
});
const branchField = z.string().superRefine((value, ctx) => {
  const why = explainBadBranch(value);
  if (why)
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a valid branch name: ${why}` });
});
const optionalText = z.union([z.string(), z.number().transform(String), z.null()]).optional();

export const IssueFrontmatterSchema = z
  .object({
    epic: idField.optional().nullable(),
    status: IssueStatusSchema.default("planned"),
    assigned: optionalText,
    target: branchField.optional().nullable(),
    base: branchField.optional().nullable(),
    depends: z.array(idField).nullable().optional(),
  })
  .passthrough();
export type IssueFrontmatter = z.infer<typeof IssueFrontmatterSchema>;

export interface Issue {
  id: string;
  kind: "epic" | "subtask";
  /** The epic this issue belongs to; an epic belongs to itself. */
  epic: string;
  status: IssueStatus;
  assigned: string | null;
  /** Explicit `target` field, if any (subtasks inherit the epic's when absent). */
  target: string | null;
  base: string | null;
  depends: string[];
  title: string;
  /** Subtask number within its epic (NN), or null for an epic. */
  number: number | null;
  body: string;
  /** The whole file as read; rewrites start from it so nothing jig does not own changes. */
  raw: string;
}

export const MAX_ISSUE_BYTES = 1024 * 1024;

/** Parses one issue file; every problem is a JigError naming the file and the field. */
export function parseIssue(id: string, raw: string, file = `${id}.md`): Issue {
  const idWhy = explainUnsafeId(id);
  if (idWhy)
    throw new JigError("INVALID_INPUT", `${file}: the file name is not a safe issue id: ${idWhy}`, {
      hint: "rename the file to <epic>-NN-<slug>.md",
      details: { file },
    });
  const doc = splitDocument(raw, file);
  const data = parseFrontmatter(doc, file);
  const parsed = IssueFrontmatterSchema.safeParse(data);
  if (!parsed.success) {
    // Every bad field at once (`fields`/`reasons` in the details), so one validate run shows them all.
    const fields = parsed.error.issues.map((issue) => issue.path.join(".") || "(frontmatter)");
    const reasons = parsed.error.issues.map((issue) => describeZodIssue(issue, data));
    throw new JigError("INVALID_INPUT", `${file}: field '${fields[0]}': ${reasons[0]}`, {
      hint: fieldHint(fields[0]!),
      details: { file, field: fields[0]!, fields, reasons },
    });
  }
  const fm = parsed.data;
  const epicField = fm.epic ?? null;
  const kind = epicField === null || epicField === id ? "epic" : "subtask";
  let number: number | null = null;
  if (kind === "subtask") {
    const parts = parseSubtaskId(id, epicField!);
    if (!parts) {
      throw new JigError(
        "INVALID_INPUT",
        `${file}: a subtask of epic '${epicField}' must be named ${epicField}-NN-<slug>.md`,
        {
          hint: "rename the file, or fix the 'epic' field",
          details: { file, field: "epic" },
        },
      );
    }
    number = parts.number;
  }
  const depends = fm.depends ?? [];
  if (depends.includes(id)) {
    throw new JigError("INVALID_INPUT", `${file}: field 'depends': the issue depends on itself`, {
      hint: "remove its own id from depends",
      details: { file, field: "depends" },
    });
  }
  return {
    id,
    kind,
    epic: epicField ?? id,
    status: fm.status,
    assigned: typeof fm.assigned === "string" && fm.assigned.trim() !== "" ? fm.assigned.trim() : null,
    target: fm.target ?? null,
    base: fm.base ?? null,
    depends: [...new Set(depends)],
    title: extractTitle(doc.body) ?? id,
    number,
    body: doc.body,
    raw,
  };
}

/** What was wrong, with the value found: `expected one of planned, …; got "plannd"`. */
function describeZodIssue(issue: z.core.$ZodIssue, data: unknown): string {
  let found: unknown = data;
  for (const key of issue.path) found = (found as Record<PropertyKey, unknown> | undefined)?.[key];
  const got = found === undefined ? "it is missing" : `got ${shortValue(found)}`;
  if (issue.code === "invalid_value" && "values" in issue) {
    return `expected one of ${(issue.values as unknown[]).map(String).join(", ")}; ${got}`;
  }
  if (issue.code === "invalid_type") return `expected ${issue.expected}; ${got}`;
  return issue.message;
}

/** A short description of a found value; never serialises more than it shows (the value may be huge). */
function shortValue(value: unknown): string {
  const clip = (text: string) => (text.length > 60 ? `${text.slice(0, 59)}…` : text);
  if (typeof value === "string") return clip(JSON.stringify(value.slice(0, 80)));
  if (value === null || typeof value !== "object") return clip(String(value));
  if (value instanceof Date) return clip(JSON.stringify(value.toISOString()));
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? "" : "s"}`;
  const keys = Object.keys(value);
  return clip(`a mapping (${keys.slice(0, 5).join(", ")}${keys.length > 5 ? ", …" : ""})`);
}

function fieldHint(field: string): string {
  switch (field) {
    case "status":
      return `status must be one of ${ISSUE_STATUSES.join(", ")}`;
    case "depends":
      return "depends must be a list of issue ids, e.g. depends: [feature-auth-01-jwt]";
    case "target":
    case "base":
      return `${field} must be a git branch name such as feature/auth`;
    default:
      return "see docs/issues.md for the fields and their types";
  }
}

export function extractTitle(body: string): string | null {
  const match = /^#\s+(.+?)\s*#*\s*$/m.exec(body);
  return match ? match[1]!.trim() : null;
}

export type IssuePatch = Partial<{
  status: IssueStatus;
  assigned: string | null;
  target: string | null;
  base: string | null;
  depends: string[];
}>;

/** Applies a patch to an issue's file text; untouched fields and the body stay byte for byte. */
export function applyPatch(issue: Issue, patch: IssuePatch): string {
  const updates: Record<string, ScalarValue> = {};
  for (const [key, value] of Object.entries(patch))
    if (value !== undefined) updates[key] = value as ScalarValue;
  return updateFrontmatter(splitDocument(issue.raw, `${issue.id}.md`), updates);
}
