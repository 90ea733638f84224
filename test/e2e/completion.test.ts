// Shell completion for real: the script `jig completion bash` prints, sourced into bash with the
// bash-completion package, completes commands, flags, epic and worker names by calling jig itself.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_ENTRY } from "../../src/version.js";
import { gitRepo, issueFile, tempDir, testEnv } from "../helpers/repo.js";

const BASH_COMPLETION = "/usr/share/bash-completion/bash_completion";

function jig(cwd: string, args: string[]) {
  return spawnSync(process.execPath, [CLI_ENTRY, ...args], {
    cwd,
    env: { ...process.env, ...testEnv },
    encoding: "utf8",
    timeout: 60_000,
  });
}

/** The words bash offers for `line` (the cursor at its end), through the completion function jig installed. */
function completeInBash(cwd: string, script: string, line: string): string[] {
  const bin = tempDir("jig-bin-");
  writeFileSync(join(bin, "jig"), `#!/bin/sh\nexec "${process.execPath}" "${CLI_ENTRY}" "$@"\n`, {
    mode: 0o755,
  });
  const program = `
source ${BASH_COMPLETION}
source ${script}
fn=$(complete -p jig | sed -E 's/.*-F ([^ ]+).*/\\1/')
COMP_LINE="$LINE"; COMP_POINT=\${#COMP_LINE}
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
COMPREPLY=()
"$fn" jig "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
printf '%s\\n' "\${COMPREPLY[@]}"
`;
  const result = spawnSync("bash", ["-c", program], {
    cwd,
    env: { ...process.env, ...testEnv, PATH: `${bin}:${process.env.PATH}`, LINE: line },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split("\n").filter(Boolean);
}

describe("jig completion", () => {
  it("prints a script for bash, zsh and fish that asks jig for its completions; refuses another shell", () => {
    const cwd = tempDir();
    for (const shell of ["bash", "zsh", "fish"]) {
      const result = jig(cwd, ["completion", shell]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain("jig complete --");
    }
    expect(jig(cwd, ["completion", "tcsh"]).status).toBe(2);
  });

  it.skipIf(!existsSync(BASH_COMPLETION))(
    "bash completes a command, a flag, an epic name and a worker name (skipped: no bash-completion package)",
    () => {
      const root = gitRepo({
        "README.md": "# r\n",
        "issues/feature-auth.md": issueFile({ target: "feature/auth" }, "# Auth\n"),
        "issues/feature-auth-01-jwt.md": issueFile({ epic: "feature-auth" }, "# JWT\n"),
        "issues/billing.md": issueFile({}, "# Billing\n"),
      });
      mkdirSync(join(root, ".jig", "workers"), { recursive: true });
      writeFileSync(join(root, ".jig", "workers", "feature-auth-01-jwt.json"), "{}");
      const script = join(tempDir(), "jig.bash");
      writeFileSync(script, jig(root, ["completion", "bash"]).stdout);

      expect(completeInBash(root, script, "jig sta")).toContain("status");
      expect(completeInBash(root, script, "jig do")).toEqual(["doctor"]);
      expect(completeInBash(root, script, "jig ps --e")).toEqual(["--epic"]);
      // Epics only: the subtask is not offered where an epic is expected.
      expect(completeInBash(root, script, "jig status ").sort()).toEqual(["billing", "feature-auth"]);
      expect(completeInBash(root, script, "jig run fea")).toEqual(["feature-auth"]);
      expect(completeInBash(root, script, "jig ps --epic bi")).toEqual(["billing"]);
      expect(completeInBash(root, script, "jig logs ")).toEqual(["feature-auth-01-jwt"]);
      expect(completeInBash(root, script, "jig issues show feature-auth-")).toEqual(["feature-auth-01-jwt"]);
      // From a subdirectory: the same repository's names.
      mkdirSync(join(root, "src"));
      expect(completeInBash(join(root, "src"), script, "jig status b")).toEqual(["billing"]);
    },
  );
});
