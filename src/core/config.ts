// Over 300 lines on purpose: jig.json's whole schema (every field, default and error) in one place,
// the one contract docs/usage.md documents field by field.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { JigError } from "../errors.js";

// jig.json at the repo root: optional, and every field has a working default.
export const AgentBackendSchema = z.object({
  /** `claude` (Claude Code), `codex` (OpenAI Codex CLI), `gemini` (Gemini CLI), `scripted`, or `custom` (a command template). */
  type: z.enum(["claude", "codex", "gemini", "scripted", "custom"]),
  /** For claude/codex/gemini: the binary (default: the type's name). For custom: the command template with {prompt} {mcpConfig} {worktree} {issue} {worker}. */
  command: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  /** codex/gemini: merged over the settings jig writes into the session's own config.toml / settings.json (e.g. a model provider). */
  settings: z.record(z.string(), z.unknown()).optional(),
  /** claude: Claude Code's OS sandbox for the session's Bash (bubblewrap on Linux; off unless true), refusing to start without it. codex: Codex's workspace-write sandbox for workers (on unless false). */
  sandbox: z.boolean().optional(),
});
export type AgentBackendConfig = z.infer<typeof AgentBackendSchema>;

/** A spending limit: dollars and/or tokens (input + output). */
export const BudgetSchema = z
  .object({ usd: z.number().positive().optional(), tokens: z.number().int().positive().optional() })
  .strict();

export const GateSchema = z.object({
  command: z.string().min(1),
  timeoutSeconds: z
    .number()
    .int()
    .positive()
    .max(24 * 3600)
    .default(600),
  /** Variables the gate gets besides a minimal PATH/HOME/locale: it inherits nothing else from jig. */
  env: z.record(z.string(), z.string()).default({}),
});

/** The per-epic event record's bound: the live file rotates past `segmentBytes`; `segments` files are kept. */
export const EventsConfigSchema = z
  .object({
    segmentBytes: z
      .number()
      .int()
      .min(4096)
      .default(4 * 1024 * 1024),
    segments: z.number().int().min(1).max(100).default(8),
  })
  .strict();

/** When `jig ps`, the dashboard and jig://workers raise alarms. */
export const AlarmsConfigSchema = z
  .object({
    /** A running worker with no status change, commit or tool call for this long. */
    silentMinutes: z.number().positive().default(20),
    /** A land queued, or blocked and not retried, for this long. */
    landWaitMinutes: z.number().positive().default(30),
    /** Spend at this fraction of a budget's cap. */
    budgetFraction: z.number().positive().max(1).default(0.8),
  })
  .strict();

