// One finding of `jig doctor` (and of the blockers `jig plan`/`jig run` check): what was checked, and
// when it is wrong, what is wrong and the one thing to do about it.

export interface Check {
  id: string;
  ok: boolean;
  /** A failed blocker stops `jig plan`/`jig run` (and makes `jig doctor` exit 1); the rest are warnings. */
  blocker: boolean;
  /** What was checked, or what was found. */
  title: string;
  /** When not ok: what is wrong. */
  problem?: string;
  /** When not ok: what to do. */
  fix?: string;
}

export const ok = (id: string, title: string): Check => ({ id, ok: true, blocker: false, title });
export const bad = (id: string, blocker: boolean, title: string, problem: string, fix: string): Check => ({
  id,
  ok: false,
  blocker,
  title,
  problem,
  fix,
});
