import { parse } from "parse5";

import {
  attribute,
  childrenOf,
  findElement,
  findOutermost,
  type HtmlElement,
  type HtmlNode,
  isElement,
  rawText,
} from "./html-nodes.js";

/** An `<img>` in the converted content, before its `src` is resolved to a file. */
export interface HtmlImageLink {
  /** The `src` attribute as written. */
  src: string;
  alt: string;
  /** Heading path around the image in the converted Markdown. */
  headings: string[];
  /** 1-based line of the `<img>` tag in the HTML source. */
  line: number;
}

/**
 * Deepest element nesting converted. Real pages stay within a few hundred levels; the
 * converter recurses per level, and a deeper tree would overflow the stack somewhere that
 * depends on the platform.
 */
export const MAX_HTML_DEPTH = 1000;

/** The page nests elements deeper than {@link MAX_HTML_DEPTH}. */
export class HtmlTooDeepError extends Error {
  override readonly name = "HtmlTooDeepError";
}

/** Markdown-like text of a page's main content, with its title and images. */
export interface HtmlConversion {
  markdown: string;
  /** `<title>`, else the first `<h1>`. */
  title?: string;
  images: HtmlImageLink[];
}

/** Elements whose content is never indexed: code, styling, navigation, page chrome, forms, embedded media. */
const DROPPED = new Set(
  (
    "script style noscript template nav aside form button input select option optgroup textarea iframe frame " +
    "frameset " +
    "object embed canvas svg math dialog link meta head title audio video source track map area search"
  ).split(" "),
);
/** ARIA landmark roles of page chrome. */
const DROPPED_ROLES = new Set([
  "navigation",
  "banner",
  "contentinfo",
  "complementary",
  "search",
  "dialog",
  "alertdialog",
  "menu",
  "menubar",
]);
/**
 * Elements that own their header and footer: inside them a `<header>` is content (an article's title), elsewhere page
 * chrome.
 */
const SECTIONING = new Set(["main", "article", "section"]);
const BLOCKS = new Set(
  (
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption figure " +
    "footer form " +
    ("h1 h2 h3 h4 h5 h6 header hgroup hr html li main nav ol p pre section summary table tbody td tfoot th thead tr " +
      "ul legend")
  ).split(" "),
);
/** Inside a table cell, these make it a layout table (content laid out in a grid), not data. */
const LAYOUT_CONTENT = new Set(["table", "h1", "h2", "h3", "h4", "h5", "h6", "pre"]);
/** Stands for `<br>` while whitespace is collapsed. */
const LINE_BREAK = "\uE000";

interface FlowContext {
  /** Inside a list, quote or table cell: headings there are not section headings. */
  nested: boolean;
  /** Inside `<main>`, `<article>` or `<section>`. */
  sectioning: boolean;
}

/**
 * Converts an HTML page to Markdown-like text that the Markdown chunker understands: headings
 * as `#`…, paragraphs separated by blank lines, lists as `-`/`1.` items, `<pre>` as fenced
 * code (with the language of a `language-*` class), data tables as GFM pipe tables whose first
 * row is the header, quotes as `>`. Only the main content is kept: `<main>` (or
 * `role="main"`) when present, else the `<article>`s, else `<body>`; scripts, styles,
 * navigation, page headers and footers (not an article's own), asides, forms, embedded media
 * and hidden elements (`hidden`, `aria-hidden`, `display:none`) are dropped. Links become their
 * text, images their alt text (`[image: …]`). Text that would read as Markdown structure
 * (a line starting with `# `, a fence, a setext underline) is escaped.
 *
 * @throws HtmlTooDeepError when elements nest more than {@link MAX_HTML_DEPTH} levels deep.
 */
export function htmlToMarkdown(html: string): HtmlConversion {
  const document = parse(isXhtml(html) ? expandSelfClosing(html) : html, { sourceCodeLocationInfo: true });
  const depth = treeDepth(document);
  if (depth > MAX_HTML_DEPTH)
    throw new HtmlTooDeepError(`HTML nested ${depth} levels deep (more than ${MAX_HTML_DEPTH})`);
  const converter = new Converter();
  const blocks: string[] = [];
  for (const root of contentRoots(document)) {
    const context = { nested: false, sectioning: SECTIONING.has(root.tagName) };
    blocks.push(...converter.flow(childrenOf(root), context));
  }
  const titleElement = findElement(
    document,
    (element) => element.tagName === "title",
    (element) => element.tagName === "svg" || element.tagName === "math",
  );
  const titleText = titleElement ? collapse(rawText(titleElement)).replaceAll(LINE_BREAK, " ").trim() : "";
  const firstH1 = converter.firstH1 ?? textOfFirstH1(document);
  const title = titleText !== "" ? titleText : firstH1;
  return { markdown: blocks.join("\n\n"), ...(title ? { title } : {}), images: converter.images };
}

