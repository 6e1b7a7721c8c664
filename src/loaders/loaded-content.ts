import type { LoadedDocument } from "./types.js";

/** What a format loader produces; `loadDocument` adds the file and its hash. */
export type LoadedContent = Omit<LoadedDocument, "file" | "hash">;
