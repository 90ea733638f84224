// The one secret scrubber. Every surface that shows text someone else wrote or that may carry a
// token — tool and resource errors, gate output, verdicts, status files, logs, the dashboard —
// passes it through here, so a new token format or a new leak is fixed in one place.

const REDACTED = "<redacted>";

// jig's tokens: `jig_<role>.<encoded name>.<secret>` (identity.ts), and the older
// `<role>.<name>.<secret>` shape, recognised by a long random tail so that prose such as
// `worker.ts` survives.
const JIG_TOKEN = /\bjig_(?:admin|worker|planner)\.[A-Za-z0-9_.-]+/g;
const LEGACY_TOKEN = /\b(?:admin|worker|planner)\.[A-Za-z0-9_.-]*[A-Za-z0-9_-]{20,}/g;
// `Authorization: Bearer x`, `bearer x`.
const BEARER = /\b(Bearer\s+)[^\s"'<>]+/gi;
// `JIG_TOKEN=x`, `JIG_TOKEN: x`, `"JIG_TOKEN": "x"`, `export JIG_TOKEN='x'`.
const TOKEN_ASSIGNMENT = /\b(JIG_TOKEN["']?\s*[=:]\s*)(?:"[^"\n]*"|'[^'\n]*'|[^\s"'&;]*)/g;
// `?token=x` or `#token=x` in a dashboard URL, and the dashboard cookie.
const URL_TOKEN = /([?&#](?:token|jig_token)=)[^\s&#"'<>]+/gi;
const COOKIE = /\b(jig_dashboard_[0-9a-f]+=)[^\s;"'<>]+/gi;

/** Removes every jig token (in any format), bearer credential and JIG_TOKEN assignment from text. */
export function redactSecrets(text: string): string {
  return text
    .replace(TOKEN_ASSIGNMENT, `$1${REDACTED}`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(URL_TOKEN, `$1${REDACTED}`)
    .replace(COOKIE, `$1${REDACTED}`)
    .replace(JIG_TOKEN, REDACTED)
    .replace(LEGACY_TOKEN, REDACTED);
}

/** The same scrub over every string inside a JSON-safe value (a snapshot, a verdict). */
export function redactDeep<T>(value: T): T {
  if (typeof value === "string") return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactDeep(item);
    return out as T;
  }
  return value;
}

/**
 * Secrets removed, paths inside `root` made relative and any other absolute path (home
 * directories, temp dirs, jig's state directory) replaced: what an MCP caller may see.
 */
export function redactForCaller(text: string, root: string): string {
  let out = redactSecrets(text);
  if (root.length > 1) out = out.split(`${root}/`).join("").split(root).join(".");
  return out.replace(/(^|[\s'"(=:,[])\/(?:[\w.@+~-]+\/)+[\w.@+~-]*/g, "$1<path>");
}
