// A small Markdown renderer for issue bodies that never produces HTML: it returns a tree of elements
// from a fixed list with a fixed set of attributes, and text. dom.ts turns the tree into nodes with
// createElement/createTextNode, so raw HTML in an issue stays visible as text and cannot run.
// Headings, lists, task lists, code fences, quotes, rules, paragraphs; inline code, bold, emphasis and
// http(s) links. Pure (no DOM), so it is unit-tested without a browser.

export type MdTag =
  | "div"
  | "p"
  | "h2"
  | "h3"
  | "h4"
  | "h5"
  | "h6"
  | "ul"
  | "ol"
  | "li"
  | "pre"
  | "code"
  | "blockquote"
  | "hr"
  | "strong"
  | "em"
  | "a";

export interface MdAttrs {
  class?: "md" | "task";
  /** Only ever an http(s) URL. */
  href?: string;
  rel?: "noopener noreferrer";
  target?: "_blank";
  "data-lang"?: string;
}

export interface MdElement {
  tag: MdTag;
  attrs: MdAttrs;
  children: MdNode[];
}

export type MdNode = string | MdElement;

const el = (tag: MdTag, attrs: MdAttrs = {}, children: MdNode[] = []): MdElement => ({
  tag,
  attrs,
  children,
});

const FENCE = /^\s*(```+|~~~+)\s*([^\s`]*)/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const QUOTE = /^\s*>\s?(.*)$/;
const TASK = /^\s*[-*+]\s+\[([ xX])\]\s+(.*)$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;
const HEADINGS = ["h2", "h3", "h4", "h5", "h6"] as const;

/** The body as a `div.md` tree; `#` becomes h2, since the page has its own h1. */
export function parseMarkdown(text: string): MdElement {
  const root = el("div", { class: "md" });
  const lines = String(text).replace(/\r\n?/g, "\n").split("\n");
  let para: MdElement | null = null;
  let list: MdElement | null = null;
  let quote: MdElement | null = null;
  const endBlocks = () => {
    para = null;
    list = null;
    quote = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const fence = FENCE.exec(line);
    if (fence) {
      const code: string[] = [];
      for (i++; i < lines.length && !(lines[i] ?? "").trim().startsWith(fence[1] ?? "```"); i++)
        code.push(lines[i] ?? "");
      root.children.push(
        el("pre", {}, [el("code", fence[2] ? { "data-lang": fence[2] } : {}, [code.join("\n")])]),
      );
      endBlocks();
      continue;
    }
    if (/^\s*$/.test(line)) {
      endBlocks();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const level = Math.min(5, heading[1]?.length ?? 1) - 1;
      root.children.push(inline(el(HEADINGS[level] ?? "h6"), heading[2] ?? ""));
      endBlocks();
      continue;
    }
    if (RULE.test(line)) {
      root.children.push(el("hr"));
      endBlocks();
      continue;
    }
    const quoted = QUOTE.exec(line);
    if (quoted) {
      if (!quote) {
        quote = el("blockquote");
        root.children.push(quote);
        para = null;
        list = null;
      }
      inline(quote, (quote.children.length ? " " : "") + (quoted[1] ?? ""));
      continue;
    }
    const task = TASK.exec(line);
    const bullet = task ? null : BULLET.exec(line);
    const numbered = task || bullet ? null : NUMBERED.exec(line);
    if (task || bullet || numbered) {
      const tag = numbered ? "ol" : "ul";
      if (!list || list.tag !== tag) {
        list = el(tag);
        root.children.push(list);
      }
      para = null;
      quote = null;
      const item = el("li", task ? { class: "task" } : {});
      if (task) item.children.push(task[1] === " " ? "☐ " : "☑ ");
      inline(item, (task ? task[2] : (bullet ?? numbered)?.[1]) ?? "");
      list.children.push(item);
      continue;
    }
    const lastItem: MdNode | undefined = list ? (list as MdElement).children.at(-1) : undefined;
    if (lastItem && typeof lastItem !== "string" && /^\s{2,}\S/.test(line)) {
      inline(lastItem, ` ${line.trim()}`);
      continue;
    }
    if (!para) {
      para = el("p");
      root.children.push(para);
      list = null;
      quote = null;
      inline(para, line.trim());
    } else inline(para, ` ${line.trim()}`);
  }
  return root;
}

const INLINE =
  /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|\*\*([^*]+)\*\*|__([^_]+)__|\[([^\]]+)\]\(([^)\s]+)\)|\*([^*\s][^*]*)\*|\b_([^_\s][^_]*)_\b/g;

/** Appends `text` to `parent` with its inline marks (code, bold, emphasis, links) as elements. */
function inline(parent: MdElement, text: string): MdElement {
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) parent.children.push(text.slice(last, m.index));
    if (m[1]) parent.children.push(el("code", {}, [m[2] ?? ""]));
    else if (m[3] || m[4]) parent.children.push(el("strong", {}, [m[3] ?? m[4] ?? ""]));
    else if (m[5]) parent.children.push(link(m[5], m[6] ?? ""));
    else parent.children.push(el("em", {}, [m[7] ?? m[8] ?? ""]));
    last = m.index + m[0].length;
  }
  if (last < text.length) parent.children.push(text.slice(last));
  return parent;
}

/** Only http(s) links become anchors; anything else (javascript:, data:, relative) stays as its text. */
function link(label: string, url: string): MdNode {
  if (!/^https?:\/\//i.test(url)) return `[${label}](${url})`;
  return el("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, [label]);
}
