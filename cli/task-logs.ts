// `sluice logs`: task output copied from the attempts' log files as bytes
// (never decoded, so a character split between two reads stays whole), once,
// or with --follow as the files grow, like `tail -f`. One loop does both: a
// plain `logs` is a follow that stops after its first pass.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../engine/diagnostics.js';
import type { AttemptRow, RunRow, RunStore, TaskRunRow } from '../engine/state/run-store.js';
import { isTerminalTaskState } from '../engine/state/states.js';
import { hint } from '../engine/suggest.js';
import { type RunnerStatus, taskTree } from './run-format.js';
import type { Style } from './terminal-style.js';

export type Streams = 'both' | 'stdout' | 'stderr';

export interface LogsRequest {
  store: RunStore;
  run: RunRow;
  /** One task (a for_each loop: its iterations), or every task. */
  task?: string;
  /** A fixed attempt of `task`; otherwise the latest, moving on when a retry starts. */
  attempt?: number;
  streams: Streams;
  follow: boolean;
  runnerStatus: (run: RunRow) => RunnerStatus;
  write: (chunk: Uint8Array | string) => void;
  /** Remarks about the output rather than output (standard error). */
  note: (message: string) => void;
  style: Style;
  pollMs?: number;
}

export async function printLogs(request: LogsRequest): Promise<void> {
  const { store, run: { id: runId }, task, attempt: fixedAttempt, follow } = request;
  const rows = store.taskRuns(runId);
  if (task !== undefined) checkTask(request, rows);
  const startAttempts = groupByTask(store.attempts(runId));
  const startKeys = keysToPrint(rows, startAttempts, task);
  const startSections = startKeys.filter((key) => (startAttempts.get(key)?.length ?? 0) > 0).length;
  const growing = follow && (task === undefined || startKeys.length > 1 || startKeys[0] !== task);
  const printer = new LogPrinter(request, startSections > 1 || growing);

  if (startSections === 0) {
    const live = request.run.state === 'RUNNING' && request.runnerStatus(request.run) !== 'gone';
    const row = rows.find((r) => r.task_key === task);
    if (!follow || !live || (row && isTerminalTaskState(row.state))) {
      if (row) throw new UsageError(noOutputMessage(request.run, row, live), 1);
      request.note(`run ${runId}: no task has started${live ? ' yet' : ''}, so there is no output`);
      return;
    }
    request.note(task === undefined ? `waiting for the first task of run ${runId} to start…` : `waiting for task '${task}' to start…`);
  }

  /** task key → the attempt being printed; attempts after it follow in turn. */
  const current = new Map<string, number>();
  for (let first = true; ; first = false) {
    // Read the run before the files: when it has ended, this pass drains everything written before it did.
    const run = store.run(runId)!;
    const runner = request.runnerStatus(run);
    const taskRows = store.taskRuns(runId);
    const attempts = groupByTask(store.attempts(runId));
    let done = run.state !== 'RUNNING' || runner === 'gone';
    for (const key of keysToPrint(taskRows, attempts, task)) {
      const list = attempts.get(key) ?? [];
      const from = fixedAttempt ?? current.get(key) ?? (first ? list.at(-1)?.attempt : list[0]?.attempt);
      for (const attempt of list) {
        if (from === undefined || attempt.attempt < from || (fixedAttempt !== undefined && attempt.attempt !== fixedAttempt)) continue;
        printer.drain(run, key, attempt);
        current.set(key, attempt.attempt);
        if (fixedAttempt !== undefined && attempt.state !== 'RUNNING') done = true;
      }
    }
    // A task that has ended writes no more; a whole run is followed until it ends.
    const row = taskRows.find((r) => r.task_key === task);
    if (row && isTerminalTaskState(row.state)) done = true;
    if (!follow || done) {
      if (follow && run.state === 'RUNNING' && runner === 'gone') {
        request.note(`run ${runId} was interrupted: its runner${run.runner_pid === null ? '' : ` (pid ${run.runner_pid})`} is gone; \`sluice resume ${runId}\` continues it`);
      }
      return;
    }
    await sleep(request.pollMs ?? 250);
  }
}

function checkTask({ run, task, attempt, store }: LogsRequest, rows: readonly TaskRunRow[]): void {
  const keys = rows.map((r) => r.task_key);
  if (!keys.includes(task!)) {
    throw new UsageError(`run ${run.id} has no task '${task}'${hint(task!, keys, `\`sluice show ${run.id}\` lists its tasks`)}`);
  }
  if (attempt === undefined) return;
  const numbers = store.attempts(run.id, task).map((a) => a.attempt);
  if (numbers.includes(attempt)) return;
  const had = numbers.length === 0 ? 'it has not run yet'
    : numbers.length === 1 ? `it has attempt ${numbers[0]} only` : `its attempts are ${numbers[0]} to ${numbers.at(-1)}`;
  throw new UsageError(`task '${task}' of run ${run.id} has no attempt ${attempt}; ${had}`);
}

function noOutputMessage(run: RunRow, row: TaskRunRow, live: boolean): string {
  const task = `task '${row.task_key}' of run ${run.id}`;
  if (row.child_run_id !== null) return `${task} ran as run ${row.child_run_id}; \`sluice logs ${row.child_run_id}\` shows its output`;
  const why = row.state_message ? ` (${row.state_message.split('\n')[0]})` : '';
  if (isTerminalTaskState(row.state)) return `${task} never ran: it ended ${row.state}${why}, so it has no output`;
  if (!live) return `${task} never started: the run is ${run.state === 'RUNNING' ? 'interrupted' : run.state}`;
  if (row.state === 'PENDING') return `${task} has not started yet; \`sluice logs ${run.id} ${row.task_key} --follow\` waits for it`;
  return `${task} has no output yet (${row.state})`;
}

