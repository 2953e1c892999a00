// Every write the executor makes, each one transaction, committed before the
// step that depends on it; and the reads that `sluice runs/show/logs` and
// the UI make. SQL lives here and nowhere else.
import type { Database } from './database.js';
import type { AttemptState, RunState, TaskState } from './states.js';

export interface PipelineVersionInput {
  name: string;
  file: string;
  sourceHash: string;
  yaml: string;
  gitCommit?: string;
  gitDirty?: boolean;
}

export interface PipelineVersionRow {
  id: number;
  name: string;
  file: string;
  source_hash: string;
  yaml: string;
  git_commit: string | null;
  git_dirty: number | null;
}

export interface RunRow {
  id: number;
  pipeline: string;
  pipeline_version_id: number;
  parent_run_id: number | null;
  parent_task_key: string | null;
  trigger_type: string;
  trigger_time_ms: number;
  parameters_json: string;
  state: RunState;
  state_message: string | null;
  repair_count: number;
  concurrency: number;
  created_ms: number;
  start_ms: number | null;
  end_ms: number | null;
  runner_pid: number | null;
  runner_started: string | null;
  cancel_requested: number;
  run_dir: string;
}

export interface TaskRunRow {
  run_id: number;
  task_key: string;
  parent_task_key: string | null;
  iteration: number | null;
  state: TaskState;
  state_message: string | null;
  attempt_count: number;
  round_first_attempt: number;
  retry_at_ms: number | null;
  start_ms: number | null;
  end_ms: number | null;
  repair_round: number;
  child_run_id: number | null;
}

export interface AttemptRow {
  run_id: number;
  task_key: string;
  attempt: number;
  state: AttemptState;
  start_ms: number;
  end_ms: number | null;
  pid: number | null;
  exit_code: number | null;
  signal: string | null;
  error: string | null;
  stdout_path: string | null;
  stderr_path: string | null;
}

export interface NewRun {
  pipeline: string;
  pipelineVersionId: number;
  parentRunId?: number;
  parentTaskKey?: string;
  triggerType: string;
  triggerTimeMs: number;
  parameters: Record<string, string>;
  concurrency: number;
  taskKeys: readonly string[];
  runsDir: string;
  nowMs: number;
  /** The process that will drive the run, recorded with it so that a run never looks live without a runner. */
  runner: { pid: number; started: string | null };
}

export interface AttemptEnd {
  state: Exclude<AttemptState, 'RUNNING'>;
  endMs: number;
  exitCode?: number | null;
  signal?: string | null;
  error?: string | null;
}

export interface RunFilter {
  pipeline?: string;
  state?: string;
  limit?: number;
}

export class RunStore {
  private readonly statements: ReturnType<typeof prepare>;
  /**
   * Runs `work` in one transaction (a savepoint when nested). Made once:
   * better-sqlite3 builds a new wrapper on every db.transaction() call, and
   * these run several times per task.
   */
  readonly atomically: <T>(work: () => T) => T;

  constructor(readonly db: Database) {
    this.statements = prepare(db);
    const transaction = db.transaction((work: () => unknown) => work());
    this.atomically = <T>(work: () => T) => transaction(work) as T;
  }

  recordPipelineVersion(input: PipelineVersionInput, nowMs: number): number {
    const s = this.statements;
    const commit = input.gitCommit ?? null;
    const existing = s.findVersion.get(input.name, input.sourceHash, commit, commit) as { id: number } | undefined;
    if (existing) return existing.id;
    return Number(s.insertVersion.run(input.name, input.file, input.sourceHash, input.yaml, commit,
      input.gitDirty === undefined ? null : Number(input.gitDirty), nowMs).lastInsertRowid);
  }

  pipelineVersion(id: number): PipelineVersionRow | undefined {
    return this.statements.getVersion.get(id) as PipelineVersionRow | undefined;
  }

  /** Creates the run and a PENDING row per task, in one transaction. */
  createRun(run: NewRun): RunRow {
    const s = this.statements;
    return this.atomically(() => {
      const id = Number(s.insertRun.run(run.pipeline, run.pipelineVersionId, run.parentRunId ?? null, run.parentTaskKey ?? null,
        run.triggerType, run.triggerTimeMs, JSON.stringify(run.parameters), run.concurrency, run.nowMs, run.nowMs,
        `${run.runsDir}/${0}`).lastInsertRowid);
      s.setRunDir.run(`${run.runsDir}/${id}`, id);
      s.claimRun.run(run.runner.pid, run.runner.started, id);
      for (const key of run.taskKeys) s.insertTaskRun.run(id, key, null, null);
      return s.getRun.get(id) as RunRow;
    });
  }

  /** Records which process drives the run, so that others can tell whether it is alive. */
  claimRun(runId: number, pid: number, started: string | null): void {
    this.statements.claimRun.run(pid, started, runId);
  }

  addIterations(runId: number, loopKey: string, count: number): void {
    const s = this.statements;
    this.atomically(() => {
      for (let i = 0; i < count; i++) s.insertTaskRun.run(runId, iterationKey(loopKey, i), loopKey, i);
    });
  }

