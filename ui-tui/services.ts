// What the terminal UI gets from the command that starts it: read access to
// the state database, the pipelines of the pipelines folder, and a way to
// act. The `sluice ui` command composes these (with the CLI's own pipeline
// loader); tests pass their own, with a real database and a recording actor.
import type { ScheduleSpec } from '../engine/spec/model.js';
import type { TaskDependencies } from '../engine/spec/stored-dependencies.js';
import type { RunQueries } from '../engine/state/run-queries.js';
import type { RunRow, RunStore } from '../engine/state/run-store.js';
import type { RunnerStatus } from '../cli/run-format.js';
import type { ActionRunner } from './actions.js';

/** A pipeline file of the pipelines folder, valid or not. */
export interface PipelineEntry {
  file: string;
  /** The pipeline's name; for a file that does not validate, its file name. */
  name: string;
  schedule?: ScheduleSpec;
  /** Why the file is not a valid pipeline. */
  problem?: string;
}

export interface UiServices {
  queries: RunQueries;
  /** Reads only: the connection under it is read-only. */
  store: RunStore;
  runnerStatus(run: RunRow): RunnerStatus;
  pipelines(): PipelineEntry[];
  /** The task dependencies of the pipeline as it was when a run started (its stored version). */
  dependenciesOf(versionId: number): TaskDependencies | undefined;
  actions: ActionRunner;
  /** How often to look for changes in the database and the log files. */
  pollMs: number;
  now(): number;
}
