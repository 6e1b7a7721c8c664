/**
 * Patterns (`.gitignore` syntax) that discovery skips unless `DiscoverOptions.defaultExcludes`
 * replaces them: version-control metadata, dependency folders, build output and caches, lock
 * files and minified bundles. They hold no prose worth searching, can be huge, and are often
 * not covered by a `.gitignore` when a folder is not a git checkout.
 */
export const DEFAULT_EXCLUDES: readonly string[] = [
  // version control
  ".git",
  ".hg",
  ".svn",
  ".jj",
  // dependencies and virtual environments
  "node_modules",
  "bower_components",
  "jspm_packages",
  ".venv",
  "venv",
  ".tox",
  ".nox",
  // build output
  "dist",
  "build",
  "out",
  "target",
  ".next",
  ".nuxt",
  ".svelte-kit",
  ".output",
  ".gradle",
  ".terraform",
  // caches
  ".cache",
  "__pycache__",
  ".pytest_cache",
  ".mypy_cache",
  ".ruff_cache",
  ".parcel-cache",
  ".turbo",
  "coverage",
  ".nyc_output",
  // LanceDB tables (an index kept inside the folder it indexes)
  "*.lance",
  // lock files and generated bundles: large, machine-written, never the answer to a question
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lockb",
  "Cargo.lock",
  "poetry.lock",
  "Pipfile.lock",
  "composer.lock",
  "Gemfile.lock",
  "go.sum",
  "*.min.js",
  "*.min.css",
  "*.map",
];
