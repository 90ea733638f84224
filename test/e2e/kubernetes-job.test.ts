import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Job } from "kubernetes-models/batch/v1";
import { Secret } from "kubernetes-models/v1";
import { beforeAll, describe, expect, it } from "vitest";
import { KubernetesSchema } from "../../src/core/config.js";
import { kubernetesName, renderKubernetesJob } from "../../src/orchestrator/launchers/kubernetes-job.js";
import { runCli } from "../helpers/cli.js";
import { gitRepo } from "../helpers/repo.js";

// The Kubernetes recipe's manifests, rendered by the built `jig k8s-job` as a command launcher runs it
// (token in JIG_TOKEN), validated against the Kubernetes schemas shipped by kubernetes-models. No
// cluster is exercised here: what a cluster would do with them is not tested.

const TOKEN = "jig_worker.ZS0wMS1hcGk.s3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3t";
const SECRET_PART = TOKEN.split(".").pop()!;

const SETTINGS = {
  image: "registry.example/jig-worker:1.2",
  namespace: "agents",
  imagePullPolicy: "IfNotPresent",
  resources: { requests: { cpu: "1500m", memory: "3Gi" }, limits: { cpu: "2", memory: "4Gi" } },
  envFromSecrets: ["anthropic-api"],
  env: { CI: "1" },
  activeDeadlineSeconds: 7200,
};

const ARGS = [
  "k8s-job",
  "--name",
  "e-01-api",
  "--task",
  "e-01-api",
  "--target",
  "feature/e",
  "--agent",
  "claude",
  "--url",
  "https://jig.example.internal:7411/mcp",
  "--remote",
  "https://git.example.internal/team/app.git",
];

// biome-ignore lint/suspicious/noExplicitAny: parsed manifests are read deep by path; the schemas check their shape
type Manifest = Record<string, any>;

function render(root: string, env: Record<string, string> = { JIG_TOKEN: TOKEN }, extra: string[] = []) {
  return runCli(root, [...ARGS, ...extra], { env, timeoutMs: 30_000 });
}

