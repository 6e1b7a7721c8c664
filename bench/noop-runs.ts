import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { loadPipeline, runPipeline } from "../src/index.js";
import { printTable, runGemindex } from "./support/harness.js";

/** Median of a list of numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * 300 runs of a pipeline over an unchanged folder of 200 files (what an hourly schedule does for
 * two weeks): the time of a no-op run early and after 300 runs (in-process, and `gemindex run` as
 * cron starts it), and the meta table's size. Before the history was trimmed and the meta table
 * compacted, each run added two versions and a fragment: 342 runs made it 689 versions / 18 MB
 * and no-op runs went from 0.90 to 1.17 s.
 */
export async function noopRuns(runs = 300): Promise<string[][]> {
  const root = await mkdtemp(path.join(tmpdir(), "gemindex-bench-noop-"));
  try {
    for (let i = 0; i < 200; i++)
      await writeFile(
        path.join(await ensure(root, "docs"), `note-${i}.md`),
        `# Note ${i}\n\nNote ${i} is about harbours.\n`,
      );
    await writeFile(
      path.join(await ensure(root, "pipelines"), "notes.json"),
      JSON.stringify({ name: "notes", sources: [{ root: "../docs" }], index: "../index" }),
    );
    const pipeline = await loadPipeline("notes", { cwd: root });
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      await runPipeline(pipeline, { cwd: root });
      times.push(performance.now() - started);
    }
    const cli: number[] = [];
    for (let run = 0; run < 5; run++) cli.push((await runGemindex(["run", "notes"], { cwd: root })).wallMs);
    const db = await lancedb.connect(path.join(root, "index"));
    const meta = await db.openTable("meta");
    const versions = (await meta.listVersions()).length;
    const fragments = (await meta.stats()).fragmentStats.numFragments;
    db.close();
    const kb = execFileSync("du", ["-sk", path.join(root, "index", "meta.lance")])
      .toString()
      .split("\t")[0];
    const rows = [
      [
        String(runs),
        `${median(times.slice(1, 11)).toFixed(0)} ms`,
        `${median(times.slice(-10)).toFixed(0)} ms`,
        `${(median(cli) / 1000).toFixed(2)} s`,
        String(versions),
        String(fragments),
        `${kb} KB`,
      ],
    ];
    printTable(
      "No-op runs (200 unchanged files)",
      [
        "runs",
        "no-op run, runs 2-11 (in-process)",
        "no-op run, last 10 (in-process)",
        "`gemindex run` after them",
        "meta versions",
        "meta fragments",
        "meta size",
      ],
      rows,
    );
    return rows;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function ensure(root: string, folder: string): Promise<string> {
  const full = path.join(root, folder);
  await mkdir(full, { recursive: true });
  return full;
}
