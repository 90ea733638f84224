import matter from "gray-matter";
import { JigError } from "../errors.js";

// The only importer of gray-matter. Parsing goes through it; rewriting is surgical so that the body
// and every frontmatter line jig does not own survive byte for byte.

export interface SplitDocument {
  /** The raw YAML between the delimiters, without them. */
  frontmatter: string;
  /** Everything after the closing delimiter line, exactly as it was. */
  body: string;
  /** The line ending used by the delimiters ("\n" or "\r\n"). */
  eol: string;
}

const OPEN = /^---[ \t]*(\r?\n)/;
const CLOSE = /^---[ \t]*(\r?\n|$)/m;

// gray-matter would evaluate `---js` frontmatter with eval(); every non-YAML engine is refused.
const refuse = (language: string) => () => {
  throw new Error(`frontmatter language '${language}' is not allowed; use YAML`);
};
const SAFE_ENGINES = {
  js: refuse("js"),
  javascript: refuse("javascript"),
  coffee: refuse("coffee"),
  json: refuse("json"),
  toml: refuse("toml"),
};

export function splitDocument(text: string, file: string): SplitDocument {
  // A plain markdown file (an epic written by hand) has empty frontmatter; jig adds the block when it writes.
  if (!text.startsWith("---"))
    return { frontmatter: "", body: text, eol: text.includes("\r\n") ? "\r\n" : "\n" };
  const open = OPEN.exec(text);
  if (!open) {
    throw new JigError(
      "INVALID_INPUT",
      `${file}: the first line is not '---' (only YAML frontmatter is allowed)`,
      {
        hint: "start the file with ---, the fields (epic, status, depends…), then --- and the markdown body",
        details: { file },
      },
    );
  }
  const rest = text.slice(open[0].length);
  const close = CLOSE.exec(rest);
  if (!close) {
    throw new JigError("INVALID_INPUT", `${file}: the frontmatter is never closed (no second '---' line)`, {
      hint: "add a line containing only --- after the fields",
      details: { file },
    });
  }
  return {
    frontmatter: rest.slice(0, close.index).replace(/\r?\n$/, ""),
    body: rest.slice(close.index + close[0].length),
    eol: open[1]!,
  };
}

/** The most frontmatter text jig parses: a handful of fields needs far less. */
export const MAX_FRONTMATTER_BYTES = 64 * 1024;
/**
 * The most values a frontmatter may expand to, counting every use of an alias: a few hundred bytes of
 * nested aliases (a "billion laughs") otherwise expand to 10^8 values for whoever walks or prints them.
 */
export const MAX_FRONTMATTER_VALUES = 10_000;

/** Counts the values `data` expands to (each alias use counted again), stopping past `limit`. */
function expandedSize(data: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [data];
  while (stack.length > 0 && count <= limit) {
    const value = stack.pop();
    count++;
    if (Array.isArray(value)) for (const item of value) stack.push(item);
    else if (value !== null && typeof value === "object" && !(value instanceof Date))
      for (const item of Object.values(value as Record<string, unknown>)) stack.push(item);
  }
  return count;
}

/** Parses the frontmatter's YAML into plain data; malformed YAML becomes INVALID_INPUT naming the file. */
export function parseFrontmatter(doc: SplitDocument, file: string): Record<string, unknown> {
  if (doc.frontmatter.trim() === "") return {};
  const bytes = Buffer.byteLength(doc.frontmatter, "utf8");
  if (bytes > MAX_FRONTMATTER_BYTES) {
    throw new JigError(
      "INVALID_INPUT",
      `${file}: the frontmatter is ${bytes} bytes, over the ${MAX_FRONTMATTER_BYTES}-byte limit`,
      { hint: "keep the fields short; long text belongs in the markdown body", details: { file } },
    );
  }
  let data: unknown;
  try {
    data = matter(`---\n${doc.frontmatter}\n---\n`, { engines: SAFE_ENGINES, language: "yaml" }).data;
  } catch (error) {
    // js-yaml says why and where; the line counts from the file's first `---`, as an editor does.
    const yaml = error as { reason?: string; mark?: { line: number; column: number } };
    const reason =
      yaml.reason && yaml.mark
        ? `${yaml.reason} (line ${yaml.mark.line + 1}, column ${yaml.mark.column + 1})`
        : error instanceof Error
          ? error.message.split("\n")[0]
          : String(error);
    throw new JigError("INVALID_INPUT", `${file}: malformed YAML frontmatter: ${reason}`, {
      hint: "fix the YAML between the --- lines (check indentation and quoting)",
      details: { file },
      cause: error,
    });
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new JigError("INVALID_INPUT", `${file}: the frontmatter must be a mapping of fields`, {
      details: { file },
    });
  }
  if (expandedSize(data, MAX_FRONTMATTER_VALUES) > MAX_FRONTMATTER_VALUES) {
    throw new JigError(
      "INVALID_INPUT",
      `${file}: the frontmatter expands to more than ${MAX_FRONTMATTER_VALUES} values (nested YAML aliases?)`,
      { hint: "remove the anchors (&) and aliases (*); jig's fields are plain values", details: { file } },
    );
  }
  return data as Record<string, unknown>;
}

export type ScalarValue = string | null | readonly string[];

/** Renders one value as a single line of YAML that parses back to the same value. */
export function renderYamlValue(value: ScalarValue): string {
  if (value === null) return "";
  if (Array.isArray(value)) return `[${value.map((item) => renderYamlString(item)).join(", ")}]`;
  return renderYamlString(value as string);
}

function renderYamlString(value: string): string {
  // Plain only when YAML cannot read it as anything but this string: a leading digit or dot could be a
  // number ("0e0", "1e5", "0x1F", ".5") or a date, and a few words are booleans or null.
  const plain =
    /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(value) && !/^(true|false|yes|no|on|off|y|n|null)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

/**
 * Rewrites the given top-level keys of a frontmatter block, keeping every other line untouched.
 * A key's block is its own line plus any following indented or list-continuation lines.
 */
export function updateFrontmatter(doc: SplitDocument, updates: Record<string, ScalarValue>): string {
  const lines = doc.frontmatter.length === 0 ? [] : doc.frontmatter.split(/\r?\n/);
  const pending = new Map(Object.entries(updates));
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const key = /^([A-Za-z_][A-Za-z0-9_-]*)\s*:/.exec(line)?.[1];
    if (key === undefined || !pending.has(key)) {
      out.push(line);
      continue;
    }
    while (i + 1 < lines.length && /^(\s+|- |-$)/.test(lines[i + 1]!)) i++;
    const rendered = renderYamlValue(pending.get(key)!);
    out.push(rendered === "" ? `${key}:` : `${key}: ${rendered}`);
    pending.delete(key);
  }
  for (const [key, value] of pending) {
    const rendered = renderYamlValue(value);
    out.push(rendered === "" ? `${key}:` : `${key}: ${rendered}`);
  }
  return `---${doc.eol}${out.join(doc.eol)}${doc.eol}---${doc.eol}${doc.body}`;
}

/** Builds a fresh document from ordered fields and a body. */
export function renderDocument(fields: Record<string, ScalarValue>, body: string): string {
  return updateFrontmatter({ frontmatter: "", body, eol: "\n" }, fields);
}