describe("jig k8s-job: the Kubernetes Job recipe", () => {
  let root: string;
  let list: { apiVersion: string; kind: string; items: Manifest[] };
  beforeAll(() => {
    root = gitRepo({ "README.md": "x\n", "jig.json": `${JSON.stringify({ kubernetes: SETTINGS })}\n` });
    const out = render(root);
    expect(out.code, out.stderr).toBe(0);
    list = JSON.parse(out.stdout);
  });

  it("renders a Secret and a Job that validate against the Kubernetes schemas", () => {
    expect(list).toMatchObject({ apiVersion: "v1", kind: "List" });
    expect(list.items.map((item) => `${item.apiVersion}/${item.kind}`)).toEqual([
      "v1/Secret",
      "batch/v1/Job",
    ]);
    const [secret, job] = list.items as [Manifest, Manifest];
    expect(() => new Secret(secret as never).validate()).not.toThrow();
    expect(() => new Job(job as never).validate()).not.toThrow();
    // The validator has teeth: the same Job without its container's name, or with a bad quantity, fails.
    const broken = structuredClone(job);
    delete broken.spec.template.spec.containers[0].name;
    expect(() => new Job(broken as never).validate()).toThrow(/must have required property 'name'|name/);
    const badQuantity = structuredClone(job);
    badQuantity.spec.template.spec.containers[0].resources.limits.cpu = "2 cores";
    expect(() => new Job(badQuantity as never).validate()).toThrow(/quantity/);
  });

  it("the token is in the Secret only; the Job reads it through secretKeyRef, never in its command or arguments", () => {
    const [secret, job] = list.items as [Manifest, Manifest];
    expect(secret.stringData).toEqual({ token: TOKEN });
    const container = job.spec.template.spec.containers[0];
    const tokenEnv = container.env.find((e: Manifest) => e.name === "JIG_TOKEN");
    expect(tokenEnv).toEqual({
      name: "JIG_TOKEN",
      valueFrom: { secretKeyRef: { name: secret.metadata.name, key: "token" } },
    });
    expect(Object.keys(secret.stringData)).toContain(tokenEnv.valueFrom.secretKeyRef.key);
    expect(secret.metadata.namespace).toBe(job.metadata.namespace);
    const rendered = JSON.stringify(job);
    expect(rendered).not.toContain(TOKEN);
    expect(rendered).not.toContain(SECRET_PART);
    expect([...container.command, ...container.args].join(" ")).toBe(
      "jig worker --url https://jig.example.internal:7411/mcp --remote https://git.example.internal/team/app.git --task e-01-api --target feature/e --agent claude",
    );
  });

  it("takes the worker's settings from jig.json: image, namespace, resources, secrets for the agent, one attempt", () => {
    const job = list.items[1]!;
    const pod = job.spec.template.spec;
    const container = pod.containers[0];
    expect(job.metadata).toMatchObject({ name: "jig-e-01-api", namespace: "agents" });
    expect(container.image).toBe(SETTINGS.image);
    expect(container.imagePullPolicy).toBe("IfNotPresent");
    expect(container.resources).toEqual(SETTINGS.resources);
    expect(container.envFrom).toEqual([{ secretRef: { name: "anthropic-api" } }]);
    expect(container.env).toContainEqual({ name: "CI", value: "1" });
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 7200,
      ttlSecondsAfterFinished: 3600,
    });
    expect(pod).toMatchObject({ restartPolicy: "Never", automountServiceAccountToken: false });
    expect(job.metadata.labels["jig.dev/worker"]).toBe("e-01-api");
  });

  it("refuses what would leak or cannot work: no JIG_TOKEN, no settings, a bad quantity, a password in a URL, JIG_TOKEN in env", () => {
    const noToken = render(root, { JIG_TOKEN: "" });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain("JIG_TOKEN is not set");
    expect(noToken.stdout).toBe("");

    const bare = gitRepo();
    const noSettings = render(bare);
    expect(noSettings.code).toBe(1);
    expect(noSettings.stderr).toContain("jig.json has no 'kubernetes' section");

    const bad = gitRepo();
    const write = (settings: unknown) =>
      writeFileSync(join(bad, "jig.json"), `${JSON.stringify({ kubernetes: settings })}\n`);
    write({ ...SETTINGS, resources: { limits: { cpu: "2 cores" } } });
    const quantity = render(bad);
    expect(quantity.code).toBe(1);
    expect(quantity.stderr).toContain("'kubernetes.resources.limits.cpu'");
    expect(quantity.stderr).toContain('"2 cores" is not a Kubernetes quantity');

    write({ ...SETTINGS, env: { JIG_TOKEN: "x" } });
    expect(render(bad).stderr).toContain("JIG_TOKEN is set by jig from the worker's own Secret");

    const withPassword = runCli(
      root,
      [...ARGS.slice(0, -1), "https://bot:hunter2@git.example.internal/team/app.git"],
      { env: { JIG_TOKEN: TOKEN }, timeoutMs: 30_000 },
    );
    expect(withPassword.code).toBe(1);
    expect(withPassword.stderr).toContain("the git remote carries a password");
    expect(withPassword.stderr).not.toContain("hunter2");
    expect(withPassword.stdout).toBe("");
  });

  it("names are DNS-1123 and at most 63 characters whatever the worker's name; long names stay distinct", () => {
    const config = KubernetesSchema.parse({ image: "i" });
    const long = `Epic_With.Dots-${"x".repeat(100)}`;
    for (const name of ["e-01-api", "Epic_With.Dots-01-x", long, `${long}y`]) {
      const { job, secret } = renderKubernetesJob(config, {
        name,
        task: name,
        target: "feature/e",
        agent: "claude",
        url: "https://c/mcp",
        remote: "https://g/r.git",
        token: TOKEN,
      });
      for (const manifest of [job, secret] as Manifest[]) {
        expect(manifest.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
        expect(() =>
          (manifest === job ? new Job(job as never) : new Secret(secret as never)).validate(),
        ).not.toThrow();
      }
      const label = (job as Manifest).metadata.labels["jig.dev/worker"];
      expect(label.length).toBeLessThanOrEqual(63);
    }
    expect(kubernetesName(long)).not.toBe(kubernetesName(`${long}y`));
    expect(kubernetesName(long, "-token").endsWith("-token")).toBe(true);
  });
});