function groupByTask(attempts: readonly AttemptRow[]): Map<string, AttemptRow[]> {
  const out = new Map<string, AttemptRow[]>();
  for (const attempt of attempts) {
    const list = out.get(attempt.task_key) ?? [];
    list.push(attempt);
    out.set(attempt.task_key, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.attempt - b.attempt);
  return out;
}

/** Every task in display order; or the named one; or, for a loop that runs nothing itself, its iterations. */
function keysToPrint(rows: readonly TaskRunRow[], attempts: ReadonlyMap<string, readonly AttemptRow[]>, task?: string): string[] {
  if (task === undefined) return taskTree(rows).map(({ row }) => row.task_key);
  const iterations = rows.filter((r) => r.parent_task_key === task).sort((a, b) => (a.iteration ?? 0) - (b.iteration ?? 0));
  return iterations.length > 0 && !attempts.has(task) ? iterations.map((r) => r.task_key) : [task];
}

/**
 * Writes new bytes of attempt log files, with a `==> task (attempt n) <==`
 * line whenever the output moves to another attempt (once there is more than
 * one), and `--- stderr ---` / `--- stdout ---` where it moves between streams.
 */
class LogPrinter {
  /** Log file → bytes already printed. */
  private readonly printed = new Map<string, number>();
  private readonly announced = new Set<string>();
  private section: string | undefined;
  private stream: 'stdout' | 'stderr' = 'stdout';
  private atLineStart = true;
  private wroteAny = false;

  constructor(private readonly request: LogsRequest, private readonly headers: boolean) {}

  drain(run: RunRow, key: string, attempt: AttemptRow): void {
    const id = `${key} (attempt ${attempt.attempt})`;
    // A new attempt is announced before it writes anything: a retry shows as it starts.
    if ((this.headers || this.section !== undefined) && !this.announced.has(id)) this.enter(id, 'stdout');
    this.announced.add(id);
    const { streams } = this.request;
    const stdout = attempt.stdout_path === null ? null : resolve(run.run_dir, attempt.stdout_path);
    const stderr = attempt.stderr_path === null ? null : resolve(run.run_dir, attempt.stderr_path);
    if (streams !== 'stderr' && stdout) this.copyNew(stdout, () => this.enter(id, 'stdout'));
    // One file for both streams is printed once.
    if (streams !== 'stdout' && stderr && (stderr !== stdout || streams === 'stderr')) this.copyNew(stderr, () => this.enter(id, 'stderr'));
  }

  private enter(id: string, stream: 'stdout' | 'stderr'): void {
    const { write, style, streams } = this.request;
    if (id !== this.section) {
      if (this.headers || this.section !== undefined) {
        this.endLine();
        write(`${this.wroteAny ? '\n' : ''}${style.bold(`==> ${id} <==`)}\n`);
        this.wroteAny = true;
      }
      this.section = id;
      this.stream = 'stdout';
    }
    if (streams === 'both' && stream !== this.stream) {
      this.endLine();
      write(`${style.dim(`--- ${stream} ---`)}\n`);
      this.wroteAny = true;
      this.stream = stream;
    }
  }

  private endLine(): void {
    if (!this.atLineStart) this.request.write('\n');
    this.atLineStart = true;
  }

  /** Copies the bytes after those already printed; a file not written yet reads as empty. */
  private copyNew(file: string, before: () => void): void {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new UsageError(`cannot read the log ${file}: ${(error as Error).message}`);
    }
    try {
      const size = fstatSync(fd).size;
      let offset = this.printed.get(file) ?? 0;
      if (size < offset) offset = 0; // truncated and rewritten: start again, as tail does
      const buffer = Buffer.alloc(64 * 1024);
      for (let first = true; offset < size; first = false) {
        const n = readSync(fd, buffer, 0, Math.min(buffer.length, size - offset), offset);
        if (n === 0) break;
        if (first) before();
        this.request.write(Buffer.from(buffer.subarray(0, n)));
        this.atLineStart = buffer[n - 1] === 0x0a;
        this.wroteAny = true;
        offset += n;
      }
      this.printed.set(file, offset);
    } finally {
      closeSync(fd);
    }
  }
}
