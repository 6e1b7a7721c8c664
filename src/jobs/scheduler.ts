import { Cron } from "croner";
import { ConfigError, IndexLockedError } from "../errors.js";
import type { Pipeline } from "./load-pipeline.js";
import type { RunRecord } from "./run-history.js";
import { type RunPipelineOptions, runPipeline } from "./run-pipeline.js";
import { watchPipeline } from "./watch-pipeline.js";
import type { WatchEvent } from "./watch-sources.js";

/** What the scheduler tells its caller (the CLI logs each as a line). */
export type SchedulerEvent =
  | { type: "scheduled"; pipeline: string; cron: string; timezone: string; next: Date[] }
  | { type: "run-start"; pipeline: string; at: Date }
  | { type: "run-end"; pipeline: string; record: RunRecord }
  | { type: "run-error"; pipeline: string; error: unknown }
  | { type: "skipped"; pipeline: string; reason: string }
  /** What the watcher of a pipeline with `watch: true` reports. */
  | { type: "watch"; pipeline: string; event: WatchEvent }
  | { type: "stopping"; running: string[] };

export interface SchedulerOptions extends Omit<RunPipelineOptions, "signal" | "onProgress"> {
  onEvent?: (event: SchedulerEvent) => void;
}

/** A running scheduler: `stop()` finishes the runs in flight (their paid work committed) and resolves. */
export interface Scheduler {
  /** The next `count` run times of each pipeline. */
  nextRuns(count?: number): Array<{ pipeline: string; next: Date[] }>;
  stop(): Promise<void>;
}

/**
 * Runs each pipeline on its cron schedule (croner), never overlapping itself: a tick that comes
 * while the pipeline's previous run is still going is skipped and reported. A failing run is
 * reported and the schedule goes on. Pipelines with `watch: true` are also watched (see
 * watchSources): their runs follow file changes. Pipelines with neither are refused.
 */
export function startScheduler(pipelines: Pipeline[], options: SchedulerOptions = {}): Scheduler {
  const stopping = new AbortController();
  const running = new Map<string, Promise<void>>();
  const emit = (event: SchedulerEvent) => options.onEvent?.(event);
  for (const pipeline of pipelines)
    if (!pipeline.schedule && !pipeline.watch)
      throw new ConfigError(
        `${pipeline.file}: no "schedule" and no "watch" — add {"schedule": {"cron": "0 * * * *"}} or "watch": true.`,
      );
  const watchers = pipelines
    .filter((pipeline) => pipeline.watch)
    .map((pipeline) =>
      watchPipeline(pipeline, {
        ...options,
        onEvent: (event) => emit({ type: "watch", pipeline: pipeline.name, event }),
      }).catch((error: unknown) => {
        emit({ type: "run-error", pipeline: pipeline.name, error });
        return undefined;
      }),
    );
  const jobs = pipelines.flatMap((pipeline) => {
    if (!pipeline.schedule) return [];
    const timezone = pipeline.schedule.timezone ?? "UTC";
    const cron = new Cron(
      pipeline.schedule.cron,
      {
        timezone,
        protect: () => emit({ type: "skipped", pipeline: pipeline.name, reason: "the previous run is still going" }),
      },
      async () => {
        if (stopping.signal.aborted) return;
        emit({ type: "run-start", pipeline: pipeline.name, at: new Date() });
        const run = runPipeline(pipeline, { ...options, signal: stopping.signal })
          .then(({ record }) => emit({ type: "run-end", pipeline: pipeline.name, record }))
          .catch((error: unknown) => {
            if (error instanceof IndexLockedError)
              emit({ type: "skipped", pipeline: pipeline.name, reason: error.message });
            else emit({ type: "run-error", pipeline: pipeline.name, error });
          })
          .finally(() => running.delete(pipeline.name));
        running.set(pipeline.name, run);
        await run;
      },
    );
    emit({
      type: "scheduled",
      pipeline: pipeline.name,
      cron: pipeline.schedule.cron,
      timezone,
      next: cron.nextRuns(3),
    });
    return [{ pipeline, cron }];
  });
  return {
    nextRuns(count = 3) {
      return jobs.map(({ pipeline, cron }) => ({ pipeline: pipeline.name, next: cron.nextRuns(count) }));
    },
    async stop() {
      for (const { cron } of jobs) cron.stop();
      emit({ type: "stopping", running: [...running.keys()] });
      stopping.abort(new Error("the scheduler is stopping"));
      const started = await Promise.all(watchers);
      await Promise.allSettled([...running.values(), ...started.map((watcher) => watcher?.stop())]);
    },
  };
}
