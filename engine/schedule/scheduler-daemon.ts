// `sluice serve`: one loop that looks at every served pipeline's triggers
// when one is due (or a second has passed, or someone nudged it), records
// run requests, and starts the requests it can through the RunService. It
// renews its lease, takes over the runs of daemons that died, follows the
// pipelines folder, and on stop lets running runs finish within a grace period.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { RunEvent } from '../execute/run-executor.js';
import type { RunService } from '../execute/run-service.js';
import type { Pipeline } from '../spec/model.js';
import type { LoadedPipeline } from '../spec/pipeline-loader.js';
import type { RunRow } from '../state/run-store.js';
import type { ScheduleStore } from '../state/schedule-store.js';
import { HEARTBEAT_MILLIS, type DaemonLease } from './daemon-lease.js';
import { lookAtFileArrival, type ArrivalState } from './file-arrival.js';
import type { CatalogChange, PipelineCatalog } from './pipeline-catalog.js';
import { RequestDispatcher, type StartedRun } from './request-dispatcher.js';
import type { RunMonitor } from './run-monitor.js';
import { TimeTriggers } from './time-triggers.js';
import { lookAtUpstream } from './upstream-triggers.js';

export interface DaemonLog {
  info(line: string): void;
  warn(line: string): void;
  /** A pipeline file with errors; `kept` names the pipeline whose last valid version stays in service. */
  invalidPipeline(loaded: LoadedPipeline, kept: string | undefined): void;
}

export interface SchedulerDaemonOptions {
  store: ScheduleStore;
  service: RunService;
  catalog: PipelineCatalog;
  lease: DaemonLease;
  monitor: RunMonitor;
  log: DaemonLog;
  now?: () => number;
  /** Longest sleep between looks: what `sluice trigger` waits at most without a nudge, and the file_arrival polling period. */
  pollMillis?: number;
  /** How often the folder is read again in case a change escaped the watcher. */
  rescanMillis?: number;
}

export class SchedulerDaemon {
  private readonly now: () => number;
  private readonly timeTriggers: TimeTriggers;
  private readonly dispatcher: RequestDispatcher;
  private readonly running = new Map<number, Promise<unknown>>();
  private readonly arrivals = new Map<string, ArrivalState>();
  /** When each pipeline's time triggers next need a look; absent: look now. */
  private readonly wakeAt = new Map<string, number>();
  private pauses = new Map<string, boolean>();
  /** Files with errors already logged, with the hash of the content that was logged. */
  private readonly reportedInvalid = new Map<string, string>();
  private lookTimer: NodeJS.Timeout | undefined;
  private readonly intervals: NodeJS.Timeout[] = [];
  private stopping = false;
  private markFinished!: () => void;
  /** Resolves when the daemon has stopped: after stop(), or by itself when another daemon ended its lease. */
  readonly finished = new Promise<void>((resolve) => { this.markFinished = resolve; });

  constructor(private readonly options: SchedulerDaemonOptions) {
    this.now = options.now ?? Date.now;
    this.timeTriggers = new TimeTriggers(options.store);
    this.dispatcher = new RequestDispatcher(options.store, options.service, this.now);
  }

  /** Takes the lease, loads the folder, goes on with runs of dead daemons, and starts looking. Throws for a folder it cannot read. */
  start(): void {
    const { lease, catalog, log } = this.options;
    // Everything is new at start; the line below names what is served.
    this.applyCatalogChange({ ...catalog.reload(), added: [] });
    lease.acquire(catalog.folder);
    const served = catalog.all();
    log.info(`serving ${served.length} pipeline${served.length === 1 ? '' : 's'} from ${catalog.folder}: ${served.map((s) => s.pipeline.name).sort().join(', ') || 'none yet'}`);
    catalog.watch(() => this.reloadPipelines());
    this.takeOverDeadDaemons();
    this.intervals.push(setInterval(() => this.heartbeat(), HEARTBEAT_MILLIS));
    this.intervals.push(setInterval(() => this.reloadPipelines(), this.options.rescanMillis ?? 30_000));
    this.look();
  }

  /** Look now: `sluice trigger` and `sluice pause` signal the daemon, and a finished run may free a slot or fire a trigger. */
  nudge(): void {
    if (this.stopping) return;
    clearTimeout(this.lookTimer);
    this.lookTimer = setTimeout(() => this.look(), 0);
  }

