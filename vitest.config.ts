import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // LanceDB's Rust core logs deprecation warnings on every query; keep test output readable.
    env: { LANCEDB_LOG: "error" },
    pool: "forks",
  },
});
