// The page from one snapshot: totals, blocked workers, issue-file problems, each epic with its
// dependency graph and landed commits, the workers table; and the issue side panel.
import { append, clear, h, markdownNode, on, s } from "./dom.js";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "./graph-layout.js";
import { parseMarkdown } from "./markdown.js";
import type { Changes, Epic, Issue, Snapshot, Worker } from "./snapshot.js";

export interface PageElements {
  app: HTMLElement;
  aside: HTMLElement;
  totals: HTMLElement;
}

export interface PageActions {
  /** Open an issue in the side panel. */
  select: (id: string) => void;
  /** Close the side panel. */
  close: () => void;
}

export function ago(iso: string | null): string {
  if (!iso) return "";
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86400)}d ago`;
}

const money = (value: number | null): string => (typeof value === "number" ? `$${value.toFixed(2)}` : "");
const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `ep-03-three` → `03`, for the short "waiting on" list in a graph node. */
function shortId(id: string): string {
  return /-(\d{2})-/.exec(id)?.[1] ?? id;
}

function changes(c: Changes | null): Node | string {
  if (!c) return "—";
  return h("span", null, [
    h("span", { class: "add" }, `+${c.added}`),
    " ",
    h("span", { class: "del" }, `-${c.removed}`),
    ` (${plural(c.files, "file", "files")})`,
  ]);
}

export function renderSnapshot(snap: Snapshot, page: PageElements, actions: PageActions): void {
  const issueButton = (id: string, label?: string) =>
    on(h("button", { class: "link", type: "button", "data-issue": id }, label ?? id), "click", () =>
      actions.select(id),
    );

  clear(page.totals);
  append(page.totals, [
    `${plural(snap.epics.length, "epic", "epics")} · ${plural(snap.workers.length, "worker", "workers")}`,
    snap.blocked.length ? ` · ${snap.blocked.length} blocked` : "",
    snap.costUsd !== null ? ` · ${money(snap.costUsd)}` : "",
  ]);

  const parts: Node[] = [];
  if (snap.blocked.length)
    parts.push(
      h("section", { class: "card blocked-list", id: "blocked" }, [
        h(
          "h2",
          null,
          snap.blocked.length === 1 ? "1 worker is blocked" : `${snap.blocked.length} workers are blocked`,
        ),
        snap.blocked.map((b) =>
          h("div", { class: "blocked-item", "data-worker": b.worker }, [
            h("span", { class: "who" }, b.worker),
            b.issue ? [" on ", issueButton(b.issue)] : null,
            b.updated ? h("span", { class: "muted" }, ` · ${ago(b.updated)}`) : null,
            h("div", { class: "msg" }, b.message || "(no message)"),
          ]),
        ),
      ]),
    );
  if (snap.problems.length)
    parts.push(
      h("section", { class: "card problems" }, [
        h("h2", null, "Issue files with problems"),
        h(
          "ul",
          null,
          snap.problems.map((p) => h("li", null, `${p.file}${p.field ? ` (${p.field})` : ""}: ${p.message}`)),
        ),
      ]),
    );
  if (!snap.epics.length)
    parts.push(
      h(
        "section",
        { class: "card" },
        h("p", { class: "muted" }, "No epics yet: write issues/<epic>.md and run jig plan."),
      ),
    );
  for (const epic of snap.epics) parts.push(renderEpic(epic, issueButton, actions));
  parts.push(renderWorkers(snap.workers, issueButton));

  const scroll = window.scrollY;
  clear(page.app);
  append(page.app, parts);
  window.scrollTo(0, scroll);
}

type IssueButton = (id: string, label?: string) => HTMLButtonElement;

function renderEpic(epic: Epic, issueButton: IssueButton, actions: PageActions): HTMLElement {
  const head = h("div", { class: "epic-head" }, [
    h("h2", null, [issueButton(epic.id, epic.title)]),
    epic.target ? h("span", { class: "meta" }, `${epic.target} ← ${epic.base}`) : null,
    h("span", { class: "meta" }, `${epic.complete}/${epic.total} complete`),
    epic.diff ? h("span", { class: "meta" }, changes(epic.diff)) : null,
    epic.costUsd !== null ? h("span", { class: "meta" }, money(epic.costUsd)) : null,
  ]);
  const body: Node[] = [];
  if (epic.error) body.push(h("p", { class: "conflict" }, epic.error));
  if (epic.subtasks.length) {
    body.push(
      h(
        "div",
        { class: "legend" },
        ["complete", "running", "ready", "waiting", "blocked"].map((name) =>
          h("span", { class: `badge ${name}` }, name),
        ),
      ),
    );
    body.push(h("div", { class: "graph-wrap" }, graph(epic, actions)));
  } else if (!epic.error) {
    body.push(h("p", { class: "muted" }, "Not planned yet (no subtasks)."));
  }
  body.push(h("h3", null, `Landed on ${epic.target || "the target"} (${epic.landed.length})`));
  body.push(
    epic.landed.length
      ? h(
          "ol",
          { class: "commits" },
          epic.landed.map((c) =>
            h("li", null, [
              h("code", null, c.sha.slice(0, 8)),
              c.subject,
              h("span", { class: "muted" }, ` — ${c.author}, ${ago(c.date)}`),
            ]),
          ),
        )
      : h(
          "p",
          { class: "muted" },
          epic.targetExists ? "Nothing landed yet." : "The target branch does not exist yet.",
        ),
  );
  return h("section", { class: "card epic", "data-epic": epic.id }, [head, ...body]);
}

function graph(epic: Epic, actions: PageActions): SVGSVGElement {
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
    on(node, "click", () => actions.select(t.id));
    on(node, "keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      actions.select(t.id);
    });
    svg.appendChild(node);
  }
  return svg;
}

function renderWorkers(workers: Worker[], issueButton: IssueButton): HTMLElement {
  const section = h("section", { class: "card", id: "workers" }, h("h2", null, "Workers"));
  if (!workers.length) {
    section.appendChild(h("p", { class: "muted" }, "No workers."));
    return section;
  }
  const head = h(
    "tr",
    null,
    ["Worker", "Status", "Issue", "Changes", "Cost", "Last message", "Conflicts"].map((t) =>
      h("th", null, t),
    ),
  );
  const rows = workers.map((w) => {
    const status: (Node | string)[] = [h("span", { class: `badge ${w.status}` }, w.status)];
    if (w.landing && w.landing.state !== "landed")
      status.push(` ${w.landing.state}${w.landing.position !== null ? ` #${w.landing.position}` : ""}`);
    if (w.attempt > 1) status.push(h("span", { class: "muted" }, ` try ${w.attempt}`));
    return h("tr", { "data-worker": w.name }, [
      h("td", null, [w.name, h("div", { class: "muted" }, `${w.agent} · ${ago(w.started)}`)]),
      h("td", { class: "status" }, status),
      h("td", null, w.issue ? issueButton(w.issue) : w.kind === "adhoc" ? "(ad-hoc)" : "—"),
      h("td", { class: "num" }, changes(w.changes)),
      h("td", { class: "num" }, money(w.costUsd)),
      h("td", { class: "msg" }, [
        w.message || "",
        w.exit && w.status !== "done" ? h("div", { class: "muted" }, `session ended: ${w.exit}`) : null,
        w.updated ? h("div", { class: "muted" }, ago(w.updated)) : null,
      ]),
      h(
        "td",
        { class: "conflict" },
        w.conflicts.map((c) => h("div", null, `would conflict with ${c.with}: ${c.files.join(", ")}`)),
      ),
    ]);
  });
  section.appendChild(h("table", null, [h("thead", null, head), h("tbody", null, rows)]));
  return section;
}

/** Marks the selected subtask in every graph. */
export function markSelected(selected: string | null): void {
  for (const node of document.querySelectorAll("svg.graph .node"))
    node.classList.toggle("selected", node.getAttribute("data-id") === selected);
}

function panelHead(title: string, actions: PageActions): Node[] {
  return [
    on(h("button", { class: "link close", type: "button" }, "close"), "click", actions.close),
    h("h2", { class: "issue-title" }, title),
  ];
}

export function showIssue(issue: Issue, page: PageElements, actions: PageActions): void {
  const meta = [issue.id, `status: ${issue.status}`];
  if (issue.assigned) meta.push(`assigned: ${issue.assigned}`);
  if (issue.depends.length) meta.push(`depends: ${issue.depends.join(", ")}`);
  clear(page.aside);
  append(page.aside, [
    panelHead(issue.title, actions),
    h("div", { class: "meta" }, meta.join(" · ")),
    markdownNode(parseMarkdown(issue.body)),
  ]);
  page.aside.setAttribute("data-issue", issue.id);
  page.aside.hidden = false;
}

export function showIssueError(id: string, message: string, page: PageElements, actions: PageActions): void {
  clear(page.aside);
  append(page.aside, [panelHead(id, actions), h("p", { class: "conflict" }, message)]);
  page.aside.hidden = false;
}
