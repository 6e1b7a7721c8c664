import type { DefaultTreeAdapterTypes } from "parse5";

export type HtmlNode = DefaultTreeAdapterTypes.Node;
export type HtmlElement = DefaultTreeAdapterTypes.Element;
export type HtmlParent = DefaultTreeAdapterTypes.ParentNode;

/** Whether `node` is an element (as opposed to text, a comment or a doctype). */
export function isElement(node: HtmlNode): node is HtmlElement {
  return "tagName" in node;
}

/** The children of a node; a `<template>`'s content is not its children. */
export function childrenOf(node: HtmlNode): readonly HtmlNode[] {
  return "childNodes" in node ? node.childNodes : [];
}

/** An attribute's value, or undefined when absent. */
export function attribute(element: HtmlElement, name: string): string | undefined {
  return element.attrs.find((attr) => attr.name === name)?.value;
}

/** The first element (depth first, document order) that matches, not looking inside elements `skip` refuses. */
export function findElement(
  root: HtmlNode,
  matches: (element: HtmlElement) => boolean,
  skip: (element: HtmlElement) => boolean = () => false,
): HtmlElement | undefined {
  for (const child of childrenOf(root)) {
    if (!isElement(child) || skip(child)) continue;
    if (matches(child)) return child;
    const found = findElement(child, matches, skip);
    if (found) return found;
  }
  return undefined;
}

/** Every matching element not inside another match (nor inside an element `skip` refuses), in document order. */
export function findOutermost(
  root: HtmlNode,
  matches: (element: HtmlElement) => boolean,
  skip: (element: HtmlElement) => boolean = () => false,
): HtmlElement[] {
  const found: HtmlElement[] = [];
  const visit = (node: HtmlNode) => {
    for (const child of childrenOf(node)) {
      if (!isElement(child) || skip(child)) continue;
      if (matches(child)) found.push(child);
      else visit(child);
    }
  };
  visit(root);
  return found;
}

/** All text below `node`, as written (no whitespace collapsing); `<br>` becomes a line break. */
export function rawText(node: HtmlNode): string {
  if (node.nodeName === "#text") return (node as DefaultTreeAdapterTypes.TextNode).value;
  if (isElement(node) && node.tagName === "br") return "\n";
  let text = "";
  for (const child of childrenOf(node)) text += rawText(child);
  return text;
}
