import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The architecture, checked. Every file in src/ belongs to one layer; a file may import files of
 * its own layer and of lower ones, never of a higher one:
 *
 *   cli        src/cli/            the command line: words, flags, exit codes; may start the MCP
 *                                  server (mcp/)
 *   mcp        src/mcp/            the MCP server: tools and resources for agents
 *   api        src/index.ts        the public library API: re-exports, nothing else
 *   facade     open-index.ts,      compose stages into what callers use (GemIndex, pipelines and
 *              jobs/, eval/        their scheduler, evaluation); may open an index
 *   stages     answer/, chunking/, config/, embedding/, indexing/, loaders/, retrieval/, sources/:
 *                                  one job each; may use each other, the store and the providers
 *   store      store/              LanceDB tables, the write lock; knows no stage
 *   providers  providers/          model APIs behind interfaces (providers/types.ts); knows no stage
 *   base       errors.ts, notices.ts, version.ts   what every layer may use (codes, notice kinds)
 *
 * The CLI and the MCP server are clients, like a user's script: besides their own files (and the
 * CLI, the MCP server it starts) they import only the public API and base. So nothing imports
 * cli/, no stage reaches up to a facade, and store/ and providers/ import no stage. A new
 * top-level folder must be placed here before its first import is accepted.
 */
const layers = ["base", "providers", "store", "stages", "facade", "api", "mcp", "cli"] as const;
const clients: readonly Layer[] = ["mcp", "cli"];
type Layer = (typeof layers)[number];

const layerOf: Record<string, Layer> = {
  "errors.ts": "base",
  "notices.ts": "base",
  "version.ts": "base",
  providers: "providers",
  store: "store",
  answer: "stages",
  chunking: "stages",
  config: "stages",
  embedding: "stages",
  indexing: "stages",
  loaders: "stages",
  retrieval: "stages",
  sources: "stages",
  "open-index.ts": "facade",
  jobs: "facade",
  eval: "facade",
  mcp: "mcp",
  "index.ts": "api",
  cli: "cli",
};

const src = path.resolve(import.meta.dirname, "../../src");

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** One relative import of a file, resolved to a src/ file; `typeOnly` imports vanish at run time. */
interface Import {
  target: string;
  typeOnly: boolean;
}

/** The relative imports of a file: `import`, `export … from`, `import()`. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const statements =
    /(^\s*(?:import|export)\b[^;]*?\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  return [...text.matchAll(statements)].map((match) => ({
    target: path.resolve(path.dirname(file), match[2]!.replace(/\.js$/, ".ts")),
    typeOnly: /^\s*(?:import|export)\s+type\b/.test(match[1]!),
  }));
}

function layer(file: string): Layer | undefined {
  const top = path.relative(src, file).split(path.sep)[0]!;
  return layerOf[top];
}

const files = sourceFiles(src);
const shown = (file: string) => path.relative(src, file).split(path.sep).join("/");

describe("layers", () => {
  it("places every file of src/ in a layer", () => {
    const unplaced = files.filter((file) => layer(file) === undefined).map(shown);
    expect(unplaced, "add the folder to layerOf in test/unit/layers.test.ts").toEqual([]);
  });

  it("never imports from a higher layer; the CLI and the MCP server import only the public API", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layer(file)!;
      for (const { target } of importsOf(file)) {
        const to = layer(target);
        if (to === undefined) violations.push(`${shown(file)} imports ${shown(target)}, outside any layer`);
        else if (clients.includes(from) && !clients.includes(to) && to !== "api" && to !== "base")
          violations.push(`${shown(file)} (${from}) imports ${shown(target)} (${to}): use the public API`);
        else if (layers.indexOf(to) > layers.indexOf(from))
          violations.push(`${shown(file)} (${from}) imports ${shown(target)} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("has no import cycle between files (type-only imports aside: they vanish at run time)", () => {
    const graph = new Map(
      files.map((file) => [file, importsOf(file).flatMap((entry) => (entry.typeOnly ? [] : [entry.target]))]),
    );
    const state = new Map<string, "visiting" | "done">();
    const cycles: string[] = [];
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "visiting") {
        cycles.push([...trail.slice(trail.indexOf(file)), file].map(shown).join(" → "));
        return;
      }
      state.set(file, "visiting");
      for (const target of graph.get(file) ?? []) visit(target, [...trail, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
