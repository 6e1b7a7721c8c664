/**
 * Fails when a TypeScript line is longer than 120 characters (Biome formats code to 120 columns
 * but leaves long strings and comments alone). Part of `npm run lint`. Documents that tests index
 * (test/fixtures/corpus, data/sample) are content, not code, and are not checked.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const limit = 120;
const root = path.resolve(import.meta.dirname, "..");
const folders = ["src", "test", "bench", "scripts", "data"];
const skipped = new Set(["node_modules", "dist", path.join("test", "fixtures", "corpus"), path.join("data", "sample")]);

function* typescriptFiles(folder: string): Generator<string> {
  for (const entry of readdirSync(path.join(root, folder), { withFileTypes: true })) {
    const relative = path.join(folder, entry.name);
    if (skipped.has(relative) || skipped.has(entry.name)) continue;
    if (entry.isDirectory()) yield* typescriptFiles(relative);
    else if (entry.name.endsWith(".ts")) yield relative;
  }
}

const files = [...folders.flatMap((folder) => [...typescriptFiles(folder)]), "vitest.config.ts"];
const long: string[] = [];
for (const file of files) {
  const lines = readFileSync(path.join(root, file), "utf8").split("\n");
  lines.forEach((line, index) => {
    // Characters, not UTF-16 units: "港" is one character.
    const length = [...line].length;
    if (length > limit) long.push(`${file}:${index + 1}: ${length} characters`);
  });
}
if (long.length > 0) {
  console.error(`Lines over ${limit} characters (split the string or comment):\n${long.join("\n")}`);
  process.exitCode = 1;
}
