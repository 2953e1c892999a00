// What `sluice serve`, `sluice trigger` and `sluice backfill` do: the
// scheduler daemon, and run requests made by hand, which a running daemon
// starts or which run here in the foreground with --wait. They compose the
// engine's schedule/ parts with the same RunService as `sluice run`.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../engine/diagnostics.js';
import { parseParameterArguments } from '../engine/execute/parameters.js';
import type { RunEvent } from '../engine/execute/run-executor.js';
import { DaemonLease } from '../engine/schedule/daemon-lease.js';
import { PipelineCatalog } from '../engine/schedule/pipeline-catalog.js';
import { enqueueBackfill, enqueueManual } from '../engine/schedule/run-requests.js';
import { SchedulerDaemon, type DaemonLog } from '../engine/schedule/scheduler-daemon.js';
import type { LoadedPipeline } from '../engine/spec/pipeline-loader.js';
import { parseBackfillTime } from './backfill-time.js';
import { formatText } from './diagnostic-format.js';
import { createLoader } from './pipeline-loader.js';
import { runRequestsHere, waitForRequests } from './request-runner.js';
import { createRunService, parseConcurrency } from './run-commands.js';
import { explainBrokenRequest } from './served-pipelines.js';
import { createRunMonitor, findServedPipeline, NUDGE_SIGNAL, nudgeDaemons, openScheduleState, servingDaemons } from './schedule-state.js';
import { styleFor } from './terminal-style.js';

const PLAIN = styleFor({ isTTY: false } as NodeJS.WriteStream);

export interface ServeOptions {
  pipelines: string;
  state?: string;
  concurrency?: string;
  graceSeconds: string;
}

export interface RequestOptions {
  pipelines: string;
  state?: string;
  concurrency?: string;
  wait?: boolean;
}

export async function serve(options: ServeOptions): Promise<void> {
  const graceSeconds = Number(options.graceSeconds);
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0) throw new UsageError(`--grace-seconds must be a number of seconds, not ${JSON.stringify(options.graceSeconds)}`);
  const loader = await createLoader();
  const state = openScheduleState(options);
  const log = new ServeLog(join(dirname(state.location.databaseFile), 'serve.log'));
  const events: { handle?: (event: RunEvent) => void } = {};
  const service = createRunService(loader, state.runs, state.location, parseConcurrency(options.concurrency), (event) => events.handle?.(event));
  const { monitor, notifier } = createRunMonitor(state.location, (line) => log.warn(line));
  const daemon = new SchedulerDaemon({
    store: state.schedules, service, catalog: new PipelineCatalog(resolve(options.pipelines), loader),
    lease: new DaemonLease(state.schedules), monitor, log,
  });
  events.handle = daemon.onRunEvent;
  const nudge = () => daemon.nudge();
  process.on(NUDGE_SIGNAL, nudge);
  try {
    daemon.start();
  } catch (error) {
    process.off(NUDGE_SIGNAL, nudge);
    state.close();
    throw error;
  }
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log.info(`${signal}: stopping`);
      void daemon.stop(graceSeconds * 1000);
    } else {
      log.info(`${signal} again: canceling running runs now`);
      service.stopAll(`canceled: sluice serve got ${signal} twice`);
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await daemon.finished;
  await notifier.drain(5000);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  process.off(NUDGE_SIGNAL, nudge);
  state.close();
}

