import { KubernetesSchema } from "../core/config.js";
import { openContext } from "../core/context.js";
import { assertSafeId } from "../core/ids.js";
import { JigError } from "../errors.js";
import { renderKubernetesJob } from "../orchestrator/launchers/kubernetes-job.js";
import type { CommandIO, CommandOutput } from "./output.js";

// `jig k8s-job`: the Secret + Job of one remote worker on stdout, for `kubectl apply -f -` in a
// `command` launcher's template. The token comes from JIG_TOKEN (the launcher sets it), never a flag.

export interface K8sJobArgs {
  name: string;
  task: string;
  target: string;
  agent: string;
  url: string;
  remote: string;
  image?: string;
  namespace?: string;
}

export async function run(args: K8sJobArgs, io: CommandIO): Promise<CommandOutput> {
  const ctx = await openContext({ cwd: io.cwd });
  const settings = ctx.config.kubernetes;
  if (!settings && !args.image)
    throw new JigError("PRECONDITION_FAILED", "jig.json has no 'kubernetes' section", {
      hint: 'add "kubernetes": { "image": "<an image with jig, git and the agent CLI>" } to jig.json (docs/usage.md#kubernetes), or pass --image',
    });
  const parsed = KubernetesSchema.safeParse({
    ...settings,
    ...(args.image ? { image: args.image } : {}),
    ...(args.namespace ? { namespace: args.namespace } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new JigError("INVALID_INPUT", `kubernetes.${issue.path.join(".")}: ${issue.message}`, {
      hint: "fix the flag or jig.json's kubernetes section (docs/usage.md#kubernetes)",
    });
  }
  const config = parsed.data;
  const token = process.env.JIG_TOKEN ?? "";
  if (!token)
    throw new JigError(
      "PRECONDITION_FAILED",
      "JIG_TOKEN is not set: the worker's token comes from the environment",
      {
        hint: "a `command` launcher sets JIG_TOKEN for its template; a token is never taken from a flag",
      },
    );
  const { list } = renderKubernetesJob(config, {
    name: assertSafeId(args.name, "worker name"),
    task: assertSafeId(args.task, "task id"),
    target: args.target,
    agent: args.agent,
    url: args.url,
    remote: args.remote,
    token,
  });
  const text = `${JSON.stringify(list, null, 2)}\n`;
  return { text, json: list };
}
