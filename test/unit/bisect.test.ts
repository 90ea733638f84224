import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bisect } from "../../src/core/landing/gate.js";

// The gate's bisection as a pure function: given a batch of `count` whose prefixes pass up to some
// point, it finds the longest passing prefix and the first bad branch in ~log2(count)+1 gate runs.

function batch(firstBad: number | null) {
  const calls: number[] = [];
  const passes = async (prefix: number) => {
    calls.push(prefix);
    return firstBad === null || prefix <= firstBad;
  };
  return { calls, passes };
}

describe("bisect", () => {
  it("a clean batch costs exactly one gate run, on the whole batch", async () => {
    const { calls, passes } = batch(null);
    expect(await bisect(8, passes)).toEqual({ good: 8, firstBad: null });
    expect(calls).toEqual([8]);
  });

  it("an empty batch runs nothing", async () => {
    const { calls, passes } = batch(null);
    expect(await bisect(0, passes)).toEqual({ good: 0, firstBad: null });
    expect(calls).toEqual([]);
  });

  it("finds the first bad branch: first, middle, last; one of one", async () => {
    expect(await bisect(8, batch(0).passes)).toEqual({ good: 0, firstBad: 0 });
    expect(await bisect(8, batch(5).passes)).toEqual({ good: 5, firstBad: 5 });
    expect(await bisect(8, batch(7).passes)).toEqual({ good: 7, firstBad: 7 });
    expect(await bisect(1, batch(0).passes)).toEqual({ good: 0, firstBad: 0 });
  });

  it("never runs the gate twice on the same prefix, and stays within log2(N)+1 runs (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 200 })
          .chain((count) =>
            fc.tuple(fc.constant(count), fc.option(fc.integer({ min: 0, max: count - 1 }), { nil: null })),
          ),
        async ([count, firstBad]) => {
          const { calls, passes } = batch(firstBad);
          const result = await bisect(count, passes);
          expect(result).toEqual({ good: firstBad ?? count, firstBad });
          expect(new Set(calls).size).toBe(calls.length);
          expect(calls.length).toBeLessThanOrEqual(Math.ceil(Math.log2(count)) + 1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