  onRunEvent = (event: RunEvent): void => {
    this.options.monitor.handle(event);
    if (event.kind === 'run-finished') this.nudge();
  };

  get activeRuns(): number {
    return this.running.size;
  }

  /** Stops scheduling, gives running runs `graceMillis` to finish, then cancels and records the rest. */
  async stop(graceMillis: number): Promise<void> {
    const { log, service, lease, catalog, monitor } = this.options;
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.lookTimer);
    for (const interval of this.intervals) clearInterval(interval);
    catalog.close();
    if (this.running.size > 0) {
      log.info(`stopping: no new runs; waiting up to ${Math.round(graceMillis / 1000)} s for ${this.running.size} running run${this.running.size === 1 ? '' : 's'}`);
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMillis); });
      await Promise.race([Promise.allSettled([...this.running.values()]), graceOver]);
      clearTimeout(timer);
      if (this.running.size > 0) {
        log.info(`grace period over: canceling ${this.running.size} run${this.running.size === 1 ? '' : 's'}`);
        service.stopAll('canceled: sluice serve stopped and its grace period ran out');
        await Promise.allSettled([...this.running.values()]);
      }
    }
    monitor.close();
    lease.release('stopped');
    log.info('stopped');
    this.markFinished();
  }

  /**
   * One look at every served pipeline, then the queue. An error (a busy or
   * unreadable state database) is logged and the look is tried again at the
   * next poll: the daemon keeps serving the other pipelines and its runs.
   */
  private look(): void {
    if (this.stopping) return;
    const now = this.now();
    let wake = Infinity;
    try {
      this.refreshPauses();
      for (const { pipeline } of this.options.catalog.all()) {
        try {
          wake = Math.min(wake, this.lookAt(pipeline, now));
        } catch (error) {
          this.options.log.warn(`${pipeline.name}: its triggers could not be looked at (${(error as Error).message}); trying again`);
        }
      }
      this.dispatch();
    } catch (error) {
      this.options.log.warn(`the run queue could not be read (${(error as Error).message}); trying again`);
    }
    const next = Math.min(wake, now + (this.options.pollMillis ?? 1000));
    this.lookTimer = setTimeout(() => this.look(), Math.max(0, next - this.now()));
  }

  /** Records the pipeline's due run requests; returns when its time triggers next need a look. */
  private lookAt(pipeline: Pipeline, now: number): number {
    const { store, log } = this.options;
    const paused = this.pauses.get(pipeline.name) ?? pipeline.schedule?.paused ?? false;
    const due = this.wakeAt.get(pipeline.name);
    if (due === undefined || due <= now) {
      const look = this.timeTriggers.look(pipeline, paused, new Date(now));
      for (const fire of look.enqueued) log.info(`${pipeline.name}: ${fire.triggerType} fire ${fire.time.toISOString()}`);
      if (look.skippedFrom) log.info(`${pipeline.name}: missed fire times from ${look.skippedFrom.toISOString()} skipped (catchup: ${pipeline.schedule?.catchup})`);
      this.wakeAt.set(pipeline.name, look.nextWake?.getTime() ?? Infinity);
    }
    // Paused triggers still look, to pass over what happens while paused.
    for (const fired of lookAtUpstream(store, pipeline, now, paused)) log.info(`${pipeline.name}: ${fired.triggerType} trigger from run ${fired.upstreamRunId}`);
    if (lookAtFileArrival(store, pipeline, this.arrivals, now, paused)) log.info(`${pipeline.name}: file_arrival trigger (${pipeline.trigger!.fileArrival!.path})`);
    return this.wakeAt.get(pipeline.name)!;
  }

  private dispatch(): void {
    const { log, catalog } = this.options;
    const result = this.dispatcher.dispatch((name) => catalog.get(name));
    for (const { request, message } of result.skipped) log.info(`${request.pipeline}: ${request.trigger_type} request ${request.fire_key} skipped: ${message}`);
    for (const { request, message } of result.failed) log.warn(`${request.pipeline}: ${request.trigger_type} request ${request.fire_key} cannot run: ${message}`);
    for (const started of result.started) this.execute(started);
  }

  private execute({ request, run, source }: StartedRun): void {
    const { service, monitor, log } = this.options;
    log.info(`${run.pipeline}: run ${run.id} started (${request.trigger_type} ${new Date(request.trigger_time_ms).toISOString()}, yaml ${source.pipeline.sourceHash.slice(0, 12)})`);
    monitor.watch(run.id, source.pipeline, request.trigger_type, run.start_ms ?? run.created_ms);
    this.track(run.id, service.execute(source.pipeline, run));
  }

  private track(runId: number, work: Promise<RunRow>): void {
    const { log } = this.options;
    const tracked = work.then(
      (done) => log.info(`${done.pipeline}: run ${done.id} ${done.state}${done.state_message ? `: ${done.state_message}` : ''}`),
      (error: Error) => log.warn(`run ${runId} stopped with an error: ${error.message}`),
    ).finally(() => {
      this.running.delete(runId);
      this.nudge();
    });
    this.running.set(runId, tracked);
  }

  private refreshPauses(): void {
    const pauses = this.options.store.pauses();
    for (const name of new Set([...pauses.keys(), ...this.pauses.keys()])) {
      if (pauses.get(name) !== this.pauses.get(name)) this.wakeAt.delete(name);
    }
    this.pauses = pauses;
  }

  private reloadPipelines(): void {
    if (this.stopping) return;
    try {
      this.applyCatalogChange(this.options.catalog.reload());
    } catch (error) {
      this.options.log.warn(`${this.options.catalog.folder} could not be read again (${(error as Error).message}); serving what was loaded`);
    }
    this.nudge();
  }

  private applyCatalogChange(change: CatalogChange): void {
    const { log } = this.options;
    for (const name of [...change.added, ...change.changed, ...change.removed]) this.wakeAt.delete(name);
    for (const name of change.removed) this.arrivals.delete(name);
    if (change.added.length > 0) log.info(`pipelines added: ${change.added.join(', ')}`);
    if (change.changed.length > 0) log.info(`pipelines changed, next runs use the new version: ${change.changed.join(', ')}`);
    if (change.removed.length > 0) log.info(`pipelines removed, no longer scheduled: ${change.removed.join(', ')}`);
    this.reportInvalid(change.invalid);
  }

  /**
   * Logs each broken file once per content, not at every rescan, and records
   * the last valid version it keeps serving, so that `sluice schedules`,
   * `pause` and `trigger` know what the daemon runs for that name.
   */
  private reportInvalid(invalid: CatalogChange['invalid']): void {
    const { log, service, catalog } = this.options;
    const now = new Map(invalid.map((item) => [resolve(item.loaded.file), item] as const));
    for (const file of this.reportedInvalid.keys()) if (!now.has(file)) this.reportedInvalid.delete(file);
    for (const [file, { loaded, kept }] of now) {
      const hash = createHash('sha256').update(loaded.text ?? '').digest('hex');
      if (this.reportedInvalid.get(file) === hash) continue;
      this.reportedInvalid.set(file, hash);
      log.invalidPipeline(loaded, kept);
      const served = kept === undefined ? undefined : catalog.get(kept);
      if (!served) continue;
      try {
        service.recordVersion(served);
      } catch (error) {
        log.warn(`${kept}: the version it keeps serving could not be recorded (${(error as Error).message})`);
      }
    }
  }

  private heartbeat(): void {
    const { lease, log } = this.options;
    let renewed: boolean;
    try {
      renewed = lease.renew();
      if (renewed) this.takeOverDeadDaemons();
    } catch (error) {
      log.warn(`the lease could not be renewed (${(error as Error).message}); trying again`);
      return;
    }
    if (!renewed) {
      log.warn('another daemon ended this daemon\'s lease; stopping');
      process.exitCode = 1;
      void this.stop(0);
    }
  }

  private takeOverDeadDaemons(): void {
    const { lease, log, service, catalog, monitor } = this.options;
    for (const { daemon, runs } of lease.takeOverDead((line) => log.warn(line))) {
      log.info(`daemon ${daemon.pid} died; going on with its ${runs.length} unfinished run${runs.length === 1 ? '' : 's'}${runs.length ? `: ${runs.map((r) => r.id).join(', ')}` : ''}`);
      for (const run of runs) {
        const served = catalog.get(run.pipeline);
        if (served) monitor.watch(run.id, served.pipeline, run.trigger_type, run.start_ms ?? run.created_ms);
        this.track(run.id, service.resume(run.id, `sluice serve (process ${process.pid}), which took over from daemon ${daemon.pid} when it died`));
      }
    }
  }
}
