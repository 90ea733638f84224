import type { AgentBackendConfig, JigConfig } from "../../core/config.js";
import { JigError } from "../../errors.js";
import type { AgentBackend } from "./backend.js";
import { claudeBackend } from "./claude.js";
import { customBackend } from "./custom.js";
import { scriptedBackend } from "./scripted.js";

const BY_TYPE: Record<AgentBackendConfig["type"], AgentBackend> = {
  claude: claudeBackend,
  scripted: scriptedBackend,
  custom: customBackend,
};

/** Resolves an agent name (`claude`, `scripted`, or a name from jig.json `agents`) to its backend and config. */
export function resolveAgent(
  config: JigConfig,
  name?: string,
): { name: string; backend: AgentBackend; config: AgentBackendConfig } {
  const wanted = name ?? config.agent;
  const configured = config.agents[wanted];
  if (configured) return { name: wanted, backend: BY_TYPE[configured.type], config: configured };
  if (wanted === "claude" || wanted === "scripted")
    return { name: wanted, backend: BY_TYPE[wanted], config: { type: wanted, args: [], env: {} } };
  throw new JigError("INVALID_INPUT", `unknown agent '${wanted}'`, {
    hint: `use claude, scripted${Object.keys(config.agents).length ? `, or one of ${Object.keys(config.agents).join(", ")}` : ', or define it under "agents" in jig.json'}`,
  });
}
