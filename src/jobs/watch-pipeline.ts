import type { Pipeline } from "./load-pipeline.js";
import { openPipelineIndex, pipelineIndexOptions, type RunPipelineOptions } from "./run-pipeline.js";
import { type Watcher, type WatchOptions, watchSources } from "./watch-sources.js";

/**
 * Watches a pipeline's sources and keeps its index up to date (see watchSources), with the
 * pipeline's settings; runs are recorded under the pipeline's name. `stop()` also closes the
 * index the watcher opened.
 */
export async function watchPipeline(
  pipeline: Pipeline,
  options: Omit<RunPipelineOptions, "signal" | "onProgress"> & Pick<WatchOptions, "onEvent" | "debounceMs"> = {},
): Promise<Watcher> {
  const index = await openPipelineIndex(pipeline, options);
  const watcher = watchSources(index, pipeline.sources, {
    name: pipeline.name,
    debounceMs: options.debounceMs,
    index: { ...pipelineIndexOptions(pipeline), collectGarbage: options.collectGarbage },
    onEvent: options.onEvent,
  });
  return {
    ready: watcher.ready,
    async stop() {
      try {
        await watcher.stop();
      } finally {
        await index.close();
      }
    },
  };
}
