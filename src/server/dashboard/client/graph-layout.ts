// Where each subtask of an epic sits in the dependency graph: columns by dependency depth, and within a
// column the order of where its dependencies sit (fewer crossings). Pure numbers and SVG path strings,
// unit-tested without a browser; render.ts draws them.

export const NODE_WIDTH = 210;
export const NODE_HEIGHT = 46;
export const COLUMN_WIDTH = 250;
export const ROW_HEIGHT = 62;
export const PADDING = 12;

export interface LayoutTask {
  id: string;
  /** Longest chain of dependencies below the task inside the epic (from the server): its column. */
  depth: number;
  depends: readonly string[];
  complete: boolean;
}

export interface PlacedNode {
  id: string;
  x: number;
  y: number;
  column: number;
  row: number;
}

export interface Edge {
  from: string;
  to: string;
  /** A cubic curve from the right edge of `from` to the left edge of `to`. */
  path: string;
  /** The dependency is not complete yet (drawn dashed). */
  pending: boolean;
}

export interface GraphLayout {
  width: number;
  height: number;
  /** In the order of the input. */
  nodes: PlacedNode[];
  edges: Edge[];
}

export function layoutGraph(tasks: readonly LayoutTask[]): GraphLayout {
  const columns: LayoutTask[][] = [];
  for (const task of tasks) {
    const column = Math.max(0, Math.floor(task.depth));
    const tasksInColumn = columns[column] ?? [];
    tasksInColumn.push(task);
    columns[column] = tasksInColumn;
  }
  const placed = new Map<string, PlacedNode>();
  let rows = 0;
  columns.forEach((column, depth) => {
    const keyed = column.map((task, index) => {
      const rowsOfDeps = task.depends.flatMap((dep) => {
        const node = placed.get(dep);
        return node ? [node.row] : [];
      });
      const key = rowsOfDeps.length ? rowsOfDeps.reduce((a, b) => a + b, 0) / rowsOfDeps.length : index;
      return { task, key, index };
    });
    keyed.sort((a, b) => a.key - b.key || a.index - b.index);
    keyed.forEach(({ task }, row) => {
      placed.set(task.id, {
        id: task.id,
        x: PADDING + depth * COLUMN_WIDTH,
        y: PADDING + row * ROW_HEIGHT,
        column: depth,
        row,
      });
    });
    rows = Math.max(rows, column.length);
  });

  const complete = new Set(tasks.filter((task) => task.complete).map((task) => task.id));
  const edges: Edge[] = [];
  for (const task of tasks) {
    const to = placed.get(task.id);
    for (const dep of task.depends) {
      const from = placed.get(dep);
      if (!from || !to) continue;
      const x1 = from.x + NODE_WIDTH;
      const y1 = from.y + NODE_HEIGHT / 2;
      const x2 = to.x - 2;
      const y2 = to.y + NODE_HEIGHT / 2;
      const mid = (x1 + x2) / 2;
      edges.push({
        from: dep,
        to: task.id,
        path: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
        pending: !complete.has(dep),
      });
    }
  }
  return {
    width: PADDING * 2 + Math.max(0, columns.length - 1) * COLUMN_WIDTH + NODE_WIDTH,
    height: PADDING * 2 + Math.max(0, rows - 1) * ROW_HEIGHT + NODE_HEIGHT,
    nodes: tasks.map((task) => placed.get(task.id)).filter((node): node is PlacedNode => node !== undefined),
    edges,
  };
}
