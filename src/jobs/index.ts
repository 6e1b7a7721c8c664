export {
  definePipeline,
  loadPipeline,
  loadPipelines,
  type Pipeline,
  type PipelineDefinition,
} from "./load-pipeline.js";
export { type RunRecord, toRunRecord } from "./run-history.js";
export { pipelineRuns, type RunPipelineOptions, runPipeline } from "./run-pipeline.js";
export { type Scheduler, type SchedulerEvent, type SchedulerOptions, startScheduler } from "./scheduler.js";
export { type WatchEvent, type Watcher, type WatchOptions, watchSources } from "./watch-sources.js";
