import { execFileSync } from "node:child_process";
import { link, mkdir, realpath } from "node:fs/promises";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { LoadError } from "../../src/errors.js";
import { isSupportedPath } from "../../src/loaders/detect/file-types.js";
import { type DiscoverOptions, discoverFiles } from "../../src/sources/discover-files.js";
import type { SkippedEntry, SourceFile } from "../../src/sources/types.js";
import { VisitedEntries } from "../../src/sources/visited-entries.js";
import { makeTempTree, type TempTree } from "./make-temp-tree.js";

let tree: TempTree | undefined;
afterEach(async () => {
  await tree?.cleanup();
  tree = undefined;
});

async function collect(
  roots: string[],
  options: DiscoverOptions = {},
): Promise<{ files: SourceFile[]; problems: LoadError[]; skipped: SkippedEntry[] }> {
  const problems: LoadError[] = [];
  const skipped: SkippedEntry[] = [];
  const files: SourceFile[] = [];
  const discovery = discoverFiles(roots, {
    onProblem: (error) => problems.push(error),
    onSkip: (entry) => skipped.push(entry),
    ...options,
  });
  for await (const file of discovery) files.push(file);
  return { files, problems, skipped };
}

const relativePaths = (files: SourceFile[]) => files.map((file) => file.relativePath);

