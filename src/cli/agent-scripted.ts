import { JigError } from "../core/errors.js";
import type { CommandIO, CommandOutput } from "./output.js";

// Placeholder until this command's issue lands; it says so rather than pretending.
export async function run(_args: unknown, _io: CommandIO): Promise<CommandOutput> {
  throw new JigError("NOT_AVAILABLE", "`jig agent-scripted` is not implemented yet", {
    hint: "see the open issues",
  });
}
