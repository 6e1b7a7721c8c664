import { parseMarkdown } from "../loaders/markdown/parse-markdown.js";
import type { DocumentSection } from "../loaders/types.js";
import { chunkPlain, TEXT_LEVELS } from "./chunk-plain.js";
import { headingLine } from "./heading-line.js";
import { joinPieces } from "./join-pieces.js";
import { type CountedText, joinedTokens } from "./join-tokens.js";
import { type MarkdownSection, markdownSections } from "./markdown-sections.js";
import { packPieces } from "./pack-pieces.js";
import { Break, type Piece } from "./piece.js";
import { placeDraft } from "./place-draft.js";
import type { ChunkDraft, ChunkSettings } from "./resolve-chunk-options.js";
import { splitFence } from "./split-fence.js";
import { splitTable } from "./split-table.js";
import { splitText } from "./split-text.js";
import { countTokens } from "./tokens.js";

/**
 * Sections smaller than this share of `maxTokens` absorb the sections after them (their
 * subsections and later siblings) while the result fits, so a page of one-line sections does
 * not become a pile of tiny chunks, while well-sized sections keep a chunk of their own.
 */
const MERGE_BELOW = 0.5;

/** A section prepared for chunking: its content pieces and sizes. */
interface PreparedSection extends MarkdownSection {
  pieces: Piece[];
  /** Estimated tokens of the content (pieces and the breaks between them). */
  contentTokens: number;
  /** Tokens of the heading line(s) as written, for when the heading becomes content of a merged chunk. */
  headingTokens: number;
  /** Tokens of the heading path line and the blank line after it. */
  prefixTokens: number;
}

/**
 * Heading-aware Markdown chunking. Each chunk stays within one heading section, or a run of
 * small consecutive sections that never crosses a heading of a higher level than the section
 * before it, and starts with its heading path (`Guide > Install`), a blank line, then the content
 * exactly as in the file. `headings` holds the path; a merged run uses the path its sections
 * share, and the headings below that become part of the content. Code fences stay whole up
 * to the hard cap (larger ones are cut between lines, each part re-fenced); tables are cut
 * only between rows, repeating the header; long sections get overlap like plain text.
 * Line ranges cover the content's lines in the file (the path line is not in the file); a
 * section without `startLine` (HTML, Word) gives chunks no line range.
 */
export function chunkMarkdown(sections: readonly DocumentSection[], settings: ChunkSettings): ChunkDraft[] {
  const drafts: ChunkDraft[] = [];
  for (const section of sections) {
    const before = drafts.length;
    const lines = section.text.split("\n");
    // Sections without file lines (HTML, Word) are numbered from 1 here; placeDraft drops the numbers.
    const firstLine = section.startLine ?? 1;
    const prepared = markdownSections(parseMarkdown(lines)).map((part) =>
      prepareSection(part, lines, firstLine, settings),
    );

    for (let index = 0; index < prepared.length; ) {
      const run = mergeableRun(prepared, index, settings.maxTokens);
      if (run.length > 1) {
        const merged = renderRun(prepared.slice(index, index + run.length), lines, firstLine, settings);
        if (merged) {
          drafts.push(placeDraft(merged.chunk, section));
          index += merged.sections;
          continue;
        }
      }
      drafts.push(...chunkSection(prepared[index]!, settings).map((draft) => placeDraft(draft, section)));
      index++;
    }
    // A document of headings only still has words worth finding: index them as plain text.
    if (drafts.length === before && section.text.trim() !== "")
      drafts.push(...chunkPlain([section], TEXT_LEVELS, settings));
  }
  return drafts;
}

function prepareSection(
  section: MarkdownSection,
  lines: readonly string[],
  firstLine: number,
  settings: ChunkSettings,
): PreparedSection {
  const prefix = section.path.length > 0 ? headingLine(section.path, settings.maxTokens).tokens + 1 : 0;
  const budget = settings.maxTokens - prefix;
  const pieces: Piece[] = [];
  let previousEnd = section.heading?.end;
  for (const block of section.blocks) {
    const separator = previousEnd === undefined ? "" : "\n".repeat(block.start - previousEnd);
    previousEnd = block.end;
    switch (block.type) {
      case "fence":
        pieces.push(...splitFence(block, { lines, firstLine, cap: settings.hardCapTokens - prefix, separator }));
        break;
      case "table":
        pieces.push(
          ...splitTable(block, { lines, firstLine, budget, cap: settings.hardCapTokens - prefix, separator }),
        );
        break;
      case "paragraph":
        pieces.push(
          ...splitText(lines.slice(block.start, block.end + 1).join("\n"), {
            lineStart: firstLine + block.start,
            levels: ["line", "sentence", "word", "character"],
            budget,
            separator,
            breakBefore: Break.paragraph,
          }),
        );
        break;
      case "heading":
        // markdownSections puts headings between sections, never inside one.
        break;
    }
  }
  const contentTokens = pieces.reduce((sum, piece, index) => sum + piece.tokens + (index > 0 ? 1 : 0), 0);
  const heading = section.heading ? lines.slice(section.heading.start, section.heading.end + 1).join("\n") : "";
  return { ...section, pieces, contentTokens, headingTokens: countTokens(heading), prefixTokens: prefix };
}

/**
 * The sections starting at `start` that may share one chunk: while the run so far is small,
 * everything still fits, and the next heading is not of a higher level than the previous
 * section's (subsections and siblings join; a return to a higher level ends the run, so a
 * chunk never straddles a heading above the text it follows). A section without content
 * starts no run: its heading is better kept in the path of the section after it than turned
 * into content.
 */