export async function trigger(name: string, options: RequestOptions & { param: string[]; queued?: boolean }): Promise<number> {
  const loader = await createLoader();
  const source = findServedPipeline(loader, name, options.pipelines, explainBrokenRequest(loader, options, 'trigger'));
  const parameters = parseParameterArguments(options.param);
  if (options.queued && options.param.length > 0) throw new UsageError('--queued starts runs already requested, with their own parameters: leave out --param');
  const state = openScheduleState(options);
  try {
    const pipeline = source.pipeline.name;
    const fireKeys = options.queued
      ? state.schedules.queued().filter((request) => request.pipeline === pipeline).map((request) => request.fire_key)
      : [enqueueManual(state.schedules, source.pipeline, parameters, Date.now())];
    if (fireKeys.length === 0) {
      process.stdout.write(`no run of '${pipeline}' is waiting to start\n`);
      return 0;
    }
    const what = options.queued ? `${fireKeys.length} queued run${fireKeys.length === 1 ? '' : 's'} of '${pipeline}' (${fireKeys.join(', ')})` : `run of '${pipeline}' requested`;
    const daemons = servingDaemons(nudgeDaemons(state.schedules), source.pipeline.file);
    if (daemons.length > 0) {
      process.stdout.write(`${what}; sluice serve (process ${daemons.map((d) => d.pid).join(', ')}) starts ${fireKeys.length === 1 ? 'it' : 'them'}\n`);
      return options.wait ? await waitForRequests(state, pipeline, fireKeys) : 0;
    }
    if (!options.wait) {
      process.stdout.write(`${what}; no running sluice serve serves its folder: start one, or trigger with --wait to run it here\n`);
      return 0;
    }
    if (options.queued) process.stdout.write(`${what}: starting here\n`);
    return await runRequestsHere(state, loader, source, fireKeys, parseConcurrency(options.concurrency));
  } finally {
    state.close();
  }
}

export async function backfill(name: string, options: RequestOptions & { from: string; to: string }): Promise<number> {
  const loader = await createLoader();
  const source = findServedPipeline(loader, name, options.pipelines, explainBrokenRequest(loader, options, 'backfill'));
  const zone = source.pipeline.schedule?.timezone ?? 'UTC';
  const from = parseBackfillTime('--from', options.from, zone, 'start');
  const to = parseBackfillTime('--to', options.to, zone, 'end');
  if (to < from) throw new UsageError(`--to '${options.to}' is before --from '${options.from}' (read in ${zone}): nothing to backfill; give the earlier time to --from`);
  const state = openScheduleState(options);
  try {
    const result = enqueueBackfill(state.schedules, source.pipeline, from, to, Date.now());
    const pipeline = source.pipeline.name;
    const again = result.times.length - result.created;
    process.stdout.write(`backfill of '${pipeline}': ${result.times.length} fire time${result.times.length === 1 ? '' : 's'} from ${from.toISOString()} to ${to.toISOString()}, ` +
      `${result.created} new run request${result.created === 1 ? '' : 's'}${again > 0 ? ` (${again} requested by an earlier backfill)` : ''}\n`);
    const daemons = servingDaemons(nudgeDaemons(state.schedules), source.pipeline.file);
    if (daemons.length > 0) {
      process.stdout.write(`sluice serve (process ${daemons.map((d) => d.pid).join(', ')}) starts them, ${source.pipeline.maxConcurrentRuns} at a time\n`);
      return options.wait ? await waitForRequests(state, pipeline, result.fireKeys) : 0;
    }
    if (!options.wait) {
      if (result.created > 0) process.stdout.write('no running sluice serve serves its folder: start one, or backfill with --wait to run them here\n');
      return 0;
    }
    return await runRequestsHere(state, loader, source, result.fireKeys, parseConcurrency(options.concurrency));
  } finally {
    state.close();
  }
}

/** The daemon's log: every line to serve.log with a timestamp, and a short one to stdout. */
class ServeLog implements DaemonLog {
  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  info(line: string): void {
    this.write('info', line);
  }

  warn(line: string): void {
    this.write('warn', line);
  }

  invalidPipeline(loaded: LoadedPipeline, kept: string | undefined): void {
    // Plain text: the same lines go to serve.log.
    const located = formatText([{ file: loaded.file, text: loaded.text, diagnostics: loaded.diagnostics }], PLAIN, false).trimEnd();
    const outcome = kept ? `; the last valid version of '${kept}' stays scheduled` : '; it is not scheduled';
    this.write('warn', `${loaded.file} is not valid${outcome}:\n${located}`);
  }

  private write(level: 'info' | 'warn', line: string): void {
    const now = new Date();
    appendFileSync(this.file, `${now.toISOString()} ${level} ${line}\n`);
    (level === 'warn' ? process.stderr : process.stdout).write(`${now.toISOString().slice(11, 19)} ${line}\n`);
  }
}
