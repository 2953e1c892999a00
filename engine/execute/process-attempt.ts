// One attempt of a task that starts a process (command, shell, built-in): render its
// templates, record the attempt, launch it, enforce its timeout, and read
// back its exit and its values.
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExecutionSettings, TaskBody } from '../spec/model.js';
import type { RunStore } from '../state/run-store.js';
import type { AttemptState } from '../state/states.js';
import type { ProcessExit, TaskLauncher } from './launcher.js';
import { renderShellScript } from '../template/shell-render.js';
import { renderWithScope, resolverFor, type ReferenceScope } from './references.js';
import { readTaskValues } from './task-values.js';

export interface ProcessUnit {
  /** Task key, or `loop[i]` for an iteration. */
  key: string;
  settings: ExecutionSettings;
  body: ProcessBody;
  scope: ReferenceScope;
}

export type ProcessBody = Extract<TaskBody, { type: 'command' | 'shell' | 'builtin' }>;

/** The argv that runs built-in task type `type` with the rendered parameters in `paramsFile` (the CLI knows its own entry point). */
export type BuiltinTaskCommand = (type: string, paramsFile: string) => string[];

export function startsProcess(body: TaskBody): body is ProcessBody {
  return body.type === 'command' || body.type === 'shell' || body.type === 'builtin';
}

export interface AttemptContext {
  store: RunStore;
  launcher: TaskLauncher;
  runId: number;
  runDir: string;
  baseDir: string;
  /** Identifies the state database in SLUICE_ATTEMPT_ID, so that recovery finds exactly its own processes. */
  stateId: string;
  killGraceMillis: number;
  /** Environment every task process starts from. */
  baseEnv: Readonly<Record<string, string>>;
  builtinCommand?: BuiltinTaskCommand;
}

export interface AttemptOutcome {
  state: Exclude<AttemptState, 'RUNNING' | 'LOST'>;
  exitCode: number | null;
  /** The signal that ended the process, if one did. */
  signal?: string | null;
  /** For failures: what went wrong, with the end of stderr. */
  message?: string;
  values: Record<string, string>;
  /** Whether the failure could change on another try (not a bad reference, say). */
  retryable: boolean;
}

export interface RunningAttempt {
  readonly attempt: number;
  readonly outcome: Promise<AttemptOutcome>;
  /** Stops the process tree; the outcome then reports CANCELED. */
  cancel(): void;
}

const STDERR_TAIL_LINES = 10;
const STDERR_TAIL_BYTES = 4096;

