// The scheduler's SQL: run requests (one per fire, made unique by their fire
// key), trigger cursors, pauses set with `sluice pause`, and the daemons'
// leases. A request becomes a run in the same IMMEDIATE transaction that
// checks max_concurrent_runs, so two daemons never start one fire twice.
import type { Database } from './database.js';
import type { PipelineVersionRow, RunRow } from './run-store.js';

export type RequestState = 'QUEUED' | 'STARTED' | 'SKIPPED' | 'FAILED';

export interface RunRequestRow {
  id: number;
  pipeline: string;
  fire_key: string;
  trigger_type: string;
  trigger_time_ms: number;
  parameters_json: string;
  state: RequestState;
  message: string | null;
  run_id: number | null;
  created_ms: number;
  settled_ms: number | null;
}

export interface NewRunRequest {
  pipeline: string;
  /** Unique per pipeline: `schedule:<iso time>`, `manual:<uuid>`, `upstream:<run id>`, … */
  fireKey: string;
  triggerType: string;
  triggerTimeMs: number;
  parameters?: Record<string, string>;
  nowMs: number;
}

export interface DaemonRow {
  id: string;
  pid: number;
  process_started: string | null;
  pipelines_dir: string;
  started_ms: number;
  heartbeat_ms: number;
  stopped_ms: number | null;
  stop_reason: string | null;
}

/** What became of a queued request: its run started, it waits for a free run slot, or it was skipped. */
export type Admission = { kind: 'started'; run: RunRow } | { kind: 'waiting' } | { kind: 'skipped'; message: string };

export class ScheduleStore {
  private readonly statements: ReturnType<typeof prepare>;

  constructor(readonly db: Database) {
    this.statements = prepare(db);
  }

  /** Records a request unless one with the same fire key exists; true when it is new. */
  enqueue(request: NewRunRequest): boolean {
    return this.statements.insertRequest.run(request.pipeline, request.fireKey, request.triggerType, request.triggerTimeMs,
      JSON.stringify(request.parameters ?? {}), request.nowMs).changes > 0;
  }

  request(id: number): RunRequestRow | undefined {
    return this.statements.getRequest.get(id) as RunRequestRow | undefined;
  }

  requestByKey(pipeline: string, fireKey: string): RunRequestRow | undefined {
    return this.statements.getRequestByKey.get(pipeline, fireKey) as RunRequestRow | undefined;
  }

  queued(): RunRequestRow[] {
    return this.statements.queued.all() as RunRequestRow[];
  }

  /**
   * Settles a queued request in one IMMEDIATE transaction: `admit` looks at
   * the pipeline's active runs and creates the run (nested in this
   * transaction) or says why not. Undefined when another process settled it first.
   */
  admit(requestId: number, admit: (request: RunRequestRow) => Admission, nowMs: number): Admission | undefined {
    const s = this.statements;
    return this.db.transaction(() => {
      const request = s.getRequest.get(requestId) as RunRequestRow | undefined;
      if (request?.state !== 'QUEUED') return undefined;
      const outcome = admit(request);
      if (outcome.kind === 'started') s.settle.run('STARTED', null, outcome.run.id, nowMs, requestId);
      else if (outcome.kind === 'skipped') s.settle.run('SKIPPED', outcome.message, null, nowMs, requestId);
      return outcome;
    }).immediate();
  }

  /** A request that cannot become a run (its pipeline is gone, a parameter no longer fits). */
  fail(requestId: number, message: string, nowMs: number): void {
    this.statements.failQueued.run(message, nowMs, requestId);
  }

  /** Runs of the pipeline that have not ended, child runs included. */
  activeRuns(pipeline: string): RunRow[] {
    return this.statements.activeRuns.all(pipeline) as RunRow[];
  }

  latestRun(pipeline: string): RunRow | undefined {
    return this.statements.latestRun.get(pipeline) as RunRow | undefined;
  }

  latestRequest(pipeline: string, state: RequestState): RunRequestRow | undefined {
    return this.statements.latestRequest.get(pipeline, state) as RunRequestRow | undefined;
  }

  /** Top-level runs of the given pipelines that ended at or after `sinceMs`, with whether a task reported drift. */
  endedRuns(pipelines: readonly string[], sinceMs: number): { id: number; pipeline: string; state: string; end_ms: number; drift: number }[] {
    if (pipelines.length === 0) return [];
    return this.statements.endedRuns.all(JSON.stringify(pipelines), sinceMs) as { id: number; pipeline: string; state: string; end_ms: number; drift: number }[];
  }

  cursor(pipeline: string, trigger: string): number | undefined {
    return (this.statements.getCursor.get(pipeline, trigger) as { position: number } | undefined)?.position;
  }

  /** Moves a cursor forward only: two daemons may advance it in either order. */
  advanceCursor(pipeline: string, trigger: string, position: number): void {
    this.statements.advanceCursor.run(pipeline, trigger, position);
  }

  /**
   * The newest stored version of a pipeline: the one recorded or run last.
   * When its file stops validating, a daemon records the version it keeps
   * serving, so this is what a daemon serves for a broken file.
   */
  latestVersion(pipeline: string): PipelineVersionRow | undefined {
    return this.statements.latestVersion.get(pipeline) as PipelineVersionRow | undefined;
  }

  /** Every pipeline name with the files its versions came from, newest first. */
  versionFiles(): { name: string; file: string }[] {
    return this.statements.versionFiles.all() as { name: string; file: string }[];
  }

  setPaused(pipeline: string, paused: boolean, nowMs: number): void {
    this.statements.setPause.run(pipeline, Number(paused), nowMs);
  }

