// The dashboard page's script, served as /dashboard/app.js (the CSP allows no inline script). Plain
// ES2017 that runs as is in any current browser: no build step, no framework, nothing fetched from elsewhere.
export const DASHBOARD_JS = String.raw`
"use strict";
// jig dashboard client: no framework, no innerHTML. Every value from the server is put in the page
// as text (textContent / createTextNode / setAttribute of known attributes), so issue text written by
// an agent can never become markup or script.
(function () {
  var SVG = "http://www.w3.org/2000/svg";
  var state = { snapshot: null, selected: null, source: null, pollTimer: null, signedOut: false };
  var app = document.getElementById("app");
  var aside = document.getElementById("issue");
  var live = document.getElementById("live");
  var totals = document.getElementById("totals");

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }
  function s(tag, attrs, children) {
    var el = document.createElementNS(SVG, tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }
  function setAttrs(el, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "onclick") el.addEventListener("click", value);
      else if (key === "onkey") el.addEventListener("keydown", value);
      else el.setAttribute(key, String(value));
    });
  }
  function append(el, children) {
    if (children === null || children === undefined) return;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
  }
  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  function ago(iso) {
    if (!iso) return "";
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (!isFinite(seconds)) return "";
    if (seconds < 60) return seconds + "s ago";
    if (seconds < 3600) return Math.round(seconds / 60) + "m ago";
    if (seconds < 86400) return Math.round(seconds / 3600) + "h ago";
    return Math.round(seconds / 86400) + "d ago";
  }
  function money(value) {
    return typeof value === "number" ? "$" + value.toFixed(2) : "";
  }
  function changes(c) {
    if (!c) return "—";
    return h("span", null, [
      h("span", { class: "add" }, "+" + c.added),
      " ",
      h("span", { class: "del" }, "-" + c.removed),
      " (" + c.files + (c.files === 1 ? " file)" : " files)"),
    ]);
  }
  function truncate(text, max) {
    text = String(text || "");
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }
  function issueButton(id, label) {
    return h("button", { class: "link", type: "button", "data-issue": id, onclick: function () { select(id); } }, label || id);
  }

  // ---- rendering ---------------------------------------------------------------------------------

  function render() {
    var snap = state.snapshot;
    if (!snap) return;
    var blockedCount = snap.blocked.length;
    clear(totals);
    append(totals, [
      snap.epics.length + (snap.epics.length === 1 ? " epic · " : " epics · "),
      snap.workers.length + (snap.workers.length === 1 ? " worker" : " workers"),
      blockedCount ? " · " + blockedCount + " blocked" : "",
      snap.costUsd !== null ? " · " + money(snap.costUsd) : "",
    ]);
    var parts = [];
    if (blockedCount) parts.push(renderBlocked(snap.blocked));
    if (snap.problems.length) parts.push(renderProblems(snap.problems));
    if (!snap.epics.length) parts.push(h("section", { class: "card" }, h("p", { class: "muted" }, "No epics yet: write issues/<epic>.md and run jig plan.")));
    snap.epics.forEach(function (epic) { parts.push(renderEpic(epic)); });
    parts.push(renderWorkers(snap.workers));
    var scroll = window.scrollY;
    clear(app);
    append(app, parts);
    window.scrollTo(0, scroll);
    markSelected();
  }

  function renderBlocked(blocked) {
    return h("section", { class: "card blocked-list", id: "blocked" }, [
      h("h2", null, blocked.length === 1 ? "1 worker is blocked" : blocked.length + " workers are blocked"),
      blocked.map(function (b) {
        return h("div", { class: "blocked-item", "data-worker": b.worker }, [
          h("span", { class: "who" }, b.worker),
          b.issue ? [" on ", issueButton(b.issue)] : null,
          b.updated ? h("span", { class: "muted" }, " · " + ago(b.updated)) : null,
          h("div", { class: "msg" }, b.message || "(no message)"),
        ]);
      }),
    ]);
  }

  function renderProblems(problems) {
    return h("section", { class: "card problems" }, [
      h("h2", null, "Issue files with problems"),
      h("ul", null, problems.map(function (p) {
        return h("li", null, p.file + (p.field ? " (" + p.field + ")" : "") + ": " + p.message);
      })),
    ]);
  }

  function renderEpic(epic) {
    var head = h("div", { class: "epic-head" }, [
      h("h2", null, [issueButton(epic.id, epic.title)]),
      epic.target ? h("span", { class: "meta" }, epic.target + " ← " + epic.base) : null,
      h("span", { class: "meta" }, epic.complete + "/" + epic.total + " complete"),
      epic.diff ? h("span", { class: "meta" }, changes(epic.diff)) : null,
      epic.costUsd !== null ? h("span", { class: "meta" }, money(epic.costUsd)) : null,
    ]);
    var body = [];
    if (epic.error) body.push(h("p", { class: "conflict" }, epic.error));
    if (epic.subtasks.length) {
      body.push(legend());
      body.push(h("div", { class: "graph-wrap" }, graph(epic)));
    } else if (!epic.error) {
      body.push(h("p", { class: "muted" }, "Not planned yet (no subtasks)."));
    }
    body.push(h("h3", null, "Landed on " + (epic.target || "the target") + " (" + epic.landed.length + ")"));
    body.push(epic.landed.length
      ? h("ol", { class: "commits" }, epic.landed.map(function (c) {
          return h("li", null, [h("code", null, c.sha.slice(0, 8)), c.subject, h("span", { class: "muted" }, " — " + c.author + ", " + ago(c.date))]);
        }))
      : h("p", { class: "muted" }, epic.targetExists ? "Nothing landed yet." : "The target branch does not exist yet."));
    return h("section", { class: "card epic", "data-epic": epic.id }, [head].concat(body));
  }

  function legend() {
    return h("div", { class: "legend" }, ["complete", "running", "ready", "waiting", "blocked"].map(function (name) {
      return h("span", { class: "badge " + name }, name);
    }));
  }

  var NODE_W = 210, NODE_H = 46, COL_W = 250, ROW_H = 62, PAD = 12;

  // Columns by dependency depth; within a column, ordered by where the dependencies sit (fewer crossings).
  function graph(epic) {
    var byId = {};
    epic.subtasks.forEach(function (t) { byId[t.id] = t; });
    var columns = [];
    epic.subtasks.forEach(function (t) { (columns[t.depth] = columns[t.depth] || []).push(t); });
    var pos = {};
    var rows = 0;
    columns.forEach(function (col, depth) {
      if (!col) return;
      var keyed = col.map(function (t, i) {
        var deps = t.depends.filter(function (d) { return pos[d]; });
        var key = deps.length ? deps.reduce(function (sum, d) { return sum + pos[d].row; }, 0) / deps.length : i;
        return { t: t, key: key, i: i };
      });
      keyed.sort(function (a, b) { return a.key - b.key || a.i - b.i; });
      keyed.forEach(function (k, row) {
        pos[k.t.id] = { x: PAD + depth * COL_W, y: PAD + row * ROW_H, row: row };
      });
      rows = Math.max(rows, col.length);
    });
    var width = PAD * 2 + (columns.length - 1) * COL_W + NODE_W;
    var height = PAD * 2 + (rows - 1) * ROW_H + NODE_H;
    var svg = s("svg", { class: "graph", width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": "dependency graph of " + epic.id });
    var markerId = "arrow-" + epic.id;
    svg.appendChild(s("defs", null, s("marker", { id: markerId, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, s("path", { class: "arrow", d: "M0,0 L10,5 L0,10 z" }))));
    epic.subtasks.forEach(function (t) {
      t.depends.forEach(function (d) {
        if (!pos[d]) return;
        var x1 = pos[d].x + NODE_W, y1 = pos[d].y + NODE_H / 2, x2 = pos[t.id].x - 2, y2 = pos[t.id].y + NODE_H / 2;
        var mid = (x1 + x2) / 2;
        var done = byId[d] && byId[d].status === "complete";
        svg.appendChild(s("path", { class: "edge" + (done ? "" : " pending"), d: "M" + x1 + "," + y1 + " C" + mid + "," + y1 + " " + mid + "," + y2 + " " + x2 + "," + y2, "marker-end": "url(#" + markerId + ")", "data-from": d, "data-to": t.id }));
      });
    });
    epic.subtasks.forEach(function (t) {
      var p = pos[t.id];
      var num = t.number !== null ? String(t.number).padStart(2, "0") + " · " : "";
      var detail = t.state;
      if (t.state === "waiting") detail += " on " + t.waitingOn.map(shortId).join(", ");
      else if (t.worker && t.state !== "complete") detail += " · " + t.worker.status;
      else if (t.assigned && t.state !== "complete") detail += " · " + t.assigned;
      var open = function () { select(t.id); };
      var g = s("g", {
        class: "node state-" + t.state, "data-id": t.id, "data-state": t.state, tabindex: 0, role: "button",
        transform: "translate(" + p.x + "," + p.y + ")", "aria-label": t.id + ": " + t.title + " (" + t.state + ")",
        onclick: open,
        onkey: function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } },
      }, [
        s("title", null, t.id + "\n" + t.title + "\n" + t.state + (t.worker && t.worker.message ? "\n" + t.worker.message : "")),
        s("rect", { width: NODE_W, height: NODE_H }),
        s("text", { class: "label", x: 8, y: 18 }, truncate(num + t.title, 30)),
        s("text", { class: "sub", x: 8, y: 36 }, truncate(detail, 34)),
      ]);
      svg.appendChild(g);
    });
    return svg;
  }

  function shortId(id) {
    var m = /-(\d{2})-/.exec(id);
    return m ? m[1] : id;
  }

  function renderWorkers(workers) {
    var section = h("section", { class: "card", id: "workers" }, h("h2", null, "Workers"));
    if (!workers.length) {
      section.appendChild(h("p", { class: "muted" }, "No workers."));
      return section;
    }
    var head = h("tr", null, ["Worker", "Status", "Issue", "Changes", "Cost", "Last message", "Conflicts"].map(function (t) { return h("th", null, t); }));
    var rows = workers.map(function (w) {
      var status = [h("span", { class: "badge " + w.status }, w.status)];
      if (w.landing && w.landing.state !== "landed") status.push(" " + w.landing.state + (w.landing.position !== null ? " #" + w.landing.position : ""));
      if (w.attempt > 1) status.push(h("span", { class: "muted" }, " try " + w.attempt));
      return h("tr", { "data-worker": w.name }, [
        h("td", null, [w.name, h("div", { class: "muted" }, w.agent + " · " + ago(w.started))]),
        h("td", { class: "status" }, status),
        h("td", null, w.issue ? issueButton(w.issue) : (w.kind === "adhoc" ? "(ad-hoc)" : "—")),
        h("td", { class: "num" }, changes(w.changes)),
        h("td", { class: "num" }, money(w.costUsd)),
        h("td", { class: "msg" }, [
          w.message || "",
          w.exit && w.status !== "done" ? h("div", { class: "muted" }, "session ended: " + w.exit) : null,
          w.updated ? h("div", { class: "muted" }, ago(w.updated)) : null,
        ]),
        h("td", { class: "conflict" }, w.conflicts.map(function (c) {
          return h("div", null, "would conflict with " + c.with + ": " + c.files.join(", "));
        })),
      ]);
    });
    section.appendChild(h("table", null, [h("thead", null, head), h("tbody", null, rows)]));
    return section;
  }

  // ---- the issue panel ---------------------------------------------------------------------------

  function select(id) {
    state.selected = id;
    markSelected();
    loadIssue();
  }

  function markSelected() {
    var nodes = document.querySelectorAll("svg.graph .node");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].classList.toggle("selected", nodes[i].getAttribute("data-id") === state.selected);
    }
  }

  function loadIssue() {
    var id = state.selected;
    if (!id) return;
    fetch("/dashboard/issues/" + encodeURIComponent(id), { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (res) {
        if (res.status === 401) { signedOut(); return null; }
        return res.json().then(function (body) { return { ok: res.ok, body: body }; });
      })
      .then(function (result) {
        if (!result || state.selected !== id) return;
        if (!result.ok) { showIssueError(id, result.body && result.body.error ? result.body.error.message : "could not load"); return; }
        showIssue(result.body);
      })
      .catch(function () { showIssueError(id, "could not load (is jig serve running?)"); });
  }

  function panelHead(title) {
    return [
      h("button", { class: "link close", type: "button", onclick: function () { state.selected = null; aside.hidden = true; markSelected(); } }, "close"),
      h("h2", { class: "issue-title" }, title),
    ];
  }

  function showIssue(issue) {
    var meta = [issue.id, "status: " + issue.status];
    if (issue.assigned) meta.push("assigned: " + issue.assigned);
    if (issue.depends.length) meta.push("depends: " + issue.depends.join(", "));
    clear(aside);
    append(aside, panelHead(issue.title));
    aside.appendChild(h("div", { class: "meta" }, meta.join(" · ")));
    aside.appendChild(renderMarkdown(issue.body));
    aside.setAttribute("data-issue", issue.id);
    aside.hidden = false;
  }

  function showIssueError(id, message) {
    clear(aside);
    append(aside, panelHead(id));
    aside.appendChild(h("p", { class: "conflict" }, message));
    aside.hidden = false;
  }

  // A small markdown renderer that only ever creates elements it chooses and text nodes: headings,
  // lists, task lists, code blocks, quotes, paragraphs; inline code, bold, emphasis, http(s) links.
  // Raw HTML in the source stays visible as text.
  function renderMarkdown(text) {
    var root = h("div", { class: "md" });
    var lines = String(text).replace(/\r\n?/g, "\n").split("\n");
    var para = null, list = null, quote = null;
    function endBlocks() { para = null; list = null; quote = null; }
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i];
      var m;
      if ((m = /^\s*(\x60\x60\x60+|~~~+)\s*([^\s\x60]*)/.exec(line))) {
        var fence = m[1], code = [];
        for (i++; i < lines.length && lines[i].trim().indexOf(fence) !== 0; i++) code.push(lines[i]);
        root.appendChild(h("pre", null, h("code", m[2] ? { "data-lang": m[2] } : null, code.join("\n"))));
        endBlocks();
        continue;
      }
      if (/^\s*$/.test(line)) { endBlocks(); continue; }
      if ((m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
        root.appendChild(inline(h("h" + Math.min(6, m[1].length + 1)), m[2]));
        endBlocks();
        continue;
      }
      if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) { root.appendChild(h("hr")); endBlocks(); continue; }
      if ((m = /^\s*>\s?(.*)$/.exec(line))) {
        if (!quote) { quote = h("blockquote"); root.appendChild(quote); para = null; list = null; }
        inline(quote, (quote.firstChild ? " " : "") + m[1]);
        continue;
      }
      var task = /^\s*[-*+]\s+\[([ xX])\]\s+(.*)$/.exec(line);
      var bullet = task ? null : /^\s*[-*+]\s+(.*)$/.exec(line);
      var numbered = task || bullet ? null : /^\s*\d+[.)]\s+(.*)$/.exec(line);
      if (task || bullet || numbered) {
        var tag = numbered ? "ol" : "ul";
        if (!list || list.tagName.toLowerCase() !== tag) { list = h(tag); root.appendChild(list); }
        para = null; quote = null;
        var li = h("li", task ? { class: "task" } : null);
        if (task) li.appendChild(document.createTextNode(task[1] === " " ? "☐ " : "☑ "));
        inline(li, (task ? task[2] : (bullet || numbered)[1]));
        list.appendChild(li);
        continue;
      }
      if (list && /^\s{2,}\S/.test(line) && list.lastChild) { inline(list.lastChild, " " + line.trim()); continue; }
      if (!para) { para = h("p"); root.appendChild(para); list = null; quote = null; inline(para, line.trim()); }
      else inline(para, " " + line.trim());
    }
    return root;
  }

  function inline(parent, text) {
    var re = /(\x60+)([^\x60]|[^\x60][\s\S]*?[^\x60])\1(?!\x60)|\*\*([^*]+)\*\*|__([^_]+)__|\[([^\]]+)\]\(([^)\s]+)\)|\*([^*\s][^*]*)\*|\b_([^_\s][^_]*)_\b/g;
    var last = 0, m;
    while ((m = re.exec(text))) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      if (m[1]) parent.appendChild(h("code", null, m[2]));
      else if (m[3] || m[4]) parent.appendChild(h("strong", null, m[3] || m[4]));
      else if (m[5]) parent.appendChild(link(m[5], m[6]));
      else parent.appendChild(h("em", null, m[7] || m[8]));
      last = re.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
    return parent;
  }

  function link(label, url) {
    if (!/^https?:\/\//i.test(url)) return document.createTextNode("[" + label + "](" + url + ")");
    return h("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, label);
  }

  // ---- live updates ------------------------------------------------------------------------------

  function setLive(mode, text) {
    live.setAttribute("data-state", mode);
    live.textContent = text;
  }

  function accept(json) {
    try {
      state.snapshot = JSON.parse(json);
    } catch (e) {
      return;
    }
    render();
    if (state.selected && !aside.hidden) loadIssue();
    document.body.setAttribute("data-generated", state.snapshot.generated);
  }

  function signedOut() {
    state.signedOut = true;
    if (state.source) state.source.close();
    stopPolling();
    setLive("signed-out", "signed out: open the URL jig serve printed");
  }

  function poll() {
    fetch("/dashboard/snapshot", { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (res) {
        if (res.status === 401) { signedOut(); return null; }
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.text();
      })
      .then(function (text) {
        if (text === null) return;
        if (!state.source || state.source.readyState !== 1) setLive("polling", "polling");
        accept(text);
      })
      .catch(function () { setLive("offline", "offline: is jig serve running?"); });
  }

  function startPolling() {
    if (state.pollTimer || state.signedOut) return;
    state.pollTimer = setInterval(poll, 3000);
    poll();
  }
  function stopPolling() {
    if (state.pollTimer) clearInterval(state.pollTimer);
    state.pollTimer = null;
  }

  function connect() {
    if (typeof EventSource !== "function") { startPolling(); return; }
    var source = new EventSource("/dashboard/events");
    state.source = source;
    source.addEventListener("snapshot", function (e) {
      stopPolling();
      setLive("live", "live");
      accept(e.data);
    });
    source.onopen = function () { stopPolling(); setLive("live", "live"); };
    // The browser reconnects by itself; meanwhile (or if it gives up) the page polls.
    source.onerror = function () {
      if (state.signedOut) return;
      setLive("polling", "reconnecting…");
      startPolling();
      if (source.readyState === 2) setTimeout(connect, 5000);
    };
  }

  setInterval(function () { if (state.snapshot) render(); }, 30000);
  poll();
  connect();
})();
`;
