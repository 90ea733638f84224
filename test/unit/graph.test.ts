import { describe, expect, it } from "vitest";
import { checkGraph, findCycles, readySet, waitingOn } from "../../src/core/graph.js";

const node = (id: string, depends: string[] = [], status = "planned") => ({ id, depends, status });

describe("dependency graph", () => {
  it("names missing dependencies", () => {
    expect(checkGraph([node("a", ["ghost"])])).toEqual([
      { id: "a", field: "depends", message: "depends on 'ghost', which does not exist" },
    ]);
  });

  it("names each cycle as a path", () => {
    const cycles = findCycles([node("a", ["b"]), node("b", ["c"]), node("c", ["a"]), node("d", ["a"])]);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toEqual(["a", "b", "c", "a"]);
    expect(checkGraph([node("x", ["x2"]), node("x2", ["x"])])[0]?.message).toBe(
      "dependency cycle: x → x2 → x",
    );
  });

  it("handles a 10,000-long chain without recursion", () => {
    const nodes = Array.from({ length: 10_000 }, (_, i) => node(`n${i}`, i === 0 ? [] : [`n${i - 1}`]));
    expect(findCycles(nodes)).toEqual([]);
  });

  it("ready = planned with every dependency complete", () => {
    const nodes = [
      node("a", [], "complete"),
      node("b", ["a"]),
      node("c", ["a", "b"]),
      node("d", [], "in-progress"),
      node("e"),
    ];
    expect(readySet(nodes).map((n) => n.id)).toEqual(["b", "e"]);
    expect(waitingOn(nodes[2]!, new Map(nodes.map((n) => [n.id, n])))).toEqual(["b"]);
  });
});
