// Help and docs agree: every command and flag that `jig --help` shows is in docs/usage.md's command
// reference, and everything the reference names exists. Read from the built CLI's own commander program.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CLI_ENTRY } from "../../src/version.js";
import { tempDir, testEnv } from "../helpers/repo.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Command path ("" for jig itself, "issues list") → its long flags, as --help shows them. */
function fromHelp(): Record<string, string[]> {
  // One process: load the CLI quietly (--version), then walk what --help would show.
  const walker = `
process.argv = [process.argv[0], "jig", "--version"];
const { buildProgram } = await import(${JSON.stringify(CLI_ENTRY)});
const program = buildProgram();
const help = program.createHelp();
const out = {};
const walk = (command, path) => {
  out[path] = help.visibleOptions(command).map((o) => o.long).filter((f) => f && f !== "--help");
  for (const sub of help.visibleCommands(command))
    if (sub.name() !== "help") walk(sub, path ? path + " " + sub.name() : sub.name());
};
walk(program, "");
process.stdout.write("\\n" + JSON.stringify(out) + "\\n");
`;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", walker], {
    cwd: tempDir(),
    env: { ...process.env, ...testEnv },
    encoding: "utf8",
  });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
}

/** The same map, from the rows of the "Command reference" table in docs/usage.md. */
function fromDocs(): Record<string, string[]> {
  const usage = readFileSync(join(REPO, "docs", "usage.md"), "utf8");
  const section = usage.split("## Command reference")[1]?.split("\n## ")[0];
  if (!section) throw new Error("docs/usage.md has no '## Command reference' section");
  const out: Record<string, string[]> = {};
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    const synopsis = /^`jig((?: [a-z][a-z0-9-]*)*)(?: [<[].*)?`$/.exec(cells[1] ?? "");
    if (!synopsis) continue;
    const path = synopsis[1]!.trim();
    if (path in out) throw new Error(`docs/usage.md lists \`jig ${path}\` twice`);
    out[path] = [...(cells[2] ?? "").matchAll(/--[a-z][a-z-]*/g)]
      .map((m) => m[0])
      .filter((f) => f !== "--help");
  }
  return out;
}

describe("help and docs agree", () => {
  it("every command and flag in --help is in docs/usage.md's command reference, and back", () => {
    const help = fromHelp();
    const docs = fromDocs();
    const missing: string[] = [];
    const stale: string[] = [];
    for (const [path, flags] of Object.entries(help)) {
      if (!(path in docs)) missing.push(`jig ${path}`.trim());
      else
        for (const flag of flags)
          if (!docs[path]!.includes(flag)) missing.push(`jig ${path} ${flag}`.replace("  ", " "));
    }
    for (const [path, flags] of Object.entries(docs)) {
      if (!(path in help)) stale.push(`jig ${path}`.trim());
      else
        for (const flag of flags)
          if (!help[path]!.includes(flag)) stale.push(`jig ${path} ${flag}`.replace("  ", " "));
    }
    expect({ "in --help, not in docs/usage.md": missing, "in docs/usage.md, not in --help": stale }).toEqual({
      "in --help, not in docs/usage.md": [],
      "in docs/usage.md, not in --help": [],
    });
    // The walk saw the program, not an empty list.
    expect(Object.keys(help)).toEqual(expect.arrayContaining(["", "init", "plan", "issues list", "doctor"]));
  });
});
