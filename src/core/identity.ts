import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { type BigIntStats, readFileSync, statSync } from "node:fs";
import { chmod, mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { JigError } from "../errors.js";
import { statKey, writeFileAtomic } from "../lib/fs.js";
import { assertSafeId } from "./ids.js";
import type { JigPaths } from "./paths.js";

// Who is calling. Secrets live outside the repository (paths.ts: the user's state directory, keyed by
// repository, 0700), so nothing a session can read in its worktree holds another identity's token.
//
// A token is `jig_<role>.<base64url(name)>.<secret>`: the name is encoded, so no id can alias another
// (epic `v1.2` versus `v1`), and the admin is a role of its own, never a name a worker can take.
// Worker and planner records keep only a digest of their token; the admin token itself is kept because
// `jig serve` prints it and the dashboard derives its cookie from it.
export type Caller =
  | { role: "admin"; name: "admin" }
  | { role: "worker"; name: string }
  | { role: "planner"; name: string; epic: string };

export const ADMIN: Caller = { role: "admin", name: "admin" };

/** Names jig uses for itself; no worker may take them (ad-hoc workers are named by the human). */
const RESERVED_NAMES = new Set(["admin", "jig", "planner", "root", "system", "human"]);
const PLANNER_PREFIX = "planner-";

interface IdentityRecord {
  role: "worker" | "planner";
  name: string;
  epic?: string;
  /** sha256 of the token, hex. */
  digest: string;
}

const TOKEN_PATTERN = /^jig_(admin|worker|planner)\.([A-Za-z0-9_-]{1,220})\.([A-Za-z0-9_-]{32})$/;
const encodeName = (name: string): string => Buffer.from(name, "utf8").toString("base64url");
const recordFile = (paths: JigPaths, name: string): string =>
  join(paths.secretsDir, "ids", `${encodeName(name)}.json`);
const adminFile = (paths: JigPaths): string => join(paths.secretsDir, "admin.token");
// Read in place of a record that does not exist, so an unknown name costs a file read and a parse too.
const decoyFile = (paths: JigPaths): string => join(paths.secretsDir, "ids", ".decoy.json");

async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}
const writePrivateFile = (file: string, data: string) => writeFileAtomic(file, data, 0o600);

const newSecret = (): string => randomBytes(24).toString("base64url");
const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

/** Refuses a name jig reserves for itself (admin, planner-…), naming it. */
export function assertWorkerName(name: string, what = "worker name"): string {
  assertSafeId(name, what);
  const lower = name.toLowerCase();
  if (RESERVED_NAMES.has(lower) || lower.startsWith(PLANNER_PREFIX)) {
    throw new JigError("INVALID_INPUT", `${what} ${JSON.stringify(name)} is reserved by jig`, {
      hint: `pick another name (admin, jig, planner and names starting '${PLANNER_PREFIX}' are jig's own)`,
    });
  }
  return name;
}

export const plannerName = (epic: string): string => `${PLANNER_PREFIX}${epic}`;

/** Creates (or replaces) the token of a worker or planner identity and returns it. */
export async function issueToken(
  paths: JigPaths,
  name: string,
  options: { epic?: string } = {},
): Promise<string> {
  if (options.epic) {
    assertSafeId(options.epic, "epic id");
    if (name !== plannerName(options.epic))
      throw new JigError("INTERNAL", `a planner identity must be named ${plannerName(options.epic)}`);
  } else {
    assertWorkerName(name);
  }
  const role = options.epic ? "planner" : "worker";
  const token = `jig_${role}.${encodeName(name)}.${newSecret()}`;
  const record: IdentityRecord = {
    role,
    name,
    ...(options.epic ? { epic: options.epic } : {}),
    digest: digest(token).toString("hex"),
  };
  await ensurePrivateDir(join(paths.secretsDir, "ids"));
  await writePrivateFile(recordFile(paths, name), `${JSON.stringify(record)}\n`);
  const decoy = { ...record, role: "worker", name: ".decoy", digest: digest(newSecret()).toString("hex") };
  await readFile(decoyFile(paths)).catch(() =>
    writePrivateFile(decoyFile(paths), `${JSON.stringify(decoy)}\n`),
  );
  return token;
}

