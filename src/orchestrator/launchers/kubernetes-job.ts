import { createHash } from "node:crypto";
import type { KubernetesConfig } from "../../core/config.js";
import { JigError } from "../../errors.js";
import { jigWorkerArgs } from "./launcher.js";

// The Kubernetes recipe: one remote worker as a Job plus the Secret holding its token. The token is in
// the Secret only; the Job's container reads it through `secretKeyRef` into JIG_TOKEN, so it is never
// in the Job, its command line or its arguments. Rendered as one `List` that `kubectl apply -f -` takes
// (JSON is YAML). No cluster is exercised by jig's tests: the manifests are validated against the
// Kubernetes schemas (kubernetes-models) instead.

export interface KubernetesWorker {
  /** The worker's name (a task worker's is its task id). */
  name: string;
  task: string;
  /** The branch the task lands on. */
  target: string;
  agent: string;
  /** The coordinator's MCP endpoint as the pod reaches it. */
  url: string;
  /** The shared git remote as the pod reaches it. */
  remote: string;
  token: string;
}

type Json = Record<string, unknown>;

export interface KubernetesManifests {
  secret: Json;
  job: Json;
  /** Both, as one document for `kubectl apply -f -`. */
  list: Json;
}

const MAX_NAME = 63;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;

/**
 * A DNS-1123 name from a worker name (ids allow capitals, '_' and '.', and 120 characters): lowercased,
 * other characters to '-', and past `max` a cut plus a hash of the whole, so two long names never meet.
 */
export function kubernetesName(worker: string, suffix = "", max = MAX_NAME): string {
  const base = `jig-${worker.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}`.replace(/-+/g, "-");
  const whole = `${base}${suffix}`.replace(/-+$/, "");
  if (whole.length <= max) return whole;
  const hash = createHash("sha256").update(worker).digest("hex").slice(0, 8);
  return `${base.slice(0, max - suffix.length - hash.length - 1).replace(/-+$/, "")}-${hash}${suffix}`;
}

/** The Secret and Job for one worker; refuses what would put a credential where a Job shows it. */
export function renderKubernetesJob(config: KubernetesConfig, worker: KubernetesWorker): KubernetesManifests {
  if (worker.token.length === 0)
    throw new JigError("INVALID_INPUT", "the worker's token is empty", {
      hint: "the command launcher passes it in JIG_TOKEN; run this through the launcher, or set JIG_TOKEN",
    });
  for (const [what, value] of [
    ["coordinator URL", worker.url],
    ["git remote", worker.remote],
  ] as const) {
    if (URL.canParse(value) && new URL(value).password)
      throw new JigError("INVALID_INPUT", `the ${what} carries a password: ${redactUrl(value)}`, {
        hint: "a Job's arguments are readable by anyone who can read the Job: give the pod its git credentials through a Secret (kubernetes.envFromSecrets) and a URL without them",
      });
  }
  const jobName = kubernetesName(worker.name);
  const secretName = kubernetesName(worker.name, "-token");
  const workerLabel = LABEL_VALUE.test(worker.name) ? worker.name : jobName;
  const labels = {
    "app.kubernetes.io/name": "jig-worker",
    "app.kubernetes.io/managed-by": "jig",
    "jig.dev/worker": workerLabel,
  };
  const metadata = (name: string) => ({
    name,
    ...(config.namespace ? { namespace: config.namespace } : {}),
    labels,
  });
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata(secretName),
    type: "Opaque",
    stringData: { token: worker.token },
  };
  const env = [
    { name: "JIG_TOKEN", valueFrom: { secretKeyRef: { name: secretName, key: "token" } } },
    ...Object.entries(config.env).map(([name, value]) => ({ name, value })),
  ];
  const container = {
    name: "worker",
    image: config.image,
    ...(config.imagePullPolicy ? { imagePullPolicy: config.imagePullPolicy } : {}),
    command: config.command,
    args: jigWorkerArgs(worker),
    env,
    ...(config.envFromSecrets.length > 0
      ? { envFrom: config.envFromSecrets.map((name) => ({ secretRef: { name } })) }
      : {}),
    ...(config.resources ? { resources: config.resources } : {}),
    securityContext: { allowPrivilegeEscalation: false },
  };
  const job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: metadata(jobName),
    spec: {
      // jig retries a failed session itself (maxRetries); a second pod behind its back would race it.
      backoffLimit: 0,
      ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
      ...(config.activeDeadlineSeconds ? { activeDeadlineSeconds: config.activeDeadlineSeconds } : {}),
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          ...(config.serviceAccountName ? { serviceAccountName: config.serviceAccountName } : {}),
          // The worker talks to jig and git, never to the Kubernetes API.
          automountServiceAccountToken: false,
          containers: [container],
        },
      },
    },
  };
  return { secret, job, list: { apiVersion: "v1", kind: "List", items: [secret, job] } };
}

function redactUrl(value: string): string {
  const url = new URL(value);
  url.password = "***";
  return url.toString();
}
