export { definePipeline, loadPipeline, loadPipelines, type Pipeline, type PipelineDefinition } from "./load-pipeline.js";
export { listRuns, recordRun, type RunRecord } from "./run-history.js";
export { pipelineRuns, runPipeline, type RunPipelineOptions } from "./run-pipeline.js";
export { startScheduler, type Scheduler, type SchedulerEvent, type SchedulerOptions } from "./scheduler.js";
