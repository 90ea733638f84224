// The dependency graph of issues: missing ids, cycles, and which tasks are ready to start.

export interface GraphNode {
  id: string;
  status: string;
  depends: readonly string[];
  /** A planned task already given to a worker is not ready for another. */
  assigned?: string | null;
}

/** Nodes by id: a Map, or a snapshot's index of its issue array (issue-store.ts keeps one per shape). */
export interface ById<T> {
  get(id: string): T | undefined;
}

export interface GraphProblem {
  id: string;
  field: "depends";
  message: string;
}

/** Every dependency that names no issue, and every cycle (each reported once, as a path). */
export function checkGraph(nodes: readonly GraphNode[]): GraphProblem[] {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const problems: GraphProblem[] = [];
  for (const node of nodes) {
    for (const dep of node.depends) {
      if (!byId.has(dep)) {
        problems.push({
          id: node.id,
          field: "depends",
          message: `depends on '${dep}', which does not exist`,
        });
      }
    }
  }
  for (const cycle of findCycles(nodes)) {
    problems.push({ id: cycle[0]!, field: "depends", message: `dependency cycle: ${cycle.join(" → ")}` });
  }
  return problems;
}

/** Cycles as id paths that start and end on the same id; iterative so deep chains cannot overflow the stack. */
export function findCycles(nodes: readonly GraphNode[]): string[][] {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[][] = [];
  for (const start of nodes) {
    if (state.has(start.id)) continue;
    const stack: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    const path: string[] = [start.id];
    state.set(start.id, "visiting");
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = byId.get(top.id)?.depends ?? [];
      if (top.next >= deps.length) {
        state.set(top.id, "done");
        stack.pop();
        path.pop();
        continue;
      }
      const dep = deps[top.next++]!;
      if (!byId.has(dep)) continue;
      const seen = state.get(dep);
      if (seen === "visiting") {
        cycles.push([...path.slice(path.indexOf(dep)), dep]);
      } else if (seen === undefined) {
        state.set(dep, "visiting");
        stack.push({ id: dep, next: 0 });
        path.push(dep);
      }
    }
  }
  return cycles;
}

/** The dependencies of a node that are not complete yet. */
export function waitingOn(node: GraphNode, byId: ById<GraphNode>): string[] {
  return node.depends.filter((dep) => byId.get(dep)?.status !== "complete");
}

/** A planned, unassigned node whose dependencies are all complete. */
export function isReady(node: GraphNode, byId: ById<GraphNode>): boolean {
  return node.status === "planned" && !node.assigned && waitingOn(node, byId).length === 0;
}

export function readySet<T extends GraphNode>(nodes: readonly T[]): T[] {
  const byId = new Map<string, GraphNode>(nodes.map((node) => [node.id, node]));
  return nodes.filter((node) => isReady(node, byId));
}