/** Limits of `jig serve` over HTTP: sessions cost memory, so a token holder cannot open them without bound. */
export const HttpLimitsSchema = z
  .object({
    maxSessions: z.number().int().min(1).max(100_000).default(256),
    maxSessionsPerIdentity: z.number().int().min(1).max(100_000).default(32),
    /** A session opened (initialize) but never used again is closed after this many seconds. */
    unusedSessionSeconds: z.number().int().min(1).max(3600).default(10),
    /** PEM certificate and key files for HTTPS (relative to the repo root, or absolute); `--tls-cert`/`--tls-key` win. */
    tls: z
      .object({ cert: z.string().min(1), key: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict();

/** A Kubernetes resource quantity ("500m", "2", "4Gi"), as the API accepts it. */
const quantity = z.string().regex(/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/, {
  error: (issue) =>
    `${JSON.stringify(String(issue.input).slice(0, 40))} is not a Kubernetes quantity: write e.g. "500m" or "2" (cpu), "4Gi" (memory)`,
});
const resourceList = z.partialRecord(z.enum(["cpu", "memory", "ephemeral-storage"]), quantity);
/** A DNS-1123 label: what Kubernetes accepts as a namespace or Secret name segment. */
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
  error: (issue) =>
    `${JSON.stringify(String(issue.input).slice(0, 80))} is not a Kubernetes name: lowercase letters, digits and '-', at most 63`,
});

/** The Job `jig k8s-job` renders for a remote worker (docs/usage.md#kubernetes). */
export const KubernetesSchema = z
  .object({
    /** The container image: jig, git and the agent's CLI on PATH. */
    image: z.string().min(1),
    namespace: dnsLabel.optional(),
    /** How the image runs jig (`jig worker …` arguments follow). */
    command: z.array(z.string().min(1)).min(1).default(["jig"]),
    imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
    resources: z
      .object({ requests: resourceList.optional(), limits: resourceList.optional() })
      .strict()
      .optional(),
    serviceAccountName: dnsLabel.optional(),
    /** Existing Secrets whose keys become the worker's environment (e.g. the agent's API key). */
    envFromSecrets: z.array(dnsLabel).default([]),
    /** Plain environment for the worker (not for secrets: JIG_TOKEN is refused, use envFromSecrets). */
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .refine((env) => !("JIG_TOKEN" in env), {
        error: "JIG_TOKEN is set by jig from the worker's own Secret: remove it from kubernetes.env",
      })
      .default({}),
    /** The finished Job (and its pod) is removed after this long. */
    ttlSecondsAfterFinished: z.number().int().min(0).default(3600),
    activeDeadlineSeconds: z.number().int().min(1).optional(),
  })
  .strict();
export type KubernetesConfig = z.infer<typeof KubernetesSchema>;

/** Placeholders a `command` launcher's template may use (docs/usage.md#across-machines). */
export const LAUNCHER_PLACEHOLDERS = [
  "name",
  "task",
  "target",
  "agent",
  "url",
  "remote",
  "tokenFile",
] as const;

const templateWord = z
  .string()
  .min(1)
  .superRefine((word, ctx) => {
    for (const [, name] of word.matchAll(/\{([^{}]*)\}/g)) {
      if (name === "token")
        ctx.addIssue({
          code: "custom",
          message:
            "{token} is not allowed: a token never goes on a command line; the command gets it in the JIG_TOKEN environment variable, or use {tokenFile}",
        });
      else if (!(LAUNCHER_PLACEHOLDERS as readonly string[]).includes(name!))
        ctx.addIssue({
          code: "custom",
          message: `unknown placeholder {${name}}: use ${LAUNCHER_PLACEHOLDERS.map((p) => `{${p}}`).join(" ")}`,
        });
    }
  });

const httpUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    error: (issue) =>
      `${JSON.stringify(String(issue.input).slice(0, 120))} is not an http(s) URL: give the coordinator's MCP endpoint as workers reach it, e.g. https://coordinator:7777/mcp`,
  })
  .refine(
    (value) =>
      !URL.canParse(value) ||
      (!new URL(value).username && !new URL(value).password && !new URL(value).search),
    {
      error:
        "the URL must carry no credentials or query: the worker's token goes in a header, never in a URL",
    },
  );

/** What every launcher that places workers away from this machine shares. */
export const RemoteLauncherBase = {
  /** The coordinator's MCP endpoint (`jig serve` over HTTP) as the workers reach it. */
  url: httpUrl,
  /** The shared git remote as the workers reach it (default: the URL of jig.json's `remote` here). */
  remoteUrl: z.string().min(1).optional(),
};

/** A word ssh passes on: no leading '-' (ssh would read an option), no whitespace or control characters. */
const sshWord = (what: string) =>
  z
    .string()
    .min(1)
    .refine((value) => !value.startsWith("-") && !/[\s\x00-\x1f\x7f]/.test(value), {
      error: (issue) =>
        `${JSON.stringify(String(issue.input).slice(0, 80))} is not a valid ${what}: no leading '-', no spaces`,
    });

