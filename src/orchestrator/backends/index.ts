import type { AgentBackendConfig, JigConfig } from "../../core/config.js";
import { JigError } from "../../errors.js";
import type { AgentBackend } from "./backend.js";
import { claudeBackend } from "./claude.js";
import { codexBackend } from "./codex.js";
import { customBackend } from "./custom.js";
import { geminiBackend } from "./gemini.js";
import { scriptedBackend } from "./scripted.js";

const BY_TYPE: Record<AgentBackendConfig["type"], AgentBackend> = {
  claude: claudeBackend,
  codex: codexBackend,
  gemini: geminiBackend,
  scripted: scriptedBackend,
  custom: customBackend,
};

const BUILT_IN = ["claude", "codex", "gemini", "scripted"] as const;
const isBuiltIn = (name: string): name is (typeof BUILT_IN)[number] =>
  (BUILT_IN as readonly string[]).includes(name);

/** The backend that launched a session and reads its output. */
export const backendOf = (type: AgentBackendConfig["type"]): AgentBackend => BY_TYPE[type];

/** Resolves an agent name (`claude`, `codex`, `gemini`, `scripted`, or a name from jig.json `agents`) to its backend and config. */
export function resolveAgent(
  config: JigConfig,
  name?: string,
): { name: string; backend: AgentBackend; config: AgentBackendConfig } {
  const wanted = name ?? config.agent;
  const configured = config.agents[wanted];
  if (configured) return { name: wanted, backend: BY_TYPE[configured.type], config: configured };
  if (isBuiltIn(wanted))
    return { name: wanted, backend: BY_TYPE[wanted], config: { type: wanted, args: [], env: {} } };
  throw new JigError("INVALID_INPUT", `unknown agent '${wanted}'`, {
    hint: `use ${BUILT_IN.join(", ")}${Object.keys(config.agents).length ? `, or one of ${Object.keys(config.agents).join(", ")}` : ', or define it under "agents" in jig.json'}`,
  });
}
