import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  COLUMN_WIDTH,
  type LayoutTask,
  layoutGraph,
  NODE_HEIGHT,
  NODE_WIDTH,
  PADDING,
  ROW_HEIGHT,
} from "../../src/server/dashboard/client/graph-layout.js";
import { type MdElement, type MdNode, parseMarkdown } from "../../src/server/dashboard/client/markdown.js";
import type { Issue, Snapshot, TimelineTask } from "../../src/server/dashboard/client/snapshot.js";
import { duration, layoutTimeline } from "../../src/server/dashboard/client/timeline-layout.js";
import type { DashboardIssue, DashboardSnapshot } from "../../src/server/dashboard/snapshot.js";

// The dashboard client's pure parts, without a browser: the Markdown renderer (which must never let an
// issue body become markup) and the graph layout. The Chromium e2e test covers the page as a whole.

const TAGS = new Set([
  "div",
  "p",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "ul",
  "ol",
  "li",
  "pre",
  "code",
  "blockquote",
  "hr",
  "strong",
  "em",
  "a",
]);
const ATTRS = new Set(["class", "href", "rel", "target", "data-lang"]);

function elements(node: MdNode): MdElement[] {
  return typeof node === "string" ? [] : [node, ...node.children.flatMap(elements)];
}
function text(node: MdNode): string {
  return typeof node === "string" ? node : node.children.map(text).join("");
}
/** The tree in a compact form for exact expectations: `tag[attr=value](children)`. */
function show(node: MdNode): string {
  if (typeof node === "string") return JSON.stringify(node);
  const attrs = Object.entries(node.attrs)
    .map(([k, v]) => `[${k}=${v}]`)
    .join("");
  return `${node.tag}${attrs}(${node.children.map(show).join(" ")})`;
}

