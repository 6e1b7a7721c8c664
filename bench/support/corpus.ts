import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

/** A vocabulary large enough that documents differ, small enough to stay readable. */
const words = (
  "river mountain lantern harbor glacier meadow orchard canyon compass beacon thunder saffron velvet " +
  "granite copper willow falcon ember quartz tundra lagoon prairie cedar marble ferry summit basin " +
  "signal engine circuit ledger archive beacon protocol cluster vector kernel socket buffer cache index"
).split(" ");

function sentence(seed: number): string {
  const out: string[] = [];
  let x = seed * 2654435761;
  for (let i = 0; i < 14; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.push(words[x % words.length]!);
  }
  return `${out.join(" ")} item${seed}.`;
}

/**
 * Writes `files` Markdown files of `sectionsPerFile` sections each (or as many as it returns for
 * each file's number), of `sentences` sentences (about 25 tokens each); with `--chunk-tokens 64` a
 * 3-sentence section is about one chunk. Returns the relative paths.
 */
export async function writeCorpus(
  dir: string,
  files: number,
  sectionsPerFile: number | ((file: number) => number),
  sentences = 3,
): Promise<string[]> {
  const paths: string[] = [];
  for (let file = 0; file < files; file++) {
    const relative = `docs/${String(Math.floor(file / 500)).padStart(3, "0")}/doc-${file}.md`;
    const count = typeof sectionsPerFile === "number" ? sectionsPerFile : sectionsPerFile(file);
    const sections = Array.from({ length: count }, (_, s) => {
      const seed = file * 1000 + s;
      const body = Array.from({ length: sentences }, (_, n) =>
        sentence(seed + [0, 7, 13][n % 3]! + 101 * Math.floor(n / 3)),
      );
      return `## Section ${s}\n\n${body.join(" ")}`;
    });
    const target = path.join(dir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, `# Document ${file}\n\n${sections.join("\n\n")}\n`);
    paths.push(relative);
  }
  return paths;
}

/** Edits one section of a file written by writeCorpus (changes one chunk). */
export async function editSection(dir: string, relative: string, stamp: string): Promise<void> {
  const target = path.join(dir, relative);
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(target, "utf8");
  await writeFile(target, text.replace("## Section 1\n\n", `## Section 1\n\nEdited ${stamp}. `));
}