function mergeableRun(sections: readonly PreparedSection[], start: number, maxTokens: number): PreparedSection[] {
  const first = sections[start]!;
  const run = [first];
  if (first.pieces.length === 0) return run;
  // The path line, and the first heading, which becomes content when a sibling joins.
  let estimate = first.prefixTokens + first.headingTokens + first.contentTokens;
  for (let next = start + 1; next < sections.length; next++) {
    const candidate = sections[next]!;
    if (candidate.level < run[run.length - 1]!.level) break;
    if (estimate >= maxTokens * MERGE_BELOW) break;
    const added = candidate.headingTokens + candidate.contentTokens + 2;
    if (estimate + added > maxTokens) break;
    run.push(candidate);
    estimate += added;
  }
  return run;
}

/**
 * One chunk for a run of sections, rendered straight from the file's lines. Checks the exact
 * size and drops trailing sections when the estimate was low; undefined when only one is left.
 */
function renderRun(
  run: readonly PreparedSection[],
  lines: readonly string[],
  firstLine: number,
  settings: ChunkSettings,
): { chunk: ChunkDraft; sections: number } | undefined {
  for (let count = run.length; count > 1; count--) {
    const sections = run.slice(0, count);
    const first = sections[0]!;
    // The first heading stays in the path unless a sibling (or a higher heading) joined; then it is content.
    const siblingJoined = sections.some((section, index) => index > 0 && section.level <= first.level);
    const path = siblingJoined ? first.parentPath : first.path;
    const fromHeading = siblingJoined || first.heading === undefined;
    let from = fromHeading ? (first.heading?.start ?? 0) : first.heading!.end + 1;
    const last = sections[sections.length - 1]!;
    let to = lastLine(last);
    while (from <= to && lines[from]!.trim() === "") from++;
    while (to >= from && lines[to]!.trim() === "") to--;
    if (from > to) return undefined;
    const content = lines.slice(from, to + 1).join("\n");
    const line = path.length > 0 ? headingLine(path, settings.maxTokens) : undefined;
    const text = line ? `${line.text}\n\n${content}` : content;
    const tokens = runTokens(text, line, sections, fromHeading, lines, firstLine) ?? countTokens(text);
    if (tokens <= settings.maxTokens) {
      return {
        chunk: { text, headings: [...path], lineStart: firstLine + from, lineEnd: firstLine + to, tokens },
        sections: count,
      };
    }
  }
  return undefined;
}

/**
 * Tokens of a run's rendered `text` from the counts of its path line, headings and pieces, when those
 * joined by the line breaks between them are `text` exactly (they are unless a block was re-cut: a fence
 * re-fenced, a table's header repeated, blank lines holding spaces); undefined when they are not.
 */
function runTokens(
  text: string,
  line: { text: string; tokens: number } | undefined,
  sections: readonly PreparedSection[],
  fromHeading: boolean,
  lines: readonly string[],
  firstLine: number,
): number | undefined {
  const parts: CountedText[] = line ? [{ ...line, separator: "" }] : [];
  let lastLine: number | undefined;
  const breaksTo = (start: number) => (lastLine === undefined ? "\n\n" : "\n".repeat(Math.max(0, start - lastLine)));
  for (const [index, section] of sections.entries()) {
    const { heading } = section;
    if (heading && (index > 0 || fromHeading)) {
      const headingText = lines.slice(heading.start, heading.end + 1).join("\n");
      parts.push({ text: headingText, separator: breaksTo(heading.start), tokens: section.headingTokens });
      lastLine = heading.end;
    }
    for (const piece of section.pieces) {
      const separator = lastLine === undefined && parts.length > 0 ? "\n\n" : piece.separator;
      parts.push({ text: piece.text, separator, tokens: piece.tokens });
      lastLine = piece.lineEnd - firstLine;
    }
  }
  let joined = "";
  for (const [index, part] of parts.entries()) joined += (index === 0 ? "" : part.separator) + part.text;
  return joined === text ? joinedTokens(parts) : undefined;
}

function chunkSection(section: PreparedSection, settings: ChunkSettings): ChunkDraft[] {
  if (section.pieces.length === 0) return [];
  const line = section.path.length > 0 ? headingLine(section.path, settings.maxTokens) : undefined;
  const prefix = line ? `${line.text}\n\n` : "";
  const render = (pieces: readonly Piece[]) => prefix + joinPieces(pieces);
  // The path line counts as a text before the pieces, a blank line after it.
  const measure = (pieces: readonly Piece[]) =>
    line
      ? joinedTokens([{ ...line, separator: "" }, { ...pieces[0]!, separator: "\n\n" }, ...pieces.slice(1)])
      : joinedTokens(pieces);
  const packed = packPieces(section.pieces, {
    budget: settings.maxTokens,
    overlapTokens: settings.overlapTokens,
    fixedTokens: prefix === "" ? 0 : countTokens(prefix),
    measure,
  });
  return packed.map(({ pieces, tokens }) => ({
    text: render(pieces),
    headings: [...section.path],
    lineStart: pieces[0]!.lineStart,
    lineEnd: pieces[pieces.length - 1]!.lineEnd,
    tokens,
  }));
}

/** 0-based last line of a section: its last block, or its heading when it has none. */
function lastLine(section: PreparedSection): number {
  const block = section.blocks[section.blocks.length - 1];
  return block ? block.end : (section.heading?.end ?? 0);
}
