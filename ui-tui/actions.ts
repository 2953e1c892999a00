// What the UI can do to runs and schedules. It never runs a pipeline in its
// own process: each action starts the sluice CLI detached, on the same state
// database, so that quitting the UI leaves a repair or a triggered run going.
// Output goes to a file, never a pipe, because a pipe would break when the UI
// quits and take the run down with it.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type UiAction =
  | { kind: 'repair'; runId: number }
  | { kind: 'cancel'; runId: number }
  | { kind: 'trigger'; pipeline: string; file: string }
  | { kind: 'pause'; pipeline: string }
  | { kind: 'unpause'; pipeline: string };

export interface ActionOutcome {
  action: UiAction;
  ok: boolean;
  message: string;
}

export interface ActionRunner {
  /** Starts the action; `report` hears that it started and, later, if it failed. */
  start(action: UiAction, report: (outcome: ActionOutcome) => void): void;
}

/** The sluice command line of an action (without the state option). */
export function actionArguments(action: UiAction): string[] {
  switch (action.kind) {
    case 'repair': return ['repair', String(action.runId)];
    case 'cancel': return ['cancel', String(action.runId)];
    case 'trigger': return ['run', action.file];
    case 'pause': return ['pause', action.pipeline];
    case 'unpause': return ['unpause', action.pipeline];
  }
}

/** The question the confirmation asks. */
export function confirmQuestion(action: UiAction): string {
  switch (action.kind) {
    case 'repair': return `Repair run ${action.runId}: rerun its failed tasks and what follows them?`;
    case 'cancel': return `Cancel run ${action.runId}: stop its processes?`;
    case 'trigger': return `Run pipeline '${action.pipeline}' now?`;
    case 'pause': return `Pause the schedule of '${action.pipeline}'?`;
    case 'unpause': return `Unpause the schedule of '${action.pipeline}'?`;
  }
}

export function actionName(action: UiAction): string {
  return `sluice ${actionArguments(action).join(' ')}`;
}

/**
 * Starts `sluice <action> --state <file>` as a detached process with its
 * output in `logDir`. Pause and unpause look the pipeline up in the folder the
 * UI lists, wherever the UI was started.
 */
export class DetachedCli implements ActionRunner {
  private count = 0;

  constructor(private readonly sluice: { executable: string; args: readonly string[] },
    private readonly stateFile: string, private readonly logDir: string, private readonly pipelinesFolder: string) {}

  start(action: UiAction, report: (outcome: ActionOutcome) => void): void {
    const logFile = join(this.logDir, `${++this.count}-${action.kind}.log`);
    const fd = openSync(logFile, 'w');
    let child;
    try {
      const folder = action.kind === 'pause' || action.kind === 'unpause' ? ['--pipelines', this.pipelinesFolder] : [];
      child = spawn(this.sluice.executable, [...this.sluice.args, ...actionArguments(action), ...folder, '--state', this.stateFile], {
        detached: true, stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    child.unref();
    const name = actionName(action);
    child.once('error', (error) => report({ action, ok: false, message: `${name} could not start: ${error.message}` }));
    child.once('spawn', () => report({ action, ok: true, message: `${name} started (pid ${child.pid})` }));
    child.once('exit', (code, signal) => {
      if (code === 0) {
        report({ action, ok: true, message: `${name} finished` });
        return;
      }
      // A failed run (exit 1) is shown by the run's own state; the CLI's words explain anything else.
      const said = lastLines(readOr(logFile), 3);
      report({ action, ok: action.kind === 'repair' || action.kind === 'trigger' ? code === 1 : false,
        message: `${name} ended with ${code === null ? `signal ${signal}` : `exit code ${code}`}${said ? `: ${said}` : ''}` });
    });
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function lastLines(text: string, count: number): string {
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').split('\n').map((line) => line.trim()).filter(Boolean).slice(-count).join(' / ');
}
