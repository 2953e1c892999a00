// What a built-in task's process knows about where it runs, read from the
// environment the executor gives every task, and the contract of a task
// type's module.
import { resolve } from 'node:path';
import { datasetsDirFor } from '../../engine/state/state-home.js';

export interface TaskContext {
  runId: number;
  taskKey: string;
  attempt: number;
  /** The pipeline's folder (or the task's working_dir): relative paths in parameters start here. */
  workingDir: string;
  /** The task's private folder for files it makes (models, reports). */
  artifactsDir: string;
  stateDatabase: string;
  datasetsDir: string;
  /** A line of progress for the task's log. */
  progress(line: string): void;
}

export type TaskValues = Record<string, string | number | boolean>;

export interface TaskModule {
  run(params: any, context: TaskContext): Promise<TaskValues>;
}

/**
 * A mistake in the task's input (a missing file, a bad column): shown as a
 * plain message, never with a stack trace.
 */
export class TaskInputError extends Error {
  override name = 'TaskInputError';
}

export function contextFromEnvironment(env: NodeJS.ProcessEnv = process.env): TaskContext {
  const need = (name: string) => {
    const value = env[name];
    if (!value) throw new TaskInputError(`${name} is not set: built-in tasks run inside 'sluice run', not on their own`);
    return value;
  };
  const stateDatabase = need('SLUICE_STATE_DB');
  return {
    runId: Number(need('SLUICE_RUN_ID')),
    taskKey: need('SLUICE_TASK_KEY'),
    attempt: Number(env.SLUICE_ATTEMPT ?? '1'),
    workingDir: process.cwd(),
    artifactsDir: need('SLUICE_ARTIFACTS'),
    stateDatabase,
    datasetsDir: datasetsDirFor(stateDatabase),
    progress: (line) => process.stdout.write(`${line}\n`),
  };
}

/** A path from a parameter, relative to the task's folder. */
export function resolveInput(context: Pick<TaskContext, 'workingDir'>, path: string): string {
  return resolve(context.workingDir, path);
}
