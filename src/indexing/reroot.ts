import { stat } from "node:fs/promises";
import type { Notice } from "../notices.js";
import { hashFile } from "../sources/fingerprint.js";
import type { Store } from "../store/open-store.js";
import type { RootEntry } from "../store/roots.js";
import type { DocumentRecord } from "../store/types.js";
import { isRemoteUri } from "../store/uri.js";

/** Documents of a missing root looked for under a candidate new place. */
const sampleSize = 20;
/** Of those found with the same size, how many are hashed to prove the content is the same. */
const hashedSize = 5;
/** Share of the sample that must be found (same relative path, same size). */
const foundShare = 0.8;

/**
 * Recognises a moved or re-mounted root: a run root the index does not know, where a root the
 * index knows no longer exists, holding the same files (same relative paths and sizes for most of
 * a sample of its documents, and the same content for those hashed). The old root is pointed at
 * the new place (one meta write), so its documents are found there — unchanged, not added again —
 * and cited at their new place. Returns a `root-moved` notice per root re-rooted.
 */
export async function rerootMovedRoots(
  store: Store,
  runRoots: readonly string[],
  signal?: AbortSignal,
): Promise<Notice[]> {
  const known = new Set(store.roots.map((root) => root.path));
  const unknown = runRoots.filter((root) => !known.has(root) && !isRemoteUri(root));
  if (unknown.length === 0) return [];
  const missing: RootEntry[] = [];
  for (const root of store.roots) if (!isRemoteUri(root.path) && !(await exists(root.path))) missing.push(root);
  if (missing.length === 0) return [];
  const documents = new Map<string, DocumentRecord[]>();
  for await (const record of store.documents({ status: "indexed" })) {
    const list = documents.get(record.source) ?? [];
    list.push(record);
    documents.set(record.source, list);
  }
  const notices: Notice[] = [];
  for (const place of unknown) {
    const kind = await kindOf(place);
    if (!kind) continue;
    for (const root of missing) {
      const records = documents.get(root.path) ?? [];
      if (root.kind !== kind || records.length === 0) continue;
      if (!(await sameFiles(root, place, records, signal))) continue;
      const from = root.path;
      await store.reroot(root.id, place);
      missing.splice(missing.indexOf(root), 1);
      notices.push({
        kind: "root-moved",
        from,
        to: place,
        documents: records.length,
        message:
          `${from} is now at ${place}: its ${records.length} documents are found there ` +
          "(nothing is indexed again).",
      });
      break;
    }
  }
  return notices;
}

/** True when most of a sample of the root's documents are at `place` with the same size, and the hashed ones match. */
async function sameFiles(
  root: RootEntry,
  place: string,
  records: DocumentRecord[],
  signal?: AbortSignal,
): Promise<boolean> {
  const step = Math.max(1, Math.floor(records.length / sampleSize));
  const sample = records.filter((_, i) => i % step === 0).slice(0, sampleSize);
  const found: Array<{ record: DocumentRecord; file: string }> = [];
  for (const record of sample) {
    const file = root.kind === "file" ? place : `${place}/${record.path.slice(root.path.length + 1)}`;
    const size = await stat(file).then(
      (info) => (info.isFile() ? info.size : -1),
      () => -1,
    );
    if (size === record.size) found.push({ record, file });
  }
  if (found.length === 0 || found.length < Math.ceil(sample.length * foundShare)) return false;
  for (const { record, file } of found.slice(0, hashedSize))
    if ((await hashFile(file, signal).catch(() => "")) !== record.hash) return false;
  return true;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== "ENOENT" && error.code !== "ENOTDIR",
  );
}

async function kindOf(path: string): Promise<RootEntry["kind"] | undefined> {
  return stat(path).then(
    (info) => (info.isDirectory() ? "folder" : info.isFile() ? "file" : undefined),
    () => undefined,
  );
}
