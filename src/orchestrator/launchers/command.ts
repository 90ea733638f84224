import type { LauncherConfig } from "../../core/config.js";
import { fillWord, placeholderValues, type RemoteLauncher } from "./launcher.js";

// `command`: any engine that can start a process that runs `jig worker` and waits for it — a local shell
// (tests), `kubectl run --attach`, `nomad alloc exec`, a cloud sandbox CLI. The template is an argv array
// (no shell), its placeholders filled per session; the token reaches the command in JIG_TOKEN, or on its
// stdin with `tokenOnStdin` (ssh passes stdin through, not the environment) — never in argv.

type CommandConfig = Extract<LauncherConfig, { kind: "command" }>;

export function commandLauncher(config: CommandConfig): RemoteLauncher {
  return {
    kind: "command",
    async launch(ctx, request) {
      const values = placeholderValues(request);
      const [command, ...args] = config.template.map((word) => fillWord(word, values));
      return {
        command: command!,
        args,
        env: {
          ...withoutJig(process.env),
          ...config.env,
          ...(config.tokenOnStdin ? {} : { JIG_TOKEN: request.token }),
        },
        ...(config.tokenOnStdin ? { stdin: `${request.token}\n` } : {}),
        cwd: ctx.paths.root,
      };
    },
  };
}

/** The coordinator's environment without jig's own variables (they name this machine's paths). */
export function withoutJig(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env))
    if (value !== undefined && !key.startsWith("JIG_") && key !== "CLAUDECODE") out[key] = value;
  return out;
}
