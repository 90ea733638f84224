import { initRepo } from "../orchestrator/setup.js";
import type { CommandIO, CommandOutput } from "./output.js";

// `jig init`: what a repo needs for jig (orchestrator/setup.ts), and what it wrote or left alone.

export async function run(args: { example?: boolean; npx?: boolean }, io: CommandIO): Promise<CommandOutput> {
  const { root, done, kept } = await initRepo(io.cwd, args);
  const lines = [
    done.length === 0 ? `jig is already set up in ${root}` : `jig set up in ${root}:`,
    ...done.map((line) => `  • ${line}`),
    ...(kept.length > 0 ? ["left alone:", ...kept.map((line) => `  • ${line}`)] : []),
  ];
  return { text: lines.join("\n"), json: { root, done, kept } };
}
