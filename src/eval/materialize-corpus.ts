import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { EvalInputError } from "./eval-input-error.js";
import { type BeirDocument, readBeirCorpus } from "./read-beir.js";

/** What {@link materializeCorpus} did. */
export interface MaterializeResult {
  /** Documents in the corpus. */
  documents: number;
  /** Files written because they were new or their content changed. */
  written: number;
  /** Files of documents no longer in the corpus, deleted. */
  removed: number;
  /** Corpus id of each file, by file name. */
  idsByFile: Map<string, string>;
}

/** Longest file name (before ".md") kept readable; longer ids get a shortened name with a hash. */
const maxNameLength = 150;

/**
 * A file name for a document id that is safe on every common file system and unique per id:
 * letters other than a–z (so that case-insensitive file systems cannot merge two ids), and
 * anything but digits, "-" and "_", are percent-encoded, as is a leading dot (hidden files).
 */
export function fileNameFor(id: string): string {
  let name = "";
  for (const char of id) {
    if (/[a-z0-9_-]/.test(char)) name += char;
    else for (const byte of Buffer.from(char, "utf8")) name += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  if (name.length > maxNameLength)
    name = `${name.slice(0, maxNameLength - 17)}~${createHash("sha256").update(id).digest("hex").slice(0, 16)}`;
  return `${name}.md`;
}

/**
 * The Markdown of one document: the title as a heading, then the text. The chunker puts the
 * heading path at the top of each chunk, so the title is part of every chunk's indexed text.
 */
export function documentMarkdown(document: Pick<BeirDocument, "title" | "text">): string {
  const title = document.title.replace(/\s+/g, " ").trim();
  const text = document.text.trim();
  return title ? `# ${title}\n\n${text}\n` : `${text}\n`;
}

/**
 * Writes a BEIR corpus as one Markdown file per document into `dir` (created when missing),
 * streaming the corpus. Only new or changed files are written and files of documents that left
 * the corpus are deleted, so unchanged documents keep their modification time and an incremental
 * index run skips them without reading them. `dir` belongs to the evaluation: other `.md` files
 * in it are removed.
 *
 * @throws EvalInputError on a malformed corpus line or a duplicate id.
 */
export async function materializeCorpus(
  corpusFile: string,
  dir: string,
  options: { signal?: AbortSignal } = {},
): Promise<MaterializeResult> {
  await mkdir(dir, { recursive: true });
  const existing = new Set((await readdir(dir)).filter((name) => name.endsWith(".md")));
  const idsByFile = new Map<string, string>();
  const lines = new Map<string, number>();
  let written = 0;
  for await (const document of readBeirCorpus(corpusFile, options)) {
    const name = fileNameFor(document.id);
    const previous = idsByFile.get(name);
    if (previous !== undefined) {
      const what =
        previous === document.id
          ? `duplicate document id "${document.id}"`
          : `document ids "${previous}" and "${document.id}" map to the same file name`;
      throw new EvalInputError(corpusFile, document.line, `${what} (first on line ${lines.get(name)})`);
    }
    idsByFile.set(name, document.id);
    lines.set(name, document.line);
    const target = path.join(dir, name);
    const content = documentMarkdown(document);
    if (existing.has(name) && (await readFile(target, "utf8").catch(() => undefined)) === content) continue;
    await writeFile(target, content);
    written++;
  }
  let removed = 0;
  for (const name of existing) {
    if (idsByFile.has(name)) continue;
    await unlink(path.join(dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    removed++;
  }
  return { documents: idsByFile.size, written, removed, idsByFile };
}
