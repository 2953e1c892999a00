// The data hooks of the runs and run-detail views: what they show, read from
// the state database only when it changed. Views render what these return.
import type { TaskDependencies } from '../../engine/spec/stored-dependencies.js';
import type { AttemptRow, RunRow } from '../../engine/state/run-store.js';
import { shownState } from '../../cli/run-format.js';
import { layeredTasks, type TaskLine } from '../dag-layers.js';
import { sparkline } from '../sparkline.js';
import { useRead, type Read } from './live.js';

/** How many earlier runs a row's sparkline shows. */
const SPARK_RUNS = 10;

export interface RunListItem {
  run: RunRow;
  /** The stored state, or INTERRUPTED when the runner is gone. */
  state: string;
  /** Durations of the pipeline's runs up to this one. */
  trend: string;
}

export interface RunsWindow {
  total: number;
  items: RunListItem[];
}

/** One screenful of runs, newest first, from `offset`. */
export function useRunsWindow(filter: string, offset: number, limit: number): Read<RunsWindow> {
  return useRead(({ queries, runnerStatus }) => {
    const page = queries.runPage({ text: filter, offset, limit });
    const items = page.rows.map((run) => ({
      run,
      state: shownState(run, runnerStatus(run)),
      trend: sparkline(queries.recentDurations(run.pipeline, run.id, SPARK_RUNS)),
    }));
    return { total: page.total, items };
  }, [filter, offset, limit]);
}

export interface RunDetailData {
  run: RunRow;
  state: string;
  /** Task dependencies of the stored pipeline; undefined when it could not be read. */
  dependencies: TaskDependencies | undefined;
  tasks: TaskLine[];
  /** task key → its attempts, oldest first. */
  attempts: Map<string, AttemptRow[]>;
  values: Map<string, Record<string, string>>;
}

export function useRunDetail(runId: number): Read<RunDetailData | null> {
  return useRead(({ store, runnerStatus, dependenciesOf }) => {
    const run = store.run(runId);
    if (!run) return null;
    const dependencies = dependenciesOf(run.pipeline_version_id);
    const attempts = new Map<string, AttemptRow[]>();
    for (const attempt of store.attempts(runId)) attempts.set(attempt.task_key, [...attempts.get(attempt.task_key) ?? [], attempt]);
    return {
      run,
      state: shownState(run, runnerStatus(run)),
      dependencies,
      tasks: layeredTasks(store.taskRuns(runId), dependencies),
      attempts,
      values: store.values(runId),
    };
  }, [runId]);
}
