/**
 * Writes pipelines/schema.json from the pipeline schema in src/jobs/pipeline-schema.ts (the single
 * source of truth). Run with `npm run schema`; test/unit/pipeline-schema.test.ts fails when the
 * committed file is stale.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { pipelineJsonSchema } from "../src/jobs/pipeline-schema.js";

const file = path.resolve(import.meta.dirname, "../pipelines/schema.json");
await writeFile(file, `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), file)}`);
