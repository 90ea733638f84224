// Building the page without innerHTML: elements are created by tag, attributes set by name and every
// value from the server goes in as a text node, so nothing an agent wrote can become markup or script.
import type { MdNode } from "./markdown.js";

const SVG_NS = "http://www.w3.org/2000/svg";

export type Attrs = Record<string, string | number | boolean | null | undefined>;
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** An HTML element with attributes (null, undefined and false are left out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  children?: Child,
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttrs(element, attrs);
  append(element, children);
  return element;
}

/** An SVG element, as `h` does for HTML. */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  children?: Child,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  setAttrs(element, attrs);
  append(element, children);
  return element;
}

/** Adds a listener and returns the element, so handlers sit where the element is built. */
export function on<E extends Element, K extends keyof HTMLElementEventMap>(
  element: E,
  type: K,
  listener: (event: HTMLElementEventMap[K]) => void,
): E {
  element.addEventListener(type, listener as EventListener);
  return element;
}

function setAttrs(element: Element, attrs: Attrs | null | undefined): void {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, String(value));
  }
}

export function append(element: Node, children: Child): void {
  if (children === null || children === undefined || children === false) return;
  if (Array.isArray(children)) {
    for (const child of children as readonly Child[]) append(element, child);
    return;
  }
  element.appendChild(
    typeof children === "object" ? (children as Node) : document.createTextNode(String(children)),
  );
}

export function clear(element: Node): void {
  while (element.firstChild) element.removeChild(element.firstChild);
}

/** The nodes of a parsed Markdown tree (markdown.ts chose every tag and attribute in it). */
export function markdownNode(node: MdNode): Node {
  if (typeof node === "string") return document.createTextNode(node);
  const element = document.createElement(node.tag);
  setAttrs(element, { ...node.attrs });
  for (const child of node.children) element.appendChild(markdownNode(child));
  return element;
}