  startAttempt(runId: number, taskKey: string, attempt: number, startMs: number, logs: { stdout: string; stderr: string } | null): void {
    const s = this.statements;
    this.atomically(() => {
      s.insertAttempt.run(runId, taskKey, attempt, startMs, logs?.stdout ?? null, logs?.stderr ?? null);
      s.taskRunning.run(attempt, startMs, runId, taskKey);
    });
  }

  setAttemptProcess(runId: number, taskKey: string, attempt: number, pid: number): void {
    this.statements.attemptProcess.run(pid, runId, taskKey, attempt);
  }

  /** Ends an attempt and, when `task` is given, the task too, with its values; atomically. */
  finishAttempt(runId: number, taskKey: string, attempt: number, end: AttemptEnd,
    task?: { state: TaskState; message?: string | null; retryAtMs?: number | null; values?: Record<string, string> }): void {
    const s = this.statements;
    this.atomically(() => {
      s.endAttempt.run(end.state, end.endMs, end.exitCode ?? null, end.signal ?? null, end.error ?? null, runId, taskKey, attempt);
      if (!task) return;
      for (const [name, value] of Object.entries(task.values ?? {})) s.upsertValue.run(runId, taskKey, name, value);
      const terminal = task.state !== 'RETRY_WAIT' && task.state !== 'RUNNING';
      s.setTaskState.run(task.state, task.message ?? null, task.retryAtMs ?? null, terminal ? end.endMs : null, runId, taskKey);
    });
  }

  /** A task that ends without an attempt (a condition, a skipped or excluded task, a finished loop). */
  setTaskState(runId: number, taskKey: string, state: TaskState, nowMs: number,
    extra: { message?: string | null; values?: Record<string, string>; started?: boolean } = {}): void {
    const s = this.statements;
    this.atomically(() => {
      for (const [name, value] of Object.entries(extra.values ?? {})) s.upsertValue.run(runId, taskKey, name, value);
      if (extra.started) s.markStarted.run(nowMs, runId, taskKey);
      const terminal = state !== 'RETRY_WAIT' && state !== 'RUNNING' && state !== 'PENDING';
      s.setTaskState.run(state, extra.message ?? null, null, terminal ? nowMs : null, runId, taskKey);
    });
  }

  setChildRun(runId: number, taskKey: string, childRunId: number): void {
    this.statements.setChildRun.run(childRunId, runId, taskKey);
  }

  finishRun(runId: number, state: RunState, message: string | null, nowMs: number): void {
    this.statements.finishRun.run(state, message, nowMs, runId);
  }

  requestCancel(runId: number): void {
    this.statements.requestCancel.run(runId);
  }

  /**
   * Starts a repair: the given tasks (and their loop iterations) go back to
   * PENDING with their values dropped, the run counts one more repair and
   * is RUNNING again. Attempt numbers go on from where they were.
   */
  beginRepair(runId: number, taskKeys: readonly string[]): number {
    const s = this.statements;
    return this.atomically(() => {
      s.beginRepair.run(runId);
      const round = (s.getRun.get(runId) as RunRow).repair_count;
      for (const key of taskKeys) {
        s.deleteValues.run(runId, key);
        s.resetTask.run(round, runId, key);
        s.deleteIterationValues.run(runId, runId, key);
        s.resetIterations.run(round, runId, key);
      }
      return round;
    });
  }

  /** Marks the run live again after its runner died (sluice resume). */
  reopenRun(runId: number): void {
    this.statements.reopenRun.run(runId);
  }

  run(runId: number): RunRow | undefined {
    return this.statements.getRun.get(runId) as RunRow | undefined;
  }

  runs(filter: RunFilter = {}): RunRow[] {
    return this.statements.listRuns.all(filter.pipeline ?? null, filter.pipeline ?? null, filter.state ?? null,
      filter.state ?? null, filter.limit ?? -1) as RunRow[];
  }

  taskRuns(runId: number): TaskRunRow[] {
    return this.statements.getTaskRuns.all(runId) as TaskRunRow[];
  }

  attempts(runId: number, taskKey?: string): AttemptRow[] {
    return (taskKey === undefined ? this.statements.getAttempts.all(runId)
      : this.statements.getTaskAttempts.all(runId, taskKey)) as AttemptRow[];
  }

  /** task key → value name → value. */
  values(runId: number): Map<string, Record<string, string>> {
    const out = new Map<string, Record<string, string>>();
    for (const row of this.statements.getValues.all(runId) as { task_key: string; name: string; value: string }[]) {
      let values = out.get(row.task_key);
      if (!values) out.set(row.task_key, values = {});
      values[row.name] = row.value;
    }
    return out;
  }
}

/** The task key of iteration `index` of a for_each task, as shown and stored. */
export function iterationKey(loopKey: string, index: number): string {
  return `${loopKey}[${index}]`;
}