/** The deepest nesting of nodes below `root`, counted without recursion. */
function treeDepth(root: HtmlNode): number {
  let deepest = 0;
  const stack: Array<[HtmlNode, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    deepest = Math.max(deepest, depth);
    for (const child of childrenOf(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * XHTML (an XML declaration, or the XHTML namespace near the start): parsed as HTML after {@link expandSelfClosing}.
 */
function isXhtml(html: string): boolean {
  const start = html.slice(0, 2048);
  return /^\s*<\?xml\b/.test(start) || start.includes('xmlns="http://www.w3.org/1999/xhtml"');
}

/**
 * XHTML may close any element with `/>`; an HTML parser ignores that slash, so `<script … />`
 * or `<title/>` would swallow the rest of the page as script or title text. Writing them out as
 * start and end tags keeps the page intact (offsets on the same line shift; line numbers do not).
 */
function expandSelfClosing(html: string): string {
  return html.replace(
    /<(script|style|title|textarea|iframe|noscript|template|video|audio|object)\b([^>]*?)\/>/gi,
    "<$1$2></$1>",
  );
}

/** `<main>` elements, else the outermost `<article>`s, else `<body>`: where the page's own content is. */
function contentRoots(document: HtmlNode): HtmlElement[] {
  const skip = (element: HtmlElement) => DROPPED.has(element.tagName) || isHidden(element);
  const mains = findOutermost(
    document,
    (element) => element.tagName === "main" || attribute(element, "role") === "main",
    skip,
  );
  if (mains.length > 0) return mains;
  const articles = findOutermost(document, (element) => element.tagName === "article", skip);
  if (articles.length > 0) return articles;
  const body = findElement(document, (element) => element.tagName === "body");
  return body ? [body] : [];
}

function textOfFirstH1(document: HtmlNode): string | undefined {
  const h1 = findElement(
    document,
    (element) => element.tagName === "h1",
    (element) => DROPPED.has(element.tagName) || isHidden(element),
  );
  const text = h1 ? oneLine(rawText(h1)) : "";
  return text === "" ? undefined : text;
}

function isHidden(element: HtmlElement): boolean {
  if (attribute(element, "hidden") !== undefined || attribute(element, "aria-hidden") === "true") return true;
  const role = attribute(element, "role");
  if (role !== undefined && DROPPED_ROLES.has(role)) return true;
  const style = attribute(element, "style");
  return style !== undefined && /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(style);
}

class Converter {
  readonly images: HtmlImageLink[] = [];
  firstH1: string | undefined;
  /** Open headings, outermost first, for the heading path of images. */
  private readonly headings: Array<{ level: number; text: string }> = [];
  private readonly containsBlockCache = new WeakMap<HtmlElement, boolean>();

  /** Flow content: runs of inline content become paragraphs; block elements render in between. */
  flow(nodes: readonly HtmlNode[], context: FlowContext): string[] {
    const blocks: string[] = [];
    let inline = "";
    const flush = () => {
      const text = finishInline(inline);
      if (text !== "") blocks.push(text.split("\n").map(escapeLine).join("\n"));
      inline = "";
    };
    for (const node of nodes) {
      if (node.nodeName === "#text") {
        inline += (node as { value: string }).value;
        continue;
      }
      if (!isElement(node) || this.isDropped(node, context)) continue;
      if (BLOCKS.has(node.tagName) || this.containsBlock(node)) {
        flush();
        blocks.push(...this.block(node, context));
      } else {
        inline += this.inline(node, context);
      }
    }
    flush();
    return blocks;
  }

  private block(element: HtmlElement, context: FlowContext): string[] {
    const tag = element.tagName;
    const inner = { ...context, sectioning: context.sectioning || SECTIONING.has(tag) };
    if (/^h[1-6]$/.test(tag)) return this.heading(element, Number(tag[1]), context);
    switch (tag) {
      case "ul":
      case "ol":
        return this.list(element, inner);
      case "blockquote": {
        const body = this.flow(childrenOf(element), { ...inner, nested: true }).join("\n\n");
        return body === ""
          ? []
          : [
              body
                .split("\n")
                .map((line) => (line === "" ? ">" : `> ${line}`))
                .join("\n"),
            ];
      }
      case "pre":
        return preformatted(element);
      case "table":
        return this.table(element, inner);
      case "hr":
        return [];
      default:
        return this.flow(childrenOf(element), inner);
    }
  }

  private heading(element: HtmlElement, level: number, context: FlowContext): string[] {
    const text = oneLine(this.inlineChildren(element, context));
    if (text === "") return [];
    if (context.nested) return [escapeLine(text)];
    while (this.headings.length > 0 && this.headings[this.headings.length - 1]!.level >= level) this.headings.pop();
    this.headings.push({ level, text });
    if (level === 1) this.firstH1 ??= text;
    return [`${"#".repeat(level)} ${text}`];
  }

  private list(element: HtmlElement, context: FlowContext): string[] {
    const ordered = element.tagName === "ol";
    let number = ordered ? Number.parseInt(attribute(element, "start") ?? "1", 10) || 1 : 0;
    const items: string[] = [];
    for (const child of childrenOf(element)) {
      if (!isElement(child) || this.isDropped(child, context)) continue;
      const marker = ordered ? `${number}. ` : "- ";
      // A list directly inside a list (invalid, common) belongs to the item before it.
      const body = (
        child.tagName === "li"
          ? this.flow(childrenOf(child), { ...context, nested: true })
          : this.block(child, { ...context, nested: true })
      ).join("\n");
      if (body.trim() === "") continue;
      if (child.tagName === "li") {
        items.push(indent(body, marker));
        number++;
      } else {
        items.push(indent(body, " ".repeat(marker.length)));
      }
    }
    return items.length === 0 ? [] : [items.join("\n")];
  }

  private table(element: HtmlElement, context: FlowContext): string[] {
    const blocks: string[] = [];
    const rows = tableRows(element);
    const cells = rows.flatMap((row) => row.cells);
    if (attribute(element, "role") === "presentation" || cells.some((cell) => this.containsLayoutContent(cell))) {
      for (const cell of cells) blocks.push(...this.flow(childrenOf(cell), context));
      return blocks;
    }
    for (const child of childrenOf(element)) {
      if (isElement(child) && child.tagName === "caption")
        blocks.push(...this.flow(childrenOf(child), { ...context, nested: true }));
    }
    const grid: string[][] = [];
    for (const row of rows) {
      const line: string[] = [];
      for (const cell of row.cells) {
        if (this.isDropped(cell, context)) continue;
        const text = this.flow(childrenOf(cell), { ...context, nested: true })
          .join(" ")
          .replace(/\s*\n\s*/g, " ")
          .replace(/\\?\|/g, "\\|");
        line.push(text);
        const span = Math.min(Number.parseInt(attribute(cell, "colspan") ?? "1", 10) || 1, 100);
        for (let extra = 1; extra < span; extra++) line.push("");
      }
      if (line.some((text) => text !== "")) grid.push(line);
    }
    if (grid.length === 0) return blocks;
    const columns = Math.max(...grid.map((line) => line.length));
    const render = (line: readonly string[]) =>
      `| ${Array.from({ length: columns }, (_, index) => line[index] ?? "").join(" | ")} |`;
    const [header, ...body] = grid;
    blocks.push([render(header!), `|${" --- |".repeat(columns)}`, ...body.map(render)].join("\n"));
    return blocks;
  }

  private inline(element: HtmlElement, context: FlowContext): string {
    switch (element.tagName) {
      case "br":
        return LINE_BREAK;
      case "img":
        return this.image(element);
      case "code":
      case "kbd":
      case "samp":
      case "tt": {
        const code = collapse(this.inlineChildren(element, context)).replaceAll(LINE_BREAK, " ").trim();
        if (code === "") return "";
        const fence = "`".repeat(longestRun(code, "`") + 1);
        return fence.length > 1 || code.startsWith("`") || code.endsWith("`")
          ? `${fence} ${code} ${fence}`
          : `${fence}${code}${fence}`;
      }
      default:
        return this.inlineChildren(element, context);
    }
  }

  private inlineChildren(element: HtmlElement, context: FlowContext): string {
    let text = "";
    for (const child of childrenOf(element)) {
      if (child.nodeName === "#text") text += (child as { value: string }).value;
      else if (isElement(child) && !this.isDropped(child, context)) {
        // A block inside inline content (a <div> in a heading) still separates its text.
        text += BLOCKS.has(child.tagName) ? ` ${this.inlineChildren(child, context)} ` : this.inline(child, context);
      }
    }
    return text;
  }

  private image(element: HtmlElement): string {
    const src = (attribute(element, "src") ?? "").trim();
    const alt = oneLine(attribute(element, "alt") ?? "");
    if (src !== "") {
      const line = element.sourceCodeLocation?.startLine ?? 0;
      this.images.push({ src, alt, headings: this.headings.map((heading) => heading.text), line });
    }
    return alt === "" ? "" : ` [image: ${alt}] `;
  }

  private isDropped(element: HtmlElement, context: FlowContext): boolean {
    if (DROPPED.has(element.tagName) || isHidden(element)) return true;
    return (element.tagName === "header" || element.tagName === "footer") && !context.sectioning;
  }

  private containsBlock(element: HtmlElement): boolean {
    let cached = this.containsBlockCache.get(element);
    if (cached === undefined) {
      cached = childrenOf(element).some(
        (child) => isElement(child) && (BLOCKS.has(child.tagName) || this.containsBlock(child)),
      );
      this.containsBlockCache.set(element, cached);
    }
    return cached;
  }

  private containsLayoutContent(cell: HtmlElement): boolean {
    return childrenOf(cell).some(
      (child) => isElement(child) && (LAYOUT_CONTENT.has(child.tagName) || this.containsLayoutContent(child)),
    );
  }
}

/**
 * A table's rows (in `<thead>`, `<tbody>`, `<tfoot>` or directly in the table) and their cells; nested tables are left
 * to their cells.
 */
function tableRows(table: HtmlElement): Array<{ cells: HtmlElement[] }> {
  const rows: Array<{ cells: HtmlElement[] }> = [];
  const visit = (node: HtmlElement) => {
    for (const child of childrenOf(node)) {
      if (!isElement(child)) continue;
      if (child.tagName === "thead" || child.tagName === "tbody" || child.tagName === "tfoot") visit(child);
      else if (child.tagName === "tr") {
        rows.push({
          cells: childrenOf(child).filter(
            (cell): cell is HtmlElement => isElement(cell) && (cell.tagName === "td" || cell.tagName === "th"),
          ),
        });
      }
    }
  };
  visit(table);
  return rows;
}

/** `<pre>` as a fenced code block, with the language from a `language-x`/`lang-x` class on it or its `<code>`. */
function preformatted(element: HtmlElement): string[] {
  const code = childrenOf(element).find((child): child is HtmlElement => isElement(child) && child.tagName === "code");
  const language = languageOf(element) ?? (code ? languageOf(code) : undefined) ?? "";
  // The HTML parser drops a newline right after <pre>; trailing blank lines are not code.
  const text = rawText(element)
    .replace(/\s+$/, "")
    .replace(/^(?:[ \t]*\n)+/, "");
  if (text.trim() === "") return [];
  const fence = "`".repeat(Math.max(3, longestRun(text, "`") + 1));
  return [`${fence}${language}\n${text}\n${fence}`];
}

function languageOf(element: HtmlElement): string | undefined {
  return /(?:^|\s)(?:language|lang)-([\w+#.-]+)/.exec(attribute(element, "class") ?? "")?.[1];
}

/** Collapses whitespace runs as a browser does (no-break spaces included); `<br>` markers survive. */
function collapse(text: string): string {
  return text.replace(/[ \t\n\r\f\u00a0]+/g, " ");
}

/** Inline content as paragraph text: whitespace collapsed, `<br>` as line breaks, no blank or padded lines. */
function finishInline(text: string): string {
  return collapse(text)
    .split(LINE_BREAK)
    .map((line) => line.trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function oneLine(text: string): string {
  return collapse(text).replaceAll(LINE_BREAK, " ").replace(/ {2,}/g, " ").trim();
}

/** Escapes a paragraph line that Markdown would read as a heading, a fence or a setext underline. */
function escapeLine(line: string): string {
  return /^(?:#{1,6}(?:\s|$)|`{3,}|~{3,}|=+\s*$|-+\s*$)/.test(line) ? `\\${line}` : line;
}

/** Prefixes the first line with `marker` and indents the rest to line up under it. */
function indent(text: string, marker: string): string {
  const pad = " ".repeat(marker.length);
  return text
    .split("\n")
    .map((line, index) => (index === 0 ? marker + line : line === "" ? "" : pad + line))
    .join("\n");
}

function longestRun(text: string, character: string): number {
  let longest = 0;
  let run = 0;
  for (const current of text) {
    run = current === character ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}
