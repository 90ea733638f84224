import type { LauncherConfig } from "../../core/config.js";
import { fillWord, placeholderValues, type RemoteLauncher } from "./launcher.js";

// `command`: any engine that can start a process that runs `jig worker` and waits for it — a local shell
// (tests), `kubectl run --attach`, `nomad alloc exec`, a cloud sandbox CLI. The template is an argv array
// (no shell), its placeholders filled per session; the token reaches the command in JIG_TOKEN only.

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
        env: { ...withoutJig(process.env), ...config.env, JIG_TOKEN: request.token },
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
