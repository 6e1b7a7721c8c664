import { metaKeys } from "../store/meta-keys.js";
import type { Store } from "../store/open-store.js";
import type { SourceSpec } from "./scan-sources.js";
import type { IndexSource } from "./types.js";

/** What was included and excluded under each root, as the last run that indexed it was told. */
export type SourceRules = Record<string, { include?: string[]; exclude?: string[] }>;

/**
 * Records the include/exclude rules this run applied under each of its roots (a glob source is its
 * folder with the pattern as include, and patterns sharing a folder add up), so a later update of
 * the same folders (the MCP `index` tool) indexes what the user chose, not the whole folder.
 * Writes only when a rule changed.
 */
export async function recordSourceRules(
  store: Store,
  sources: readonly SourceSpec[],
  options: { include?: string[]; exclude?: string[] },
): Promise<void> {
  const recorded = (await store.readValue<SourceRules>(metaKeys.sources)) ?? {};
  const rules: SourceRules = {};
  for (const source of sources) {
    const include = source.glob ? [source.glob.pattern] : (source.include ?? options.include);
    const exclude = [...(options.exclude ?? []), ...(source.exclude ?? [])];
    const rule = rules[source.root] ?? {};
    if (include) rule.include = source.glob && rule.include ? [...rule.include, ...include] : include;
    if (exclude.length > 0) rule.exclude = exclude;
    rules[source.root] = rule;
  }
  const merged = { ...recorded, ...rules };
  if (JSON.stringify(merged) !== JSON.stringify(recorded)) await store.writeValue(metaKeys.sources, merged);
}

/** `roots` with the rules recorded for them; a root inside a recorded one gets that one's rules. */
export async function withSourceRules(store: Store, roots: readonly string[]): Promise<IndexSource[]> {
  const recorded = (await store.readValue<SourceRules>(metaKeys.sources)) ?? {};
  return roots.map((root) => {
    const owner = Object.keys(recorded)
      .filter((known) => root === known || root.startsWith(`${known}/`))
      .sort((a, b) => b.length - a.length)[0];
    const rule = owner ? recorded[owner] : undefined;
    return {
      root,
      ...(rule?.include ? { include: rule.include } : {}),
      ...(rule?.exclude ? { exclude: rule.exclude } : {}),
    };
  });
}
