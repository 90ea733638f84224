// An epic's dependency graph as SVG: the boxes and edges graph-layout.ts placed, each box a button that
// opens its issue.
import { on, s } from "./dom.js";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "./graph-layout.js";
import type { Epic } from "./snapshot.js";

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `ep-03-three` → `03`, for the short "waiting on" list in a graph node. */
function shortId(id: string): string {
  return /-(\d{2})-/.exec(id)?.[1] ?? id;
}

export function graphView(epic: Epic, select: (id: string) => void): SVGSVGElement {
  const layout = layoutGraph(
    epic.subtasks.map((t) => ({
      id: t.id,
      depth: t.depth,
      depends: t.depends,
      complete: t.status === "complete",
    })),
  );
  const { width, height } = layout;
  const svg = s("svg", {
    class: "graph",
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `dependency graph of ${epic.id}`,
  });
  const markerId = `arrow-${epic.id}`;
  svg.appendChild(
    s(
      "defs",
      null,
      s(
        "marker",
        {
          id: markerId,
          viewBox: "0 0 10 10",
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: "auto-start-reverse",
        },
        s("path", { class: "arrow", d: "M0,0 L10,5 L0,10 z" }),
      ),
    ),
  );
  for (const edge of layout.edges)
    svg.appendChild(
      s("path", {
        class: edge.pending ? "edge pending" : "edge",
        d: edge.path,
        "marker-end": `url(#${markerId})`,
        "data-from": edge.from,
        "data-to": edge.to,
      }),
    );
  const positions = new Map(layout.nodes.map((node) => [node.id, node]));
  for (const t of epic.subtasks) {
    const p = positions.get(t.id);
    if (!p) continue;
    const num = t.number !== null ? `${String(t.number).padStart(2, "0")} · ` : "";
    let detail: string = t.state;
    if (t.state === "waiting") detail += ` on ${t.waitingOn.map(shortId).join(", ")}`;
    else if (t.worker && t.state !== "complete") detail += ` · ${t.worker.status}`;
    else if (t.assigned && t.state !== "complete") detail += ` · ${t.assigned}`;
    const node = s(
      "g",
      {
        class: `node state-${t.state}`,
        "data-id": t.id,
        "data-state": t.state,
        tabindex: 0,
        role: "button",
        transform: `translate(${p.x},${p.y})`,
        "aria-label": `${t.id}: ${t.title} (${t.state})`,
      },
      [
        s(
          "title",
          null,
          `${t.id}\n${t.title}\n${t.state}${t.worker?.message ? `\n${t.worker.message}` : ""}`,
        ),
        s("rect", { width: NODE_WIDTH, height: NODE_HEIGHT }),
        s("text", { class: "label", x: 8, y: 18 }, truncate(num + t.title, 30)),
        s("text", { class: "sub", x: 8, y: 36 }, truncate(detail, 34)),
      ],
    );
    on(node, "click", () => select(t.id));
    on(node, "keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      select(t.id);
    });
    svg.appendChild(node);
  }
  return svg;
}
