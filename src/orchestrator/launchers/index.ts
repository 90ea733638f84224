import type { LauncherConfig } from "../../core/config.js";
import { commandLauncher } from "./command.js";
import type { RemoteLauncher } from "./launcher.js";
import { sshLauncher } from "./ssh.js";

// The launchers by kind: null for `local` (spawn.ts's own worktree path), else the module that places
// `jig worker`. Adding a kind: its schema in core/config.ts LauncherSchema, its module here.

export function remoteLauncher(config: LauncherConfig): RemoteLauncher | null {
  switch (config.kind) {
    case "local":
      return null;
    case "command":
      return commandLauncher(config);
    case "ssh":
      return sshLauncher(config);
  }
}

export type { RemoteLauncher, WorkerLaunch, WorkerLaunchRequest } from "./launcher.js";
