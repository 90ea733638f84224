import { describe, expect, it } from "vitest";
import { type Action, authorize } from "../../src/core/authority.js";
import { ADMIN, type Caller } from "../../src/core/identity.js";

// Who may do what: one table, checked for every role and action.
const worker: Caller = { role: "worker", name: "ep-01-a" };
const planner: Caller = { role: "planner", name: "planner-ep", epic: "ep" };
const OWN: Action[] = ["claim", "set_status", "land", "check_conflicts"];
const HUMAN: Action[] = ["spawn", "retry", "unblock", "abandon", "kill", "clean", "merge"];

describe("authorize", () => {
  it("lets the admin do anything, naming the worker where one is needed", () => {
    for (const action of [...HUMAN, "plan" as const]) expect(authorize(ADMIN, action)).toBeNull();
    for (const action of OWN) {
      expect(authorize(ADMIN, action, { worker: "ep-02-b" })).toBe("ep-02-b");
      expect(() => authorize(ADMIN, action)).toThrow(/which worker/);
    }
  });

  it("lets a worker act only on itself, and never take a human's action", () => {
    for (const action of OWN) {
      expect(authorize(worker, action)).toBe("ep-01-a");
      expect(authorize(worker, action, { worker: "ep-01-a" })).toBe("ep-01-a");
      expect(() => authorize(worker, action, { worker: "ep-02-b" })).toThrow(
        /^worker 'ep-01-a' may \w+ only its own .*, not 'ep-02-b's$/,
      );
    }
    for (const action of [...HUMAN, "plan" as const])
      expect(() => authorize(worker, action)).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
  });

  it("lets a planner plan its own epic only", () => {
    expect(authorize(planner, "plan", { epic: "ep" })).toBeNull();
    expect(() => authorize(planner, "plan", { epic: "other" })).toThrow(/may plan epic 'ep', not 'other'/);
    for (const action of [...OWN, ...HUMAN])
      expect(() => authorize(planner, action, { worker: "ep-01-a" })).toThrow(
        expect.objectContaining({ code: "FORBIDDEN" }),
      );
  });
});
