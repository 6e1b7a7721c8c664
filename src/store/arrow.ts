import { createRequire } from "node:module";

/**
 * apache-arrow as LanceDB sees it. LanceDB loads the CommonJS build; importing the ESM build
 * here would give a second copy whose classes fail LanceDB's `instanceof` checks, so tables we
 * build would be rejected ("schemas must be equivalent"). Everything the store builds uses this.
 */
export const arrow = createRequire(import.meta.url)("apache-arrow") as typeof import("apache-arrow");
