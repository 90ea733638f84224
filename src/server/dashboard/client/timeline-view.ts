// An epic's timeline (timeline-layout.ts) as a table: the task, its bars in a small SVG, its figures.
import { h, s } from "./dom.js";
import type { Timeline } from "./snapshot.js";
import { duration, layoutTimeline } from "./timeline-layout.js";

export const BAR_WIDTH = 520;
const BAR_HEIGHT = 14;

export function timelineView(
  timeline: Timeline,
  issueButton: (id: string, label?: string) => HTMLButtonElement,
): HTMLElement {
  const rows = layoutTimeline(timeline).map((row) => {
    const svg = s(
      "svg",
      { class: "bars", width: BAR_WIDTH, height: BAR_HEIGHT, viewBox: `0 0 ${BAR_WIDTH} ${BAR_HEIGHT}` },
      [
        s("rect", { class: "track", x: 0, y: 0, width: BAR_WIDTH, height: BAR_HEIGHT }),
        row.bars.map((bar) =>
          s("rect", {
            class: `bar ${bar.kind}${bar.kind === "land-wait" && row.state === "blocked" ? " refused" : ""}`,
            "data-kind": bar.kind,
            x: (bar.from * BAR_WIDTH).toFixed(1),
            y: 1,
            width: Math.max(2, (bar.to - bar.from) * BAR_WIDTH).toFixed(1),
            height: BAR_HEIGHT - 2,
          }),
        ),
      ],
    );
    return h("tr", { "data-task": row.task, "data-state": row.state }, [
      h("td", { class: "task" }, issueButton(row.task)),
      h("td", null, svg),
      h("td", { class: "figures" }, row.figures),
    ]);
  });
  const span = Date.parse(timeline.end) - Date.parse(timeline.start);
  return h("div", { class: "timeline" }, [
    h("div", { class: "legend" }, [
      h("span", { class: "key claim-wait" }, "waiting to be claimed"),
      h("span", { class: "key work" }, "working"),
      h("span", { class: "key land-wait" }, "waiting to land"),
      h("span", null, Number.isFinite(span) ? `· ${duration(Math.max(0, span))} since the plan` : null),
    ]),
    h("table", null, h("tbody", null, rows)),
  ]);
}
