import { hashBytes } from "../sources/fingerprint.js";
import { RegularFile } from "../sources/read-regular-file.js";
import type { WorkItem } from "./scan-sources.js";

/** Files up to this size are read whole ahead of their turn; larger ones are read when it comes. */
const READ_AHEAD_MAX_FILE = 1024 * 1024;
/** At most this many bytes and files are read ahead. */
const READ_AHEAD_BYTES = 8 * 1024 * 1024;
const READ_AHEAD_FILES = 8;

/** A small file's bytes and their sha256 (hex), read once for both the change check and the loader. */
export interface FileContent {
  hash: string;
  bytes: Uint8Array;
}

/** A work item with its file's content on the way: undefined for a file too large to read ahead. */
export interface ReadItem extends WorkItem {
  /** Rejects as the read failed (a file gone, a permission), with the file-system error. */
  content: Promise<FileContent | undefined>;
}

/**
 * Yields the work items in order, each with its file already being read: while one file is
 * parsed and chunked (CPU), the next few are read (I/O), so neither waits for the other. Only
 * small files are read ahead, within a byte budget, so memory stays bounded whatever the tree.
 */
export async function* readAhead(
  work: AsyncIterable<WorkItem> | Iterable<WorkItem>,
  signal?: AbortSignal,
): AsyncGenerator<ReadItem> {
  const source =
    Symbol.asyncIterator in work ? work[Symbol.asyncIterator]() : (work as Iterable<WorkItem>)[Symbol.iterator]();
  const queue: Array<ReadItem & { ahead: number }> = [];
  let bytesAhead = 0;
  let ended = false;
  try {
    for (;;) {
      while (!ended && queue.length < READ_AHEAD_FILES && bytesAhead < READ_AHEAD_BYTES) {
        const next = await source.next();
        if (next.done) {
          ended = true;
          break;
        }
        const item = next.value;
        const ahead = item.file.size <= READ_AHEAD_MAX_FILE ? item.file.size : 0;
        const content = ahead > 0 || item.file.size === 0 ? readContent(item.file.path, signal) : undefined;
        // Its failure is the consumer's to report, when the item's turn comes.
        content?.catch(() => {});
        bytesAhead += ahead;
        queue.push({ ...item, content: content ?? Promise.resolve(undefined), ahead });
      }
      const item = queue.shift();
      if (!item) return;
      bytesAhead -= item.ahead;
      const { ahead: _, ...rest } = item;
      yield rest;
    }
  } finally {
    await source.return?.();
  }
}

async function readContent(path: string, signal?: AbortSignal): Promise<FileContent> {
  const file = await RegularFile.open(path);
  try {
    const bytes = await file.readAll({ signal });
    return { hash: hashBytes(bytes), bytes };
  } finally {
    await file.close();
  }
}
