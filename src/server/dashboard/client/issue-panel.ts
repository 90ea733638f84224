// The side panel: one issue's title, state and Markdown body, or why it could not be loaded; and which
// graph box is selected.
import { append, clear, h, markdownNode, on } from "./dom.js";
import { parseMarkdown } from "./markdown.js";
import type { PageActions, PageElements } from "./render.js";
import type { Issue } from "./snapshot.js";

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
