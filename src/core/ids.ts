import { JigError } from "../errors.js";

// Ids become file names and git branch names, so only a conservative alphabet is allowed.
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SUBTASK_TAIL = /^(\d{2,3})-([a-z0-9]+(?:-[a-z0-9]+)*)$/;
export const MAX_ID_LENGTH = 120;
export const MAX_SLUG_LENGTH = 48;

/** Why a string is not a safe id, or null when it is. */
export function explainUnsafeId(id: string): string | null {
  if (id.length === 0) return "it is empty";
  if (id.length > MAX_ID_LENGTH) return `it is longer than ${MAX_ID_LENGTH} characters`;
  if (id.startsWith("-")) return "it starts with '-'";
  if (id.includes("..")) return "it contains '..'";
  if (/[\u0000-\u001f\u007f]/.test(id)) return "it contains control characters";
  if (/\s/.test(id)) return "it contains spaces";
  if (id.includes("/") || id.includes("\\")) return "it contains a path separator";
  if (id.endsWith(".lock") || id.endsWith(".")) return "it ends with '.lock' or '.'";
  if (!ID_PATTERN.test(id)) return "it may contain only letters, digits, '.', '_' and '-'";
  return null;
}

export function assertSafeId(id: string, what = "id"): string {
  const why = explainUnsafeId(id);
  if (why) {
    throw new JigError("INVALID_INPUT", `${what} ${JSON.stringify(id)} is not a safe name: ${why}`, {
      hint: "use letters, digits and '-' only, e.g. feature-auth-01-jwt",
      details: { value: id.slice(0, 200) },
    });
  }
  return id;
}

export function explainBadSlug(slug: string): string | null {
  if (slug.length === 0) return "it is empty";
  if (slug.length > MAX_SLUG_LENGTH) return `it is longer than ${MAX_SLUG_LENGTH} characters`;
  if (!SLUG_PATTERN.test(slug)) return "it must be lowercase words of a-z and 0-9 joined by single '-'";
  return null;
}

/** Turns a title into a slug: "Add JWT tokens!" → "add-jwt-tokens". */
export function slugify(text: string): string {
  const slug = text
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/g, "");
  return slug.length > 0 ? slug : "task";
}

export function formatSubtaskId(epic: string, number: number, slug: string): string {
  return `${epic}-${String(number).padStart(2, "0")}-${slug}`;
}

export interface SubtaskIdParts {
  epic: string;
  number: number;
  slug: string;
}

/** Splits `<epic>-NN-<slug>` given its epic; null when the id does not have that shape. */
export function parseSubtaskId(id: string, epic: string): SubtaskIdParts | null {
  if (!id.startsWith(`${epic}-`)) return null;
  const match = SUBTASK_TAIL.exec(id.slice(epic.length + 1));
  if (!match) return null;
  return { epic, number: Number(match[1]), slug: match[2]! };
}

export interface ResolveOptions {
  /** The epic a short reference like `01` is relative to. */
  epic?: string;
}

/**
 * Resolves a reference to exactly one id: the full id, a file path ending in `<id>.md`,
 * `<epic>-NN`, or `NN` / `NN-slug` within a known epic. Ambiguity is refused, never guessed.
 */
export function resolveReference(ref: string, ids: readonly string[], options: ResolveOptions = {}): string {
  const trimmed = ref.trim();
  let candidate = trimmed;
  if (candidate.endsWith(".md")) {
    const base = candidate.split(/[\\/]/).pop() ?? candidate;
    candidate = base.slice(0, -3);
  }
  const why = explainUnsafeId(candidate);
  if (why) {
    throw new JigError(
      "INVALID_INPUT",
      `issue reference ${JSON.stringify(ref.slice(0, 200))} is not valid: ${why}`,
      {
        hint: "pass an issue id such as feature-auth-01-jwt, or a short form such as feature-auth-01",
      },
    );
  }
  if (ids.includes(candidate)) return candidate;
  const matches = new Set<string>();
  const prefixes: string[] = [];
  if (/-\d{2,3}$/.test(candidate)) prefixes.push(`${candidate}-`);
  const epic = options.epic;
  if (epic && /^\d{1,3}$/.test(candidate)) prefixes.push(`${epic}-${candidate.padStart(2, "0")}-`);
  if (epic && SUBTASK_TAIL.test(candidate) && ids.includes(`${epic}-${candidate}`))
    matches.add(`${epic}-${candidate}`);
  for (const id of ids) {
    for (const prefix of prefixes)
      if (id.startsWith(prefix) && SLUG_PATTERN.test(id.slice(prefix.length))) matches.add(id);
  }
  const found = [...matches].sort();
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw new JigError(
      "CONFLICT",
      `issue reference ${JSON.stringify(ref)} is ambiguous: it matches ${found.join(", ")}`,
      {
        hint: "pass the full id",
        details: { matches: found },
      },
    );
  }
  throw new JigError("NOT_FOUND", `no issue matches ${JSON.stringify(ref)}`, {
    hint: "run `jig issues list` to see the ids",
    toolHint: "call list_tasks to see the ids",
  });
}