describe("dashboard markdown", () => {
  it("renders the blocks and inline marks an issue uses", () => {
    const body = [
      "# Objective",
      "Do **one** thing, _well_, with `code` and [a link](https://example.com/x).",
      "",
      "## Acceptance Criteria",
      "- [ ] `npm test` passes",
      "- [x] done already",
      "",
      "1. first",
      "2. second",
      "  continued",
      "",
      "> quoted",
      "> more",
      "",
      "---",
      "```ts",
      "const a = 1 < 2;",
      "```",
    ].join("\n");
    expect(parseMarkdown(body).children.map(show)).toEqual([
      'h2("Objective")',
      'p("Do " strong("one") " thing, " em("well") ", with " code("code") " and " a[href=https://example.com/x][rel=noopener noreferrer][target=_blank]("a link") ".")',
      'h3("Acceptance Criteria")',
      'ul(li[class=task]("☐ " code("npm test") " passes") li[class=task]("☑ " "done already"))',
      'ol(li("first") li("second" " continued"))',
      'blockquote("quoted" " more")',
      "hr()",
      'pre(code[data-lang=ts]("const a = 1 < 2;"))',
    ]);
  });

  it("keeps raw HTML as text, never as elements", () => {
    const hostile = [
      "<script>window.__pwned = 1</script>",
      '<img src="x" onerror="window.__pwned = 2">',
      '<a href="javascript:alert(1)">click</a>',
      "**<b>bold</b>**",
    ].join("\n");
    const tree = parseMarkdown(hostile);
    expect(elements(tree).map((e) => e.tag)).toEqual(["div", "p", "strong"]);
    expect(text(tree)).toContain("<script>window.__pwned = 1</script>");
    expect(text(tree)).toContain('<img src="x" onerror="window.__pwned = 2">');
    expect(text(tree)).toContain("<b>bold</b>");
  });

  it("makes anchors only of http(s) links; other schemes stay as their text", () => {
    for (const url of [
      "javascript:alert(1)",
      "JavaScript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:msgbox",
      "//evil.example/x",
      "/dashboard/snapshot",
    ]) {
      const tree = parseMarkdown(`see [here](${url}) now`);
      expect(
        elements(tree).map((e) => e.tag),
        url,
      ).toEqual(["div", "p"]);
      expect(text(tree), url).toBe(`see [here](${url}) now`);
    }
    const quoted = parseMarkdown('[x](https://a.example/"onmouseover="alert(1))');
    const anchor = elements(quoted).find((e) => e.tag === "a");
    // The quote stays inside the one href value (set with setAttribute, never parsed as markup).
    expect(anchor?.attrs).toEqual({
      href: 'https://a.example/"onmouseover="alert(1',
      rel: "noopener noreferrer",
      target: "_blank",
    });
  });

  it("produces only its own tags and attributes, and http(s) hrefs, whatever the input", () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "[y](https://ok.example)",
        "```<script>",
        '~~~ "><svg onload=alert(1)>',
        "# ",
        "- [ ] ",
        "> ",
        "**",
        "`",
        "_",
        "\n",
        "\r\n",
        "1. ",
        "  ",
      ),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        for (const element of elements(parseMarkdown(pieces.join("")))) {
          expect(TAGS.has(element.tag), element.tag).toBe(true);
          for (const [name, value] of Object.entries(element.attrs)) {
            expect(ATTRS.has(name), name).toBe(true);
            if (name === "href") expect(value).toMatch(/^https?:\/\//i);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("dashboard graph layout", () => {
  const task = (id: string, depth: number, depends: string[] = [], complete = false): LayoutTask => ({
    id,
    depth,
    depends,
    complete,
  });

  it("puts each task in the column of its depth and sizes the picture to fit", () => {
    const layout = layoutGraph([task("a", 0), task("b", 1, ["a"]), task("c", 2, ["b"])]);
    expect(layout.nodes.map(({ id, x, y }) => ({ id, x, y }))).toEqual([
      { id: "a", x: PADDING, y: PADDING },
      { id: "b", x: PADDING + COLUMN_WIDTH, y: PADDING },
      { id: "c", x: PADDING + 2 * COLUMN_WIDTH, y: PADDING },
    ]);
    expect(layout.width).toBe(2 * PADDING + 2 * COLUMN_WIDTH + NODE_WIDTH);
    expect(layout.height).toBe(2 * PADDING + NODE_HEIGHT);
  });

  it("orders a column by where the dependencies sit, so edges cross less", () => {
    const layout = layoutGraph([
      task("a", 0),
      task("b", 0),
      task("x", 1, ["b"]),
      task("y", 1, ["a"]),
      task("z", 2, ["x", "y"]),
    ]);
    const row = (id: string) => layout.nodes.find((n) => n.id === id)?.row;
    expect([row("a"), row("b")]).toEqual([0, 1]);
    // y waits on a (row 0), x on b (row 1): y goes above x although x came first.
    expect([row("y"), row("x")]).toEqual([0, 1]);
    expect(row("z")).toBe(0);
    expect(layout.height).toBe(2 * PADDING + ROW_HEIGHT + NODE_HEIGHT);
  });

  it("draws an edge per dependency inside the epic, dashed until the dependency is complete", () => {
    const layout = layoutGraph([task("a", 0, [], true), task("b", 0), task("c", 1, ["a", "b", "elsewhere"])]);
    expect(layout.edges.map(({ from, to, pending }) => ({ from, to, pending }))).toEqual([
      { from: "a", to: "c", pending: false },
      { from: "b", to: "c", pending: true },
    ]);
    const x1 = PADDING + NODE_WIDTH;
    const y1 = PADDING + NODE_HEIGHT / 2;
    const x2 = PADDING + COLUMN_WIDTH - 2;
    const mid = (x1 + x2) / 2;
    expect(layout.edges[0]?.path).toBe(`M${x1},${y1} C${mid},${y1} ${mid},${y1} ${x2},${y1}`);
  });

  it("leaves an empty column where no task has that depth", () => {
    const layout = layoutGraph([task("a", 0), task("far", 2, ["a"])]);
    expect(layout.nodes.find((n) => n.id === "far")?.x).toBe(PADDING + 2 * COLUMN_WIDTH);
    expect(layout.width).toBe(2 * PADDING + 2 * COLUMN_WIDTH + NODE_WIDTH);
  });
});

describe("dashboard wire types", () => {
  it("the server's snapshot and issue satisfy what the page reads (checked by npm run typecheck)", () => {
    expectTypeOf<DashboardSnapshot>().toExtend<Snapshot>();
    expectTypeOf<DashboardIssue>().toExtend<Issue>();
  });
});

describe("dashboard timeline layout", () => {
  const task = (over: Partial<TimelineTask>): TimelineTask => ({
    task: "ep-01-one",
    state: "planned",
    readyAt: null,
    claimedAt: null,
    queuedAt: null,
    landedAt: null,
    toClaimMs: null,
    workingMs: null,
    landWaitMs: null,
    retries: 0,
    costUsd: null,
    ...over,
  });
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

  it("places wait → work → land-wait as fractions between the plan and the end", () => {
    const rows = layoutTimeline({
      start: t(0),
      end: t(100),
      tasks: [
        task({
          state: "landed",
          readyAt: t(0),
          claimedAt: t(10),
          queuedAt: t(60),
          landedAt: t(75),
          toClaimMs: 10_000,
          workingMs: 50_000,
          landWaitMs: 15_000,
          retries: 1,
          costUsd: 0.5,
        }),
        task({
          task: "ep-02-two",
          state: "claimed",
          readyAt: t(75),
          claimedAt: t(80),
          toClaimMs: 5000,
          workingMs: 20_000,
        }),
        task({
          task: "ep-03-three",
          state: "blocked",
          readyAt: t(0),
          claimedAt: t(0),
          queuedAt: t(90),
          toClaimMs: 0,
          workingMs: 90_000,
          landWaitMs: 10_000,
        }),
        task({ task: "ep-04-four" }),
      ],
    });
    expect(rows[0]).toEqual({
      task: "ep-01-one",
      state: "landed",
      bars: [
        { kind: "claim-wait", from: 0, to: 0.1 },
        { kind: "work", from: 0.1, to: 0.6 },
        { kind: "land-wait", from: 0.6, to: 0.75 },
      ],
      figures: "waited 10s · worked 50s · landed after 15s · 1 retry · $0.50",
    });
    // Still working: its bar runs to the end.
    expect(rows[1]!.bars).toEqual([
      { kind: "claim-wait", from: 0.75, to: 0.8 },
      { kind: "work", from: 0.8, to: 1 },
    ]);
    expect(rows[1]!.figures).toBe("waited 5.0s · working 20s");
    expect(rows[2]!.figures).toBe("waited 0.0s · worked 1m 30s · land refused after 10s");
    expect(rows[3]).toMatchObject({ bars: [], figures: "waiting on its dependencies" });
  });

  it("keeps every bar inside [0, 1] whatever the times", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: null }), {
          minLength: 4,
          maxLength: 4,
        }),
        fc.integer({ min: 0, max: 500 }),
        ([ready, claimed, queued, landed], end) => {
          const at = (s: number | null | undefined) => (s == null ? null : t(s));
          const [row] = layoutTimeline({
            start: t(0),
            end: t(end),
            tasks: [
              task({
                readyAt: at(ready),
                claimedAt: at(claimed),
                queuedAt: at(queued),
                landedAt: at(landed),
              }),
            ],
          });
          for (const bar of row!.bars) {
            expect(bar.from).toBeGreaterThanOrEqual(0);
            expect(bar.to).toBeLessThanOrEqual(1);
            expect(bar.to).toBeGreaterThanOrEqual(bar.from);
          }
        },
      ),
    );
  });

  it("writes durations short", () => {
    expect([860, 12_000, 184_000, 3_720_000, 60_000].map(duration)).toEqual([
      "0.9s",
      "12s",
      "3m 4s",
      "1h 2m",
      "1m",
    ]);
  });
});
