import { JigError } from "../errors.js";
import type { Caller } from "./identity.js";

// Who may cause what: one function every core operation calls with its caller, so a rule lives once.
// Workers act only on themselves; a planner only plans its epic; the admin (a human) may do anything.

export type Action =
  | "plan"
  | "claim"
  | "set_status"
  | "land"
  | "check_conflicts"
  | "spawn"
  | "retry"
  | "unblock"
  | "abandon"
  | "kill"
  | "clean"
  | "merge";

/** Actions a worker may take on itself (and the words its refusal uses). */
const OWN: Partial<Record<Action, string>> = {
  claim: "claim only its own task",
  set_status: "set only its own status",
  land: "land only its own branch",
  check_conflicts: "check only its own branch",
};

const PLANNER_HINT: Partial<Record<Action, string>> = {
  claim: "call plan_epic to write the plan; workers claim the tasks",
};

/**
 * Checks that `caller` may take `action` on `subject`, and returns the worker it concerns: a worker's
 * own name when it omits it, the named one for the admin. Throws FORBIDDEN (or INVALID_INPUT for an
 * admin who named no worker where one is needed).
 */
export function authorize(
  caller: Caller,
  action: Action,
  subject: { worker?: string | null; epic?: string | null } = {},
): string | null {
  if (caller.role === "admin") {
    if (OWN[action] && !subject.worker)
      throw new JigError("INVALID_INPUT", "which worker? pass `worker`", {
        hint: "list_tasks or the jig://workers resource name the workers",
      });
    return subject.worker ?? null;
  }
  if (caller.role === "planner") {
    if (action === "plan") {
      if (subject.epic && subject.epic !== caller.epic)
        throw new JigError(
          "FORBIDDEN",
          `this planner may plan epic '${caller.epic}', not '${subject.epic}'`,
          { hint: `call plan_epic with epic: "${caller.epic}"` },
        );
      return null;
    }
    throw new JigError("FORBIDDEN", `a planner may not ${action.replace("_", " ")}`, {
      hint: PLANNER_HINT[action] ?? "call plan_epic",
    });
  }
  const own = OWN[action];
  if (!own)
    throw new JigError(
      "FORBIDDEN",
      `worker '${caller.name}' may not ${action === "plan" ? "plan epics" : action.replace("_", " ")}`,
      {
        hint:
          action === "plan"
            ? "only the planner session or a human may call plan_epic"
            : "only a human may do that; tell them with set_status",
      },
    );
  if (subject.worker && subject.worker !== caller.name)
    throw new JigError("FORBIDDEN", `worker '${caller.name}' may ${own}, not '${subject.worker}'s`, {
      hint: "omit the worker argument",
    });
  return caller.name;
}
