import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmod, mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { JigError } from "../errors.js";
import { writeFileAtomic } from "../lib/fs.js";
import { assertSafeId } from "./ids.js";
import type { JigPaths } from "./paths.js";

// Who is calling. Tokens are random, stored 0600 under .jig/secrets/, and compared in constant time.
export type Caller =
  | { role: "admin"; name: "admin" }
  | { role: "worker"; name: string }
  | { role: "planner"; name: string; epic: string };

export const ADMIN: Caller = { role: "admin", name: "admin" };
const ADMIN_TOKEN = "admin";

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

async function writeSecret(paths: JigPaths, name: string, token: string): Promise<void> {
  await mkdir(paths.secretsDir, { recursive: true, mode: 0o700 });
  await chmod(paths.secretsDir, 0o700);
  const file = join(paths.secretsDir, `${name}.token`);
  await writeFileAtomic(file, token, 0o600);
  await chmod(file, 0o600);
}

/** Creates (or replaces) the token of a worker or planner identity and returns it. */
export async function issueToken(
  paths: JigPaths,
  name: string,
  options: { epic?: string } = {},
): Promise<string> {
  assertSafeId(name, "worker name");
  const token = `${options.epic ? `planner.${options.epic}` : `worker.${name}`}.${newToken()}`;
  await writeSecret(paths, name, token);
  return token;
}

/** The admin token used by `jig serve` over HTTP; created on first use. */
export async function adminToken(paths: JigPaths): Promise<string> {
  try {
    return (await readFile(join(paths.secretsDir, `${ADMIN_TOKEN}.token`), "utf8")).trim();
  } catch {
    const token = `admin.${newToken()}`;
    await writeSecret(paths, ADMIN_TOKEN, token);
    return token;
  }
}

const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Maps a presented token to its caller, or throws UNAUTHORIZED. */
export async function authenticate(paths: JigPaths, token: string): Promise<Caller> {
  const unauthorized = new JigError("UNAUTHORIZED", "the token is not valid for this repository", {
    hint: "use the token jig printed (jig serve) or the one in the worker's MCP config",
  });
  if (token.length === 0 || token.length > 512) throw unauthorized;
  let names: string[];
  try {
    names = (await readdir(paths.secretsDir)).filter((name) => name.endsWith(".token"));
  } catch {
    throw unauthorized;
  }
  // The token's prefix says whose it claims to be; only that secret is read and compared.
  const [kind, who] = token.split(".", 3);
  const candidates =
    kind === "admin"
      ? [ADMIN_TOKEN]
      : kind === "planner"
        ? names.map((n) => n.slice(0, -6))
        : who
          ? [who]
          : [];
  for (const name of candidates) {
    if (!names.includes(`${name}.token`)) continue;
    let secret: string;
    try {
      secret = (await readFile(join(paths.secretsDir, `${name}.token`), "utf8")).trim();
    } catch {
      continue;
    }
    if (!sameSecret(secret, token)) continue;
    if (name === ADMIN_TOKEN) return ADMIN;
    if (kind === "planner") return { role: "planner", name, epic: who ?? "" };
    return { role: "worker", name };
  }
  throw unauthorized;
}