export function startProcessAttempt(context: AttemptContext, unit: ProcessUnit, attempt: number): RunningAttempt {
  const { store, runId } = context;
  // runs/<id>/artifacts/<task>/ and runs/<id>/logs/<task>.attempt-<n>.*:
  // one mkdir per task, as this is on every task's path.
  const attemptFile = (suffix: string) => join(context.runDir, 'logs', `${unit.key}.attempt-${attempt}.${suffix}`);
  const logs = { stdout: attemptFile('stdout.log'), stderr: attemptFile('stderr.log') };
  let prepared: { argv: string[]; env: Record<string, string>; cwd: string };
  try {
    prepared = prepare(context, unit, attempt, attemptFile);
  } catch (error) {
    // A reference that cannot be resolved: the same on every try, so no process and no retry.
    const message = (error as Error).message;
    const now = Date.now();
    store.startAttempt(runId, unit.key, attempt, now, null);
    const outcome: AttemptOutcome = { state: 'FAILED', exitCode: null, message, values: {}, retryable: false };
    return { attempt, outcome: Promise.resolve(outcome), cancel() {} };
  }
  store.startAttempt(runId, unit.key, attempt, Date.now(), logs);
  const process = context.launcher.launch({ ...prepared, stdoutPath: logs.stdout, stderrPath: logs.stderr });
  // Recovery tells the task's processes from later ones with the same pid by
  // SLUICE_ATTEMPT_ID in their environment.
  if (process.pid !== undefined) store.setAttemptProcess(runId, unit.key, attempt, process.pid);

  let stopped: 'canceled' | 'timedout' | undefined;
  const timeout = unit.settings.timeoutSeconds > 0
    ? setTimeout(() => {
      stopped ??= 'timedout';
      process.terminate(context.killGraceMillis);
    }, unit.settings.timeoutSeconds * 1000)
    : undefined;
  const judge = (exit: ProcessExit): AttemptOutcome => {
    if (timeout) clearTimeout(timeout);
    if (stopped === 'canceled') return { state: 'CANCELED', exitCode: exit.exitCode, message: 'canceled', values: {}, retryable: false };
    if (stopped === 'timedout') {
      return { state: 'TIMEDOUT', exitCode: exit.exitCode, message: `timed out after ${unit.settings.timeoutSeconds} s${stderrTail(logs.stderr)}`, values: {}, retryable: true };
    }
    if (exit.startError) return { state: 'FAILED', exitCode: null, message: exit.startError, values: {}, retryable: false };
    if (exit.exitCode !== 0) {
      const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.exitCode}`;
      return { state: 'FAILED', exitCode: exit.exitCode, message: `${how}${stderrTail(logs.stderr)}`, values: {}, retryable: true };
    }
    try {
      return { state: 'SUCCESS', exitCode: 0, values: readTaskValues(prepared.env.SLUICE_OUTPUT!), retryable: false };
    } catch (error) {
      return { state: 'FAILED', exitCode: 0, message: (error as Error).message, values: {}, retryable: false };
    }
  };
  const outcome = process.exit.then((exit): AttemptOutcome => ({ signal: exit.signal, ...judge(exit) }));
  return {
    attempt,
    outcome,
    cancel() {
      stopped ??= 'canceled';
      process.terminate(context.killGraceMillis);
    },
  };
}

function prepare(context: AttemptContext, unit: ProcessUnit, attempt: number, attemptFile: (suffix: string) => string) {
  const render = (text: string) => renderWithScope(text, unit.scope);
  // The task's own variables shadow the run's shared ones through the
  // prototype, which spawn reads too; copying ~100 variables per task costs
  // more than starting the process.
  const env = Object.create(context.baseEnv) as Record<string, string>;
  let argv: string[];
  if (unit.body.type === 'command') {
    argv = unit.body.argv.map(render);
  } else if (unit.body.type === 'builtin') {
    if (!context.builtinCommand) throw new Error(`built-in task type '${unit.body.name}' cannot run here: no runner for built-in tasks was given`);
    const paramsFile = attemptFile('params.json');
    writeFileSync(paramsFile, JSON.stringify(renderDeep(unit.body.params, render)));
    argv = context.builtinCommand(unit.body.name, paramsFile);
  } else {
    const rendered = renderShellScript(unit.body.script, resolverFor(unit.scope));
    Object.assign(env, rendered.env);
    argv = ['bash', '-euo', 'pipefail', '-c', rendered.script, `sluice:${unit.key}`];
  }
  for (const [name, value] of Object.entries(unit.settings.env)) env[name] = render(value);
  const artifacts = join(context.runDir, 'artifacts', unit.key);
  try {
    mkdirSync(artifacts);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  env.SLUICE_OUTPUT = attemptFile('values');
  env.SLUICE_ARTIFACTS = artifacts;
  env.SLUICE_RUN_ID = String(context.runId);
  env.SLUICE_TASK_KEY = unit.key;
  env.SLUICE_ATTEMPT = String(attempt);
  env.SLUICE_ATTEMPT_ID = attemptId(context.stateId, context.runId, unit.key, attempt);
  const cwd = unit.settings.workingDir === undefined ? context.baseDir : resolve(context.baseDir, render(unit.settings.workingDir));
  return { argv, env, cwd };
}

/** A built-in task's parameters with every string rendered; numbers, booleans and keys stay as written. */
function renderDeep(value: unknown, render: (text: string) => string): unknown {
  if (typeof value === 'string') return render(value);
  if (Array.isArray(value)) return value.map((item) => renderDeep(item, render));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderDeep(item, render)]));
  }
  return value;
}

export function attemptId(stateId: string, runId: number, taskKey: string, attempt: number): string {
  return `${stateId}/${runId}/${taskKey}/${attempt}`;
}

/** The last lines of an attempt's stderr, to show with its failure. */
export function stderrTail(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, STDERR_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (size > length) lines.shift();
    const tail = lines.slice(-STDERR_TAIL_LINES);
    return tail.length === 0 ? '' : `; stderr ends:\n${tail.join('\n')}`;
  } finally {
    closeSync(fd);
  }
}
