import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Debouncer, type Timers } from "../../src/jobs/debounce.js";
import { isSupportedPath } from "../../src/loaders/detect/file-types.js";
import { type DiscoverOptions, discoverFiles } from "../../src/sources/discover-files.js";
import { DiscoveryFilter } from "../../src/sources/discovery-filter.js";
import { makeTempTree, type TempTree } from "./make-temp-tree.js";

let tree: TempTree | undefined;
afterEach(async () => {
  await tree?.cleanup();
  tree = undefined;
});

/** Every file under `root`, hidden and ignored ones included. */
async function allFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

const corpus = {
  "README.md": "# Top\n",
  "docs/guide.md": "# Guide\n",
  "docs/drafts/wip.md": "# WIP\n",
  "docs/.gitignore": "drafts/\n*.tmp.md\n!keep.tmp.md\n",
  "docs/notes.tmp.md": "# tmp\n",
  "docs/keep.tmp.md": "# keep\n",
  "docs/deep/.gemindexignore": "secret.md\n",
  "docs/deep/secret.md": "# secret\n",
  "docs/deep/open.md": "# open\n",
  ".hidden/inside.md": "# hidden folder\n",
  ".env.md": "# hidden file\n",
  "node_modules/pkg/readme.md": "# dependency\n",
  "build/out.md": "# build output\n",
  "src/app.ts": "export const a = 1;\n",
  "src/app.min.js": "var a=1;\n",
  "photos/archive.zip": "PK",
  "scratch/x.md": "# excluded by pattern\n",
};

describe("DiscoveryFilter", () => {
  it.each<[string, DiscoverOptions]>([
    ["defaults", {}],
    ["exclude and include patterns", { exclude: ["scratch/"], include: ["*.md"] }],
    ["hidden entries", { hidden: true }],
    ["no .gitignore", { gitignore: false }],
  ])("says yes to exactly the files discovery yields (%s)", async (_name, options) => {
    tree = await makeTempTree(corpus);
    const settings = { ...options, accept: isSupportedPath };
    const discovered = new Set<string>();
    for await (const file of discoverFiles([tree.root], settings)) discovered.add(file.path);
    const filter = new DiscoveryFilter(tree.root, settings);
    const answers = new Map<string, boolean>();
    for (const file of await allFiles(tree.root)) answers.set(file, await filter.includesFile(file));
    const included = [...answers].filter(([, yes]) => yes).map(([file]) => file);
    expect(included.sort()).toEqual([...discovered].sort());
    expect(discovered.size).toBeGreaterThan(2);
  });

  it("prunes folders by name alone, and judges files that are already gone", async () => {
    tree = await makeTempTree(corpus);
    const filter = new DiscoveryFilter(tree.root, { accept: isSupportedPath });
    expect(filter.prunes(path.join(tree.root, "node_modules"))).toBe(true);
    expect(filter.prunes(path.join(tree.root, ".git"))).toBe(true);
    expect(filter.prunes(path.join(tree.root, "docs"))).toBe(false);
    expect(filter.prunes("/somewhere/else")).toBe(true);
    expect(await filter.includesFile(path.join(tree.root, "docs/never-written.md"))).toBe(true);
    expect(await filter.includesFile(path.join(tree.root, "docs/drafts/never-written.md"))).toBe(false);
    expect(await filter.includesFolder(path.join(tree.root, "docs/drafts"))).toBe(false);
  });

  it("sees a changed ignore file once told to forget", async () => {
    tree = await makeTempTree(corpus);
    const filter = new DiscoveryFilter(tree.root, { accept: isSupportedPath });
    const guide = path.join(tree.root, "docs/guide.md");
    expect(await filter.includesFile(guide)).toBe(true);
    await tree.write("docs/.gitignore", "guide.md\n");
    expect(await filter.includesFile(guide)).toBe(true);
    filter.forget(path.join(tree.root, "docs"));
    expect(await filter.includesFile(guide)).toBe(false);
  });
});

/** A clock that moves only when told to. */
function manualTimers(): Timers & { advance(ms: number): void } {
  let now = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  let next = 1;
  return {
    now: () => now,
    setTimeout(callback, ms) {
      timers.set(next, { at: now + ms, callback });
      return next++;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      now += ms;
      for (const [id, timer] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
        if (timer.at > now) continue;
        timers.delete(id);
        timer.callback();
      }
    },
  };
}

describe("Debouncer", () => {
  it("fires once after a quiet period, however many pokes came before", () => {
    const timers = manualTimers();
    let fired = 0;
    const debouncer = new Debouncer({ quietMs: 500, maxWaitMs: 10_000, fire: () => fired++, timers });
    for (let i = 0; i < 1000; i++) {
      debouncer.poke();
      timers.advance(1);
    }
    expect(fired).toBe(0);
    timers.advance(499);
    expect(fired).toBe(1);
    timers.advance(10_000);
    expect(fired).toBe(1);
  });

  it("fires at maxWait even while pokes keep coming, then starts a new burst", () => {
    const timers = manualTimers();
    let fired = 0;
    const debouncer = new Debouncer({ quietMs: 500, maxWaitMs: 2000, fire: () => fired++, timers });
    for (let i = 0; i < 25; i++) {
      debouncer.poke();
      timers.advance(100);
    }
    expect(fired).toBe(1);
    timers.advance(500);
    expect(fired).toBe(2);
    debouncer.poke();
    debouncer.cancel();
    timers.advance(5000);
    expect(fired).toBe(2);
  });
});