describe("discoverFiles", () => {
  it("honours the root .gitignore and nested ones with git semantics, plus .gemindexignore", async () => {
    tree = await makeTempTree({
      ".gitignore": "*.log\ngenerated/\n",
      ".gemindexignore": "drafts/\n",
      "a.md": "a",
      "debug.log": "ignored by *.log",
      "generated/api.md": "ignored folder",
      "drafts/idea.md": "ignored by .gemindexignore",
      "sub/.gitignore": "secret.md\n!keep.log\n",
      "sub/secret.md": "ignored by the nested file",
      "sub/keep.log": "re-included by the nested negation",
      "sub/ok.md": "kept",
      "other/secret.md": "the nested rule does not reach here",
    });
    const { files, problems } = await collect([tree.root]);
    expect(problems).toEqual([]);
    expect(relativePaths(files)).toEqual(["a.md", "other/secret.md", "sub/keep.log", "sub/ok.md"]);
  });

  it("lets .gemindexignore re-include what .gitignore ignores", async () => {
    tree = await makeTempTree({
      ".gitignore": "*.md\n",
      ".gemindexignore": "!guide.md\n",
      "guide.md": "g",
      "other.md": "o",
    });
    expect(relativePaths((await collect([tree.root])).files)).toEqual(["guide.md"]);
  });

  it("applies the repository's .gitignore when a subfolder is the root", async () => {
    tree = await makeTempTree({ ".gitignore": "*.draft.md\n", "docs/final.md": "f", "docs/notes.draft.md": "d" });
    await mkdir(path.join(tree.root, ".git"));
    const { files } = await collect(["docs"], { cwd: tree.root });
    expect(relativePaths(files)).toEqual(["final.md"]);
  });

  it("skips default excludes and hidden entries unless asked", async () => {
    tree = await makeTempTree({
      "README.md": "r",
      "node_modules/pkg/index.md": "dependency",
      "dist/bundle.js": "build output",
      "package-lock.json": "{}",
      ".env": "SECRET=1",
      ".github/CONTRIBUTING.md": "c",
      ".git/HEAD": "ref",
    });
    expect(relativePaths((await collect([tree.root])).files)).toEqual(["README.md"]);
    expect(relativePaths((await collect([tree.root], { hidden: true })).files)).toEqual([
      ".env",
      ".github/CONTRIBUTING.md",
      "README.md",
    ]);
    expect(relativePaths((await collect([tree.root], { exclude: ["!dist"] })).files)).toEqual([
      "README.md",
      "dist/bundle.js",
    ]);
  });

  it("filters by include and exclude patterns relative to the root", async () => {
    tree = await makeTempTree({ "a.md": "", "a.txt": "", "docs/b.md": "", "docs/old/c.md": "" });
    const { files } = await collect([tree.root], { include: ["*.md"], exclude: ["docs/old/"] });
    expect(relativePaths(files)).toEqual(["a.md", "docs/b.md"]);
  });

  it("drops files the accept filter rejects, such as types no loader reads", async () => {
    tree = await makeTempTree({
      LICENSE: "MIT",
      "logo.png": "png",
      "icon.svg": "<svg/>",
      "page.html": "<p>",
      "notes.md": "n",
      "archive.tar": "t",
      "song.flac": "f",
    });
    const { files } = await collect([tree.root], { accept: isSupportedPath });
    expect(relativePaths(files)).toEqual(["LICENSE", "logo.png", "notes.md", "page.html"]);
  });

  it("resolves relative roots against cwd and reports absolute POSIX paths with size and mtime", async () => {
    tree = await makeTempTree({ "docs/guide.md": "hello", "single.txt": "twelve bytes" });
    const { files } = await collect(["docs", "single.txt"], { cwd: tree.root });
    const root = tree.root.split(path.sep).join("/");
    expect(files).toEqual([
      {
        path: `${root}/docs/guide.md`,
        source: `${root}/docs`,
        relativePath: "guide.md",
        size: 5,
        mtimeMs: expect.any(Number),
      },
      {
        path: `${root}/single.txt`,
        source: `${root}/single.txt`,
        relativePath: "",
        size: 12,
        mtimeMs: expect.any(Number),
      },
    ]);
  });

  it("yields a file given as a root even when it is ignored or hidden", async () => {
    tree = await makeTempTree({ ".gitignore": "*.log\n", "run.log": "l", ".notes.md": "n" });
    const { files } = await collect(["run.log", ".notes.md"], { cwd: tree.root });
    expect(files.map((file) => path.basename(file.path))).toEqual(["run.log", ".notes.md"]);
  });

  it("reports a missing root and still walks the other roots", async () => {
    tree = await makeTempTree({ "docs/a.md": "a" });
    const { files, problems } = await collect(["missing", "docs"], { cwd: tree.root });
    expect(relativePaths(files)).toEqual(["a.md"]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBeInstanceOf(LoadError);
    expect(problems[0]!.path).toBe(path.join(tree.root, "missing").split(path.sep).join("/"));
    expect(problems[0]!.reason).toBe("root not found");
  });

  it("throws the first problem when no onProblem handler is given", async () => {
    tree = await makeTempTree();
    const run = async () => {
      for await (const _file of discoverFiles(["missing"], { cwd: tree!.root })) void _file;
    };
    await expect(run()).rejects.toThrow(/root not found/);
  });

  it("terminates on directory symlink loops, walking each real folder once and reporting each loop", async () => {
    tree = await makeTempTree({ "a/file.md": "a", "b/file.md": "b" });
    await tree.link("a/up", "..");
    await tree.link("a/to-b", "../b");
    await tree.link("b/to-a", "../a");
    const { files, problems, skipped } = await collect([tree.root]);
    // a/to-b and b/to-a lead to folders walked under their real paths already.
    expect(relativePaths(files)).toEqual(["a/file.md", "b/file.md"]);
    expect(problems.map((problem) => path.relative(tree!.root, problem.path).split(path.sep).join("/"))).toEqual([
      "a/up",
    ]);
    expect(problems[0]!.reason).toMatch(/^symlink loop \(points back to /);
    expect(skipped).toEqual([]);
  });

  it(`yields a file reached through a symlink or a hard link once, under its real path, \
and reports broken links`, async () => {
    tree = await makeTempTree({ "real.md": "real" });
    await tree.link("alias.md", "real.md");
    await tree.link("dangling.md", "nowhere.md");
    await link(path.join(tree.root, "real.md"), path.join(tree.root, "twin.md"));
    const { files, problems } = await collect([tree.root]);
    expect(relativePaths(files)).toEqual(["real.md"]);
    expect(files[0]!.size).toBe(4);
    expect(problems.map((problem) => problem.reason)).toEqual(["broken symlink (its target does not exist)"]);
  });

  it("walks a folder reached through twelve levels of two links each once (not 4,096 times)", async () => {
    tree = await makeTempTree({ "d12/file.md": "x".repeat(32) });
    for (let level = 0; level < 12; level++) {
      await tree.link(`d${level}/a`, `../d${level + 1}`);
      await tree.link(`d${level}/b`, `../d${level + 1}`);
    }
    const { files, problems, skipped } = await collect([tree.root]);
    expect(relativePaths(files)).toEqual(["d12/file.md"]);
    expect(problems).toEqual([]);
    expect(skipped).toEqual([]);
  });

  it("shares what it walked across calls given the same visited set (one run, several roots)", async () => {
    tree = await makeTempTree({ "docs/a.md": "a", "other/b.md": "b" });
    await tree.link("other/docs", "../docs");
    const visited = new VisitedEntries();
    const first = await collect([path.join(tree.root, "docs")], { visited });
    const second = await collect([path.join(tree.root, "other")], { visited });
    expect(relativePaths(first.files)).toEqual(["a.md"]);
    expect(relativePaths(second.files)).toEqual(["b.md"]);
  });

  it("does not follow links out of the root unless asked, and says where each leads", async () => {
    const outside = await makeTempTree({ "secret.md": "the secret", "passwd.txt": "root:x:0:0" });
    try {
      tree = await makeTempTree({ "a.md": "notes", "v2/guide.md": "guide", ".hidden/kept.md": "only via link" });
      await tree.link("etc-link", outside.root);
      await tree.link("passwd.txt", path.join(outside.root, "passwd.txt"));
      await tree.link("latest", "v2");
      await tree.link("visible", ".hidden");
      const realOutside = (await realpath(outside.root)).split(path.sep).join("/");
      const posixRoot = tree.root.split(path.sep).join("/");

      const contained = await collect([tree.root]);
      // Links inside the root keep working: "visible" brings in what no real path yields.
      expect(relativePaths(contained.files)).toEqual(["a.md", "v2/guide.md", "visible/kept.md"]);
      expect(contained.problems).toEqual([]);
      expect(contained.skipped).toEqual([
        { path: `${posixRoot}/etc-link`, code: "symlink-outside-root", target: realOutside },
        { path: `${posixRoot}/passwd.txt`, code: "symlink-outside-root", target: `${realOutside}/passwd.txt` },
      ]);

      const followed = await collect([tree.root], { followSymlinks: true });
      expect(relativePaths(followed.files)).toEqual([
        "a.md",
        "v2/guide.md",
        "etc-link/passwd.txt",
        "etc-link/secret.md",
        "visible/kept.md",
      ]);
      expect(followed.skipped).toEqual([]);
    } finally {
      await outside.cleanup();
    }
  });

  it("passes over FIFOs without opening them, and reports them", async () => {
    tree = await makeTempTree({ "a.md": "a" });
    execFileSync("mkfifo", [path.join(tree.root, "pipe.md")]);
    const { files, skipped } = await collect([tree.root]);
    expect(relativePaths(files)).toEqual(["a.md"]);
    expect(skipped).toEqual([
      { path: `${tree.root.split(path.sep).join("/")}/pipe.md`, code: "special-file", detail: "FIFO (named pipe)" },
    ]);
  });

  it.runIf(process.platform === "linux")("passes over /proc and links into it (pseudo-file-systems)", async () => {
    tree = await makeTempTree({ "a.md": "a" });
    await tree.link("kmsg.txt", "/proc/kmsg");
    await tree.link("proc", "/proc");
    const { files, skipped } = await collect([tree.root, "/proc"], { followSymlinks: true });
    const posixRoot = tree.root.split(path.sep).join("/");
    expect(relativePaths(files)).toEqual(["a.md"]);
    expect(skipped).toEqual([
      { path: `${posixRoot}/kmsg.txt`, code: "pseudo-file-system", detail: "proc" },
      { path: `${posixRoot}/proc`, code: "pseudo-file-system", detail: "proc" },
      { path: "/proc", code: "pseudo-file-system", detail: "proc" },
    ]);
  });

  it("walks a repeated root once", async () => {
    tree = await makeTempTree({ "a.md": "a" });
    const { files } = await collect([tree.root, `${tree.root}/`, "."], { cwd: tree.root });
    expect(relativePaths(files)).toEqual(["a.md"]);
  });

  it("stops with the caller's abort reason", async () => {
    tree = await makeTempTree({ "a.md": "a", "b.md": "b" });
    const controller = new AbortController();
    const reason = new Error("user pressed Ctrl-C");
    const run = async () => {
      for await (const _file of discoverFiles([tree!.root], { signal: controller.signal })) controller.abort(reason);
    };
    await expect(run()).rejects.toBe(reason);
  });
});
