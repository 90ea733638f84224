// The dashboard page's entry (/dashboard/client/app.js, a module): finds the shell's elements, keeps
// the last snapshot and the selected issue, and wires live updates to rendering.

import { markSelected, showIssue, showIssueError } from "./issue-panel.js";
import { fetchIssue, startLive } from "./live.js";
import { type PageActions, type PageElements, renderSnapshot } from "./render.js";
import type { Snapshot } from "./snapshot.js";

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the dashboard page has no #${id}`);
  return found;
}

const page: PageElements = { app: element("app"), aside: element("issue"), totals: element("totals") };
const liveLabel = element("live");
let snapshot: Snapshot | null = null;
let selected: string | null = null;

const actions: PageActions = {
  select: (id) => {
    selected = id;
    markSelected(selected);
    void loadIssue();
  },
  close: () => {
    selected = null;
    page.aside.hidden = true;
    markSelected(selected);
  },
};

function render(): void {
  if (!snapshot) return;
  renderSnapshot(snapshot, page, actions);
  markSelected(selected);
}

async function loadIssue(): Promise<void> {
  const id = selected;
  if (!id) return;
  const result = await fetchIssue(id);
  if ("signedOut" in result) return live.signOut();
  if (selected !== id) return;
  if (result.ok) showIssue(result.issue, page, actions);
  else showIssueError(id, result.message, page, actions);
}

const live = startLive({
  onState: (state, text) => {
    liveLabel.setAttribute("data-state", state);
    liveLabel.textContent = text;
  },
  onSnapshot: (json) => {
    try {
      snapshot = JSON.parse(json) as Snapshot;
    } catch {
      return;
    }
    render();
    if (selected && !page.aside.hidden) void loadIssue();
    document.body.setAttribute("data-generated", snapshot.generated);
  },
});

// "3m ago" stays true between snapshots.
setInterval(render, 30_000);
