import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { JigError } from "../../errors.js";
import { PACKAGE_ROOT } from "../../version.js";

// The page's script is TypeScript in ./client/, compiled for the browser by its own tsconfig (DOM
// types, ES modules) into dist/ by `npm run build`, and served from there file by file: the browser
// loads app.js and follows its imports. Only the compiled files' own names are ever served.

const CLIENT_DIR = join(PACKAGE_ROOT, "dist", "src", "server", "dashboard", "client");

let files: Promise<Map<string, string>> | null = null;

async function loadFiles(): Promise<Map<string, string>> {
  const names = await readdir(CLIENT_DIR).catch((error: unknown) => {
    throw new JigError("NOT_AVAILABLE", "the dashboard's client is not built", {
      hint: "run `npm run build` in jig's checkout",
      cause: error,
    });
  });
  const scripts = names.filter((name) => /^[a-z][a-z-]*\.js$/.test(name));
  return new Map(
    await Promise.all(
      scripts.map(async (name) => [name, await readFile(join(CLIENT_DIR, name), "utf8")] as const),
    ),
  );
}

/** The compiled client module `name` (e.g. `app.js`), read once per process. */
export async function clientFile(name: string): Promise<string> {
  files ??= loadFiles().catch((error: unknown) => {
    files = null; // a later build can still be served without a restart
    throw error;
  });
  const text = (await files).get(name);
  if (text === undefined)
    throw new JigError("NOT_FOUND", `no dashboard script '${name.slice(0, 60)}'`, {
      hint: "the page loads /dashboard/client/app.js",
    });
  return text;
}
