import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { JigError } from "../../errors.js";
import { PACKAGE_ROOT } from "../../version.js";

/** The absolute path of an executable on PATH (or the path itself), or null when there is none. */
export function which(command: string, extraDirs: string[] = []): string | null {
  const candidates =
    isAbsolute(command) || command.includes("/")
      ? [command]
      : [...extraDirs, ...(process.env.PATH ?? "").split(delimiter)]
          .filter(Boolean)
          .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

/** What an agent backend says when its CLI is missing: which backend, which product, how to install it. */
export interface AgentCli {
  backend: string;
  product: string;
  /** The npm package that installs the CLI. */
  npmPackage: string;
  /** More ways out, after the install and the jig.json setting. */
  orElse?: string;
}

/**
 * The agent CLI's executable: `command` on PATH or in jig's own node_modules/.bin (where the CLIs jig
 * is tested with are installed), or a clear error naming the command and how to install it.
 */
export function agentBinary(command: string, cli: AgentCli): string {
  const binary = which(command, [join(PACKAGE_ROOT, "node_modules", ".bin")]);
  if (binary) return binary;
  throw new JigError(
    "PRECONDITION_FAILED",
    `the ${cli.backend} backend needs ${cli.product}, but '${command}' is not installed or not on PATH`,
    {
      hint: `install it with \`npm install -g ${cli.npmPackage}\` (or set agents.<name>.command in jig.json)${cli.orElse ? `, ${cli.orElse}` : ""}`,
    },
  );
}
