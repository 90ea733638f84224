// The page from one snapshot: alarms on top, totals, blocked workers, issue-file problems, each epic with
// its spend against budget, dependency graph (graph-view.ts), timeline (timeline-view.ts) and landed
// commits, the workers table. The side panel: issue-panel.ts.
import { append, clear, h, on, s } from "./dom.js";
import { graphView } from "./graph-view.js";
import type { Alarm, Changes, Epic, Snapshot, Spend, Worker } from "./snapshot.js";
import { timelineView } from "./timeline-view.js";

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
    snap.alarms.length ? ` · ${plural(snap.alarms.length, "alarm", "alarms")}` : "",
    snap.costUsd !== null ? ` · ${money(snap.costUsd)}` : "",
  ]);

  const parts: Node[] = [];
  if (snap.alarms.length) parts.push(renderAlarms(snap.alarms));
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

const ALARM_TITLES: Record<string, string> = {
  "session-died": "session died",
  "land-blocked": "land refused",
  "land-queued": "land waiting",
  silent: "silent",
  budget: "budget",
};

function renderAlarms(alarms: Alarm[]): HTMLElement {
  return h("section", { class: "card alarms", id: "alarms", role: "alert" }, [
    h("h2", null, alarms.length === 1 ? "1 alarm" : `${alarms.length} alarms`),
    alarms.map((a) =>
      h("div", { class: "alarm", "data-kind": a.kind, "data-worker": a.worker }, [
        h("span", { class: "badge blocked" }, ALARM_TITLES[a.kind] ?? a.kind),
        " ",
        a.message,
        a.since ? h("span", { class: "muted" }, ` · since ${ago(a.since)}`) : null,
      ]),
    ),
  ]);
}

const METER_WIDTH = 160;

/** Spend against the epic's budget: "$1.20 of $5.00" with a meter, or just the spend without a limit. */
function spendView(spend: Spend): HTMLElement {
  const text: string[] = [];
  if (spend.limitUsd !== null) text.push(`${money(spend.usd)} of ${money(spend.limitUsd)}`);
  if (spend.limitTokens !== null) text.push(`${tokens(spend.tokens)} of ${tokens(spend.limitTokens)} tokens`);
  if (!text.length)
    text.push(
      spend.usd || spend.tokens
        ? `${money(spend.usd)}, ${tokens(spend.tokens)} tokens · no budget`
        : "none reported · no budget",
    );
  const fraction = spend.fraction;
  return h(
    "span",
    {
      class: `meta spend${spend.reached ? " reached" : fraction !== null && fraction >= 0.8 ? " near" : ""}`,
      "data-fraction": fraction === null ? null : fraction.toFixed(3),
    },
    [
      "spend ",
      fraction !== null
        ? s("svg", { class: "meter", width: METER_WIDTH, height: 10, viewBox: `0 0 ${METER_WIDTH} 10` }, [
            s("rect", { class: "track", x: 0, y: 0, width: METER_WIDTH, height: 10 }),
            s("rect", {
              class: "fill",
              x: 0,
              y: 0,
              width: (Math.min(1, fraction) * METER_WIDTH).toFixed(1),
              height: 10,
            }),
          ])
        : null,
      ` ${text.join(", ")}${spend.reached ? " — budget reached" : ""}`,
    ],
  );
}

const tokens = (n: number): string =>
  n >= 1e6 ? `${+(n / 1e6).toFixed(2)}m` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(n);

function renderEpic(epic: Epic, issueButton: IssueButton, actions: PageActions): HTMLElement {
  const head = h("div", { class: "epic-head" }, [
    h("h2", null, [issueButton(epic.id, epic.title)]),
    epic.target ? h("span", { class: "meta" }, `${epic.target} ← ${epic.base}`) : null,
    h("span", { class: "meta" }, `${epic.complete}/${epic.total} complete`),
    epic.diff ? h("span", { class: "meta" }, changes(epic.diff)) : null,
    spendView(epic.spend),
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
    body.push(h("div", { class: "graph-wrap" }, graphView(epic, actions.select)));
  } else if (!epic.error) {
    body.push(h("p", { class: "muted" }, "Not planned yet (no subtasks)."));
  }
  if (epic.timeline) {
    body.push(h("h3", null, "Timeline"));
    body.push(timelineView(epic.timeline, issueButton));
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