function prepare(db: Database) {
  return {
    findVersion: db.prepare(`SELECT id FROM pipeline_versions WHERE name = ? AND source_hash = ?
      AND (git_commit = ? OR (git_commit IS NULL AND ? IS NULL))`),
    insertVersion: db.prepare(`INSERT INTO pipeline_versions (name, file, source_hash, yaml, git_commit, git_dirty, first_seen_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    getVersion: db.prepare('SELECT * FROM pipeline_versions WHERE id = ?'),
    insertRun: db.prepare(`INSERT INTO runs (pipeline, pipeline_version_id, parent_run_id, parent_task_key, trigger_type,
      trigger_time_ms, parameters_json, state, concurrency, created_ms, start_ms, run_dir)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'RUNNING', ?, ?, ?, ?)`),
    setRunDir: db.prepare('UPDATE runs SET run_dir = ? WHERE id = ?'),
    claimRun: db.prepare('UPDATE runs SET runner_pid = ?, runner_started = ? WHERE id = ?'),
    insertTaskRun: db.prepare(`INSERT INTO task_runs (run_id, task_key, parent_task_key, iteration, state)
      VALUES (?, ?, ?, ?, 'PENDING') ON CONFLICT (run_id, task_key) DO NOTHING`),
    insertAttempt: db.prepare(`INSERT INTO attempts (run_id, task_key, attempt, state, start_ms, stdout_path, stderr_path)
      VALUES (?, ?, ?, 'RUNNING', ?, ?, ?)`),
    taskRunning: db.prepare(`UPDATE task_runs SET state = 'RUNNING', state_message = NULL, retry_at_ms = NULL,
      attempt_count = ?, start_ms = coalesce(start_ms, ?), end_ms = NULL WHERE run_id = ? AND task_key = ?`),
    attemptProcess: db.prepare('UPDATE attempts SET pid = ? WHERE run_id = ? AND task_key = ? AND attempt = ?'),
    endAttempt: db.prepare(`UPDATE attempts SET state = ?, end_ms = ?, exit_code = ?, signal = ?, error = ?
      WHERE run_id = ? AND task_key = ? AND attempt = ?`),
    upsertValue: db.prepare(`INSERT INTO task_values (run_id, task_key, name, value) VALUES (?, ?, ?, ?)
      ON CONFLICT (run_id, task_key, name) DO UPDATE SET value = excluded.value`),
    markStarted: db.prepare('UPDATE task_runs SET start_ms = coalesce(start_ms, ?) WHERE run_id = ? AND task_key = ?'),
    setTaskState: db.prepare(`UPDATE task_runs SET state = ?, state_message = ?, retry_at_ms = ?, end_ms = ?
      WHERE run_id = ? AND task_key = ?`),
    setChildRun: db.prepare('UPDATE task_runs SET child_run_id = ? WHERE run_id = ? AND task_key = ?'),
    finishRun: db.prepare('UPDATE runs SET state = ?, state_message = ?, end_ms = ? WHERE id = ?'),
    requestCancel: db.prepare('UPDATE runs SET cancel_requested = 1 WHERE id = ?'),
    beginRepair: db.prepare(`UPDATE runs SET repair_count = repair_count + 1, state = 'RUNNING', state_message = NULL,
      end_ms = NULL, cancel_requested = 0 WHERE id = ?`),
    reopenRun: db.prepare(`UPDATE runs SET state = 'RUNNING', end_ms = NULL, cancel_requested = 0 WHERE id = ?`),
    deleteValues: db.prepare('DELETE FROM task_values WHERE run_id = ? AND task_key = ?'),
    deleteIterationValues: db.prepare(`DELETE FROM task_values WHERE run_id = ? AND task_key IN
      (SELECT task_key FROM task_runs WHERE run_id = ? AND parent_task_key = ?)`),
    resetTask: db.prepare(`UPDATE task_runs SET state = 'PENDING', state_message = NULL, retry_at_ms = NULL, start_ms = NULL,
      end_ms = NULL, repair_round = ?, round_first_attempt = attempt_count + 1, child_run_id = NULL
      WHERE run_id = ? AND task_key = ?`),
    resetIterations: db.prepare(`UPDATE task_runs SET state = 'PENDING', state_message = NULL, retry_at_ms = NULL, start_ms = NULL,
      end_ms = NULL, repair_round = ?, round_first_attempt = attempt_count + 1, child_run_id = NULL
      WHERE run_id = ? AND parent_task_key = ?`),
    getRun: db.prepare('SELECT * FROM runs WHERE id = ?'),
    listRuns: db.prepare(`SELECT * FROM runs WHERE (? IS NULL OR pipeline = ?) AND (? IS NULL OR state = ?)
      ORDER BY id DESC LIMIT ?`),
    getTaskRuns: db.prepare('SELECT * FROM task_runs WHERE run_id = ? ORDER BY rowid'),
    getAttempts: db.prepare('SELECT * FROM attempts WHERE run_id = ? ORDER BY task_key, attempt'),
    getTaskAttempts: db.prepare('SELECT * FROM attempts WHERE run_id = ? AND task_key = ? ORDER BY attempt'),
    getValues: db.prepare('SELECT task_key, name, value FROM task_values WHERE run_id = ?'),
  };
}