/** Forgets an identity: its token stops working at once. */
export async function revokeToken(paths: JigPaths, name: string): Promise<void> {
  await rm(recordFile(paths, name), { force: true });
}

/** The admin token used by `jig serve` over HTTP; created on first use. */
export async function adminToken(paths: JigPaths): Promise<string> {
  const existing = await readFile(adminFile(paths), "utf8").catch(() => "");
  if (TOKEN_PATTERN.test(existing.trim())) return existing.trim();
  const token = `jig_admin.${encodeName("admin")}.${newSecret()}`;
  await ensurePrivateDir(paths.secretsDir);
  await writePrivateFile(adminFile(paths), token);
  return token;
}

// Compared when the claimed identity does not exist, so an unknown name costs what a wrong secret does.
const DECOY = digest(`decoy.${newSecret()}`);

// The identity files as last read, by path, with the stat they were read at: every HTTP request
// authenticates, and reading a file through the thread pool cost more than the rest of a no-op call.
const seen = new Map<string, { key: string; text: string }>();

/**
 * A small private file's text, or null when it does not exist: one `stat`, and a read only when the
 * file changed. A revoked token's record is deleted, so the `stat` sees it at once; a file changed in
 * the last two seconds is read again (a rename can reuse an inode within one timestamp tick).
 */
function identityText(file: string): string | null {
  let info: BigIntStats | undefined;
  try {
    info = statSync(file, { bigint: true, throwIfNoEntry: false });
  } catch {
    info = undefined;
  }
  if (!info) {
    seen.delete(file);
    return null;
  }
  const key = statKey(info);
  const known = seen.get(file);
  if (known?.key === key && Date.now() - Number(info.ctimeMs) > 2_000) return known.text;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  if (seen.size >= 10_000) seen.clear();
  seen.set(file, { key, text });
  return text;
}

function expectedDigest(
  paths: JigPaths,
  role: string,
  name: string,
): { digest: Buffer; caller: Caller | null } {
  if (role === "admin") {
    const token = (identityText(adminFile(paths)) ?? "").trim();
    return token ? { digest: digest(token), caller: ADMIN } : { digest: DECOY, caller: null };
  }
  // An unknown name reads the decoy the same way, so it costs what a known one does.
  const text = identityText(recordFile(paths, name)) ?? identityText(decoyFile(paths)) ?? "";
  let record: IdentityRecord | null = null;
  try {
    record = text ? (JSON.parse(text) as IdentityRecord) : null;
  } catch {
    record = null;
  }
  if (!record || record.role !== role || record.name !== name || !/^[0-9a-f]{64}$/.test(record.digest))
    return { digest: DECOY, caller: null };
  const caller: Caller =
    record.role === "planner" ? { role: "planner", name, epic: record.epic ?? "" } : { role: "worker", name };
  return { digest: Buffer.from(record.digest, "hex"), caller };
}

/** Maps a presented token to its caller, or throws UNAUTHORIZED. Empty is refused, never admin. */
export async function authenticate(paths: JigPaths, token: string): Promise<Caller> {
  const unauthorized = new JigError("UNAUTHORIZED", "the token is not valid for this repository", {
    hint: "use the token jig printed (jig serve) or the one in the worker's MCP config",
  });
  const match = TOKEN_PATTERN.exec(token);
  const role = match?.[1] ?? "worker";
  const name = match ? Buffer.from(match[2]!, "base64url").toString("utf8") : "";
  const expected = match ? expectedDigest(paths, role, name) : { digest: DECOY, caller: null };
  // Always one fixed-length comparison, whatever was presented.
  const same = timingSafeEqual(digest(token), expected.digest);
  if (!same || !expected.caller) throw unauthorized;
  if (role === "admin" && name !== "admin") throw unauthorized;
  return expected.caller;
}