  /** Pauses set with `sluice pause/unpause`, which override the YAML's `paused`. */
  pauses(): Map<string, boolean> {
    const rows = this.statements.pauses.all() as { pipeline: string; paused: number }[];
    return new Map(rows.map((row) => [row.pipeline, row.paused === 1]));
  }

  registerDaemon(daemon: { id: string; pid: number; processStarted: string | null; pipelinesDir: string; nowMs: number }): void {
    this.statements.insertDaemon.run(daemon.id, daemon.pid, daemon.processStarted, daemon.pipelinesDir, daemon.nowMs, daemon.nowMs);
  }

  /** Renews the lease; false when another daemon has ended it (taken over this daemon's runs). */
  heartbeat(daemonId: string, nowMs: number): boolean {
    return this.statements.heartbeat.run(nowMs, daemonId).changes > 0;
  }

  /** Ends a lease; false when it had already ended (another daemon took it over first). */
  endDaemon(daemonId: string, reason: string, nowMs: number): boolean {
    return this.statements.endDaemon.run(nowMs, reason, daemonId).changes > 0;
  }

  liveDaemons(): DaemonRow[] {
    return this.statements.liveDaemons.all() as DaemonRow[];
  }

  /** Top-level runs that a process (a daemon) was driving and that have not ended. */
  runsDrivenBy(pid: number, processStarted: string | null): RunRow[] {
    return this.statements.runsDrivenBy.all(pid, processStarted, processStarted) as RunRow[];
  }
}

function prepare(db: Database) {
  return {
    insertRequest: db.prepare(`INSERT INTO run_requests (pipeline, fire_key, trigger_type, trigger_time_ms, parameters_json, state, created_ms)
      VALUES (?, ?, ?, ?, ?, 'QUEUED', ?) ON CONFLICT (pipeline, fire_key) DO NOTHING`),
    getRequest: db.prepare('SELECT * FROM run_requests WHERE id = ?'),
    getRequestByKey: db.prepare('SELECT * FROM run_requests WHERE pipeline = ? AND fire_key = ?'),
    queued: db.prepare(`SELECT * FROM run_requests WHERE state = 'QUEUED' ORDER BY trigger_time_ms, id`),
    settle: db.prepare('UPDATE run_requests SET state = ?, message = ?, run_id = ?, settled_ms = ? WHERE id = ?'),
    failQueued: db.prepare(`UPDATE run_requests SET state = 'FAILED', message = ?, settled_ms = ? WHERE id = ? AND state = 'QUEUED'`),
    activeRuns: db.prepare(`SELECT * FROM runs WHERE pipeline = ? AND state = 'RUNNING'`),
    latestRun: db.prepare('SELECT * FROM runs WHERE pipeline = ? ORDER BY id DESC LIMIT 1'),
    latestRequest: db.prepare('SELECT * FROM run_requests WHERE pipeline = ? AND state = ? ORDER BY id DESC LIMIT 1'),
    endedRuns: db.prepare(`SELECT r.id, r.pipeline, r.state, r.end_ms, EXISTS (SELECT 1 FROM task_values v WHERE v.run_id = r.id
        AND v.name = 'drift_detected' AND lower(v.value) = 'true') AS drift
      FROM runs r WHERE r.pipeline IN (SELECT value FROM json_each(?)) AND r.parent_run_id IS NULL AND r.state <> 'RUNNING'
        AND r.end_ms >= ? ORDER BY r.end_ms, r.id`),
    getCursor: db.prepare('SELECT position FROM trigger_cursors WHERE pipeline = ? AND trigger = ?'),
    advanceCursor: db.prepare(`INSERT INTO trigger_cursors (pipeline, trigger, position) VALUES (?, ?, ?)
      ON CONFLICT (pipeline, trigger) DO UPDATE SET position = max(position, excluded.position)`),
    latestVersion: db.prepare(`SELECT v.* FROM pipeline_versions v WHERE v.name = ? ORDER BY max(v.first_seen_ms,
      coalesce((SELECT max(r.created_ms) FROM runs r WHERE r.pipeline_version_id = v.id), 0)) DESC, v.id DESC LIMIT 1`),
    versionFiles: db.prepare('SELECT name, file FROM pipeline_versions GROUP BY name, file ORDER BY max(id) DESC'),
    setPause: db.prepare(`INSERT INTO schedule_pauses (pipeline, paused, changed_ms) VALUES (?, ?, ?)
      ON CONFLICT (pipeline) DO UPDATE SET paused = excluded.paused, changed_ms = excluded.changed_ms`),
    pauses: db.prepare('SELECT pipeline, paused FROM schedule_pauses'),
    insertDaemon: db.prepare(`INSERT INTO daemons (id, pid, process_started, pipelines_dir, started_ms, heartbeat_ms)
      VALUES (?, ?, ?, ?, ?, ?)`),
    heartbeat: db.prepare('UPDATE daemons SET heartbeat_ms = ? WHERE id = ? AND stopped_ms IS NULL'),
    endDaemon: db.prepare('UPDATE daemons SET stopped_ms = ?, stop_reason = ? WHERE id = ? AND stopped_ms IS NULL'),
    liveDaemons: db.prepare('SELECT * FROM daemons WHERE stopped_ms IS NULL ORDER BY started_ms'),
    runsDrivenBy: db.prepare(`SELECT * FROM runs WHERE state = 'RUNNING' AND parent_run_id IS NULL AND runner_pid = ?
      AND (runner_started = ? OR (runner_started IS NULL AND ? IS NULL)) ORDER BY id`),
  };
}
