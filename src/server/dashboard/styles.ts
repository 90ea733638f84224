// The dashboard's stylesheet, served as /dashboard/app.css (the CSP allows no inline styles).
export const DASHBOARD_CSS = `
:root {
  --bg: #f7f7f8; --fg: #1d1d21; --muted: #6b6b76; --card: #fff; --line: #dcdce2;
  --complete: #1f9d55; --running: #2563eb; --waiting: #9ca3af; --ready: #0ea5a4;
  --blocked: #dc2626; --cancelled: #a1a1aa;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
.top { display: flex; gap: 16px; align-items: baseline; padding: 10px 20px; background: #18181b; color: #fafafa; }
.top h1 { font-size: 18px; margin: 0; }
.top .repo { font-weight: 400; color: #a1a1aa; }
.totals { color: #d4d4d8; }
.live { margin-left: auto; font-size: 12px; }
.live::before { content: "●"; margin-right: 4px; color: #a1a1aa; }
.live[data-state="live"]::before { color: #22c55e; }
.live[data-state="polling"]::before { color: #eab308; }
.live[data-state="offline"]::before, .live[data-state="signed-out"]::before { color: #ef4444; }
.layout { display: flex; align-items: flex-start; gap: 16px; padding: 16px 20px; }
main { flex: 1 1 auto; min-width: 0; }
.muted { color: var(--muted); }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; }
section.card h2 { font-size: 16px; margin: 0 0 8px; }
.epic-head { display: flex; flex-wrap: wrap; gap: 12px; align-items: baseline; }
.epic-head .meta { color: var(--muted); }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 12px; color: #fff; background: var(--waiting); }
.badge.complete, .badge.done { background: var(--complete); }
.badge.running, .badge.working, .badge.starting { background: var(--running); }
.badge.blocked, .badge.dead { background: var(--blocked); }
.badge.ready { background: var(--ready); }
.badge.waiting, .badge.exited, .badge.cancelled { background: var(--waiting); }
.blocked-list { border-color: var(--blocked); background: #fef2f2; }
.blocked-list h2 { color: var(--blocked); }
.blocked-item { border-left: 4px solid var(--blocked); padding: 4px 10px; margin: 8px 0; background: #fff; }
.blocked-item .who { font-weight: 600; }
.blocked-item .msg { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 13px; margin-top: 4px; }
.alarms { border-color: var(--blocked); background: #fff7ed; }
.alarms h2 { color: var(--blocked); }
.alarm { padding: 3px 0; }
.spend .meter { vertical-align: middle; }
.spend .meter .track { fill: #e4e4e7; }
.spend .meter .fill { fill: var(--complete); }
.spend.near .meter .fill { fill: #eab308; }
.spend.reached { color: var(--blocked); }
.spend.reached .meter .fill { fill: var(--blocked); }
.timeline table { width: auto; }
.timeline td { border: 0; padding: 2px 8px 2px 0; vertical-align: middle; }
.timeline td.figures { font-size: 12px; color: var(--muted); white-space: nowrap; }
.timeline svg.bars { display: block; }
.timeline .track { fill: #f4f4f5; }
.timeline .bar.claim-wait, .timeline .key.claim-wait::before { fill: var(--waiting); background: var(--waiting); }
.timeline .bar.work, .timeline .key.work::before { fill: var(--running); background: var(--running); }
.timeline .bar.land-wait, .timeline .key.land-wait::before { fill: #f59e0b; background: #f59e0b; }
.timeline .bar.refused { fill: var(--blocked); }
.timeline .key::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
.problems { border-color: #eab308; background: #fefce8; }
.graph-wrap { overflow-x: auto; }
svg.graph { display: block; }
svg.graph .edge { fill: none; stroke: #a1a1aa; stroke-width: 1.5; }
svg.graph .edge.pending { stroke-dasharray: 4 3; }
svg.graph .arrow { fill: #a1a1aa; }
svg.graph .node { cursor: pointer; }
svg.graph .node rect { stroke-width: 2; rx: 6; ry: 6; }
svg.graph .node text { font-size: 12px; pointer-events: none; }
svg.graph .node .label { font-weight: 600; fill: #111; }
svg.graph .node .sub { fill: #333; }
svg.graph .node:focus rect, svg.graph .node.selected rect { stroke: #111; stroke-width: 3; }
svg.graph .state-complete rect { fill: #dcfce7; stroke: var(--complete); }
svg.graph .state-running rect { fill: #dbeafe; stroke: var(--running); }
svg.graph .state-waiting rect { fill: #f4f4f5; stroke: var(--waiting); }
svg.graph .state-ready rect { fill: #ccfbf1; stroke: var(--ready); }
svg.graph .state-blocked rect { fill: #fee2e2; stroke: var(--blocked); }
svg.graph .state-cancelled rect { fill: #fafafa; stroke: var(--cancelled); stroke-dasharray: 3 3; }
.legend { display: flex; gap: 10px; font-size: 12px; color: var(--muted); margin: 6px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
td.msg { max-width: 360px; white-space: pre-wrap; word-break: break-word; }
.add { color: var(--complete); } .del { color: var(--blocked); }
.conflict { color: #b45309; }
button.link { background: none; border: 0; padding: 0; color: #1d4ed8; cursor: pointer; font: inherit; text-decoration: underline; }
ol.commits { list-style: none; padding: 0; margin: 6px 0 0; font-size: 13px; }
ol.commits li { padding: 2px 0; }
ol.commits code { color: var(--muted); margin-right: 6px; }
.issue { flex: 0 0 40%; max-width: 640px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; position: sticky; top: 16px; max-height: calc(100vh - 32px); overflow: auto; }
.issue .close { float: right; }
.issue .meta { color: var(--muted); font-size: 12px; margin-bottom: 8px; }
.md pre { background: #f4f4f5; padding: 8px; overflow-x: auto; border-radius: 4px; }
.md code { font-family: ui-monospace, monospace; font-size: 13px; }
.md blockquote { border-left: 3px solid var(--line); margin: 0; padding-left: 10px; color: var(--muted); }
.md li.task { list-style: none; margin-left: -18px; }
.md h2, .md h3, .md h4 { margin: 14px 0 6px; }
`;