/** One host of the `ssh` launcher. */
export const SshHostSchema = z
  .object({
    host: sshWord("host name"),
    user: sshWord("user name").optional(),
    port: z.number().int().min(1).max(65_535).default(22),
    /** Workers this host runs at once; the launcher skips a host at its limit. */
    maxWorkers: z.number().int().min(1).max(256).default(1),
    /** The private key for this host (relative to the repo root, or absolute); else ssh's defaults/agent. */
    identityFile: z.string().min(1).optional(),
    /** How this host runs jig, if not as the launcher's `jig`. */
    jig: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

/**
 * Where worker sessions start: `local` (this machine, a worktree here), or `command` (a template that
 * starts `jig worker` anywhere: kubectl, nomad, a sandbox CLI; it must stay in the foreground while the
 * worker runs). Placement modules add kinds (see orchestrator/launchers/).
 */
export const LauncherSchema = z.discriminatedUnion(
  "kind",
  [
    z.object({ kind: z.literal("local") }).strict(),
    z
      .object({
        kind: z.literal("command"),
        template: z.array(templateWord).min(1),
        /** Extra environment for the command (never the token: jig sets JIG_TOKEN itself). */
        env: z.record(z.string(), z.string()).default({}),
        /** The token on the command's stdin (for `ssh host jig worker … --token-file -`) instead of JIG_TOKEN. */
        tokenOnStdin: z.boolean().default(false),
        ...RemoteLauncherBase,
      })
      .strict(),
    z
      .object({
        kind: z.literal("ssh"),
        hosts: z.array(SshHostSchema).min(1),
        /** The known_hosts file every host's key is checked against (jig never learns a key). */
        knownHosts: z.string().min(1),
        /** How the hosts run jig (`jig worker …` follows). */
        jig: z.array(z.string().min(1)).min(1).default(["jig"]),
        /** Environment for `jig worker` on the host (not for secrets: JIG_TOKEN is jig's). */
        env: z
          .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
          .refine((env) => !("JIG_TOKEN" in env), {
            error: "JIG_TOKEN is sent by jig over the ssh session's stdin: remove it from launcher.env",
          })
          .default({}),
        ...RemoteLauncherBase,
      })
      .strict(),
  ],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `unknown launcher kind ${JSON.stringify((issue.input as { kind?: unknown } | undefined)?.kind ?? null)}: use "local", "command" or "ssh"`
        : undefined,
  },
);
export type LauncherConfig = z.infer<typeof LauncherSchema>;

export const ConfigSchema = z
  .object({
    issuesDir: z
      .string()
      .min(1)
      .refine(
        (dir) => !dir.startsWith("/") && !dir.split(/[\\/]/).includes(".."),
        "must be a relative path inside the repo",
      )
      .default("issues"),
    baseBranch: z.string().min(1).optional(),
    remote: z
      .string()
      .min(1)
      .refine(
        // git would read a leading '-' as an option (`--upload-pack=…` runs a command).
        (name) => !name.startsWith("-") && !/[\s\x00-\x1f\x7f]/.test(name),
        {
          error: (issue) =>
            `${JSON.stringify(String(issue.input).slice(0, 80))} is not a valid remote name: use a configured remote such as 'origin' (no leading '-', no spaces)`,
        },
      )
      .nullable()
      .default(null),
    maxWorkers: z.number().int().min(1).max(64).default(4),
    maxRetries: z.number().int().min(0).max(10).default(1),
    gate: GateSchema.nullable().default(null),
    /** Task or epic ids whose lands may add or change jig's own paths (issues dir, .jig, .mcp.json, jig's skills). */
    allowJigPaths: z.array(z.string().min(1)).default([]),
    agent: z.string().min(1).default("claude"),
    agents: z.record(z.string(), AgentBackendSchema).default({}),
    events: EventsConfigSchema.default(EventsConfigSchema.parse({})),
    alarms: AlarmsConfigSchema.default(AlarmsConfigSchema.parse({})),
    /** Default limits for each task and each epic (`jig budget` sets one task's or epic's). */
    budget: z.object({ task: BudgetSchema.optional(), epic: BudgetSchema.optional() }).strict().optional(),
    http: HttpLimitsSchema.default(HttpLimitsSchema.parse({})),
    kubernetes: KubernetesSchema.optional(),
    /** Where worker sessions start (default: on this machine). */
    launcher: LauncherSchema.default({ kind: "local" }),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.launcher.kind !== "local" && !config.remote)
      ctx.addIssue({
        code: "custom",
        path: ["launcher"],
        message: `a '${config.launcher.kind}' launcher needs the shared git remote: set "remote" (e.g. "origin") — remote workers fetch and push through it`,
      });
  });
export type JigConfig = z.infer<typeof ConfigSchema>;

export const CONFIG_FILE = "jig.json";

/** Reads jig.json from the repo root, or the defaults when there is none. */
export async function loadConfig(root: string): Promise<JigConfig> {
  let text: string;
  try {
    text = await readFile(join(root, CONFIG_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return ConfigSchema.parse({});
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new JigError("INVALID_INPUT", `${CONFIG_FILE}: not valid JSON: ${(error as Error).message}`, {
      hint: "fix the JSON syntax, or delete jig.json to use the defaults",
    });
  }
  const parsed = ConfigSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "(root)";
    throw new JigError("INVALID_INPUT", `${CONFIG_FILE}: field '${field}': ${issue.message}`, {
      hint: "see docs/usage.md#configuration for the fields of jig.json",
      details: { field },
    });
  }
  return parsed.data;
}
