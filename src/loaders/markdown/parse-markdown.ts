/**
 * A top-level Markdown block with its line range (0-based, inclusive, into the lines given to
 * {@link parseMarkdown}). Blank lines between blocks belong to no block.
 */
export type MarkdownBlock =
  | { type: "heading"; level: number; text: string; start: number; end: number }
  | {
      type: "fence";
      start: number;
      end: number;
      /** The opening line as written (indent, marker, info string). */
      opening: string;
      /** The closing line as written; absent when the fence runs to the end of the text. */
      closing?: string;
    }
  /** A GFM table: header row at `start`, delimiter row at `start + 1`, body rows after. */
  | { type: "table"; start: number; end: number }
  /** Any other run of non-blank lines: paragraphs, lists, quotes, HTML, indented code. */
  | { type: "paragraph"; start: number; end: number };

const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*))?$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;
const TABLE_DELIMITER = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
/** Lines that cannot be the text of a setext heading (a `---` under them is a thematic break). */
const NOT_SETEXT_TEXT = /^ {0,3}([-*+][ \t]|\d{1,9}[.)][ \t]|>|<|\|)/;

/**
 * Splits Markdown into the blocks that chunking must respect: ATX headings, single-line setext
 * headings, fenced code blocks (``` and ~~~, closed by a fence of the same character at least
 * as long, or running to the end), GFM tables, and paragraphs. Everything inside a fence is
 * code, never a heading. This is a line scanner for chunking, not a CommonMark renderer: lists,
 * quotes and HTML stay inside paragraphs.
 */
export function parseMarkdown(lines: readonly string[]): MarkdownBlock[] {
  const blocks: MarkdownBlock[] = [];
  let paragraph: { type: "paragraph"; start: number; end: number } | undefined;
  const closeParagraph = () => {
    if (paragraph) blocks.push(paragraph);
    paragraph = undefined;
  };

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === "") {
      closeParagraph();
      continue;
    }

    const fence = FENCE_OPEN.exec(line);
    if (fence && !(fence[2]!.startsWith("`") && fence[3]!.includes("`"))) {
      closeParagraph();
      const marker = fence[2]!;
      // An unclosed fence runs to the last non-blank line of the text.
      let end = lines.length - 1;
      while (end > index && lines[end]!.trim() === "") end--;
      let closing: string | undefined;
      for (let next = index + 1; next < lines.length; next++) {
        const candidate = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lines[next]!);
        if (candidate && candidate[1]![0] === marker[0] && candidate[1]!.length >= marker.length) {
          end = next;
          closing = lines[next]!;
          break;
        }
      }
      blocks.push({ type: "fence", start: index, end, opening: line, ...(closing === undefined ? {} : { closing }) });
      index = end;
      continue;
    }

    const atx = ATX_HEADING.exec(line);
    if (atx) {
      closeParagraph();
      // An optional closing sequence of #s is not part of the text ("## Title ##").
      const text = (atx[2] ?? "")
        .trim()
        .replace(/(^|[ \t]+)#+$/, "")
        .trim();
      blocks.push({ type: "heading", level: atx[1]!.length, text, start: index, end: index });
      continue;
    }

    const underline = SETEXT_UNDERLINE.exec(line);
    if (underline && paragraph && paragraph.start === index - 1 && !NOT_SETEXT_TEXT.test(lines[index - 1]!)) {
      blocks.push({
        type: "heading",
        level: underline[1]!.startsWith("=") ? 1 : 2,
        text: lines[index - 1]!.trim(),
        start: index - 1,
        end: index,
      });
      paragraph = undefined;
      continue;
    }

    const delimiter = lines[index + 1];
    if (
      line.includes("|") &&
      delimiter !== undefined &&
      TABLE_DELIMITER.test(delimiter) &&
      (delimiter.includes("|") || line.trim().startsWith("|"))
    ) {
      closeParagraph();
      let end = index + 1;
      while (end + 1 < lines.length && isTableRow(lines[end + 1]!)) end++;
      blocks.push({ type: "table", start: index, end });
      index = end;
      continue;
    }

    if (paragraph) paragraph.end = index;
    else paragraph = { type: "paragraph", start: index, end: index };
  }
  closeParagraph();
  return blocks;
}

function isTableRow(line: string): boolean {
  return line.trim() !== "" && line.includes("|") && !FENCE_OPEN.test(line) && !ATX_HEADING.test(line);
}
