import type { Notice } from "../notices.js";
import type { DocumentRecord } from "../store/types.js";

/** Which documents a run removes, and why it kept others. */
export interface RemovalPlan {
  paths: string[];
  notices: Notice[];
}

/**
 * Documents of the run's roots whose files were not seen are removed, with a guard against
 * accidents: when a root is missing (an unmounted drive) or more than half of a root's documents
 * would go, nothing of that root is removed unless `prune` is set.
 */
export function planRemovals(
  manifest: Map<string, DocumentRecord>,
  seen: Set<string>,
  roots: string[],
  problemRoots: Set<string>,
  prune: boolean,
): RemovalPlan {
  const plan: RemovalPlan = { paths: [], notices: [] };
  for (const root of new Set(roots)) {
    const documents = [...manifest.values()].filter((record) => record.source === root);
    const gone = documents.filter((record) => !seen.has(record.path)).map((record) => record.path);
    if (gone.length === 0) continue;
    if (!prune && problemRoots.has(root)) {
      plan.notices.push({
        kind: "removals-kept",
        root,
        reason: "root-unreadable",
        documents: documents.length,
        gone: gone.length,
        message: `${root} could not be read: kept its ${documents.length} documents (prune removes them).`,
      });
      continue;
    }
    if (!prune && gone.length > 1 && gone.length * 2 > documents.length) {
      plan.notices.push({
        kind: "removals-kept",
        root,
        reason: "most-gone",
        documents: documents.length,
        gone: gone.length,
        message:
          `${gone.length} of ${documents.length} documents under ${root} are gone: kept them to be safe ` +
          `(prune removes them).`,
      });
      continue;
    }
    plan.paths.push(...gone);
  }
  return plan;
}
