// Run requests followed from the command line: run them here, in the
// foreground, when no daemon is running (`--wait`), or wait for the daemon
// that runs them. Either way the exit status is the outcome of the runs.
import type { PipelineSource } from '../engine/execute/run-service.js';
import { RequestDispatcher } from '../engine/schedule/request-dispatcher.js';
import type { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import type { RunRow } from '../engine/state/run-store.js';
import type { RunRequestRow } from '../engine/state/schedule-store.js';
import { isTerminalRunState } from '../engine/state/states.js';
import { createRunService, printSummary } from './run-commands.js';
import { RunProgress } from './run-progress.js';
import { createRunMonitor, type ScheduleState } from './schedule-state.js';
import { styleFor } from './terminal-style.js';

const POLL_MILLIS = 100;

/** Starts the requests (and others queued for the pipeline) here, max_concurrent_runs at a time, until ours are done. */
export async function runRequestsHere(state: ScheduleState, loader: PipelineLoader, source: PipelineSource, fireKeys: readonly string[], concurrency: number): Promise<number> {
  const name = source.pipeline.name;
  const single = fireKeys.length === 1;
  const progress = new RunProgress({ out: process.stdout, style: styleFor(process.stdout), live: false });
  const { monitor, notifier } = createRunMonitor(state.location, (line) => process.stderr.write(`${line}\n`));
  const service = createRunService(loader, state.runs, state.location, concurrency, (event) => {
    monitor.handle(event);
    if (single) progress.handle(event);
  });
  const dispatcher = new RequestDispatcher(state.schedules, service);
  const running = new Map<number, Promise<void>>();
  const finished: RunRow[] = [];
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    service.stopAll(signal === 'SIGINT' ? 'canceled with Ctrl-C' : 'canceled by SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    for (;;) {
      if (!stopping) {
        const result = dispatcher.dispatch((pipeline) => (pipeline === name ? source : undefined));
        // Ours are reported with the outcome; others queued for the pipeline, here.
        for (const { request } of [...result.skipped, ...result.failed]) {
          if (!fireKeys.includes(request.fire_key)) process.stdout.write(`${settledLine(state.schedules.request(request.id) ?? request)}\n`);
        }
        for (const { run, request } of result.started) {
          if (!single) process.stdout.write(`run ${run.id} of '${name}' started (${request.trigger_type} ${new Date(request.trigger_time_ms).toISOString()})\n`);
          monitor.watch(run.id, source.pipeline, request.trigger_type, run.start_ms ?? run.created_ms);
          running.set(run.id, service.execute(source.pipeline, run).then((done) => {
            finished.push(done);
            running.delete(run.id);
            printSummary(done, state.runs, progress);
          }));
        }
      }
      const waiting = fireKeys.some((key) => state.schedules.requestByKey(name, key)?.state === 'QUEUED');
      if (running.size === 0 && (!waiting || stopping)) break;
      // With runs of our own, the next look is when one ends; else the slots are held by other processes: poll.
      if (running.size > 0) await Promise.race(running.values());
      else await sleep(500);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    monitor.close();
  }
  await notifier.drain(10_000);
  return outcome(state, name, fireKeys);
}

/** Waits until a daemon has settled every request and their runs have ended. */
export async function waitForRequests(state: ScheduleState, pipeline: string, fireKeys: readonly string[]): Promise<number> {
  const reported = new Set<number>();
  const progress = new RunProgress({ out: process.stdout, style: styleFor(process.stdout), live: false });
  for (;;) {
    let open = 0;
    for (const key of fireKeys) {
      const request = state.schedules.requestByKey(pipeline, key);
      if (request?.state === 'QUEUED') open++;
      if (request?.run_id == null || reported.has(request.run_id)) continue;
      const run = state.runs.run(request.run_id)!;
      if (!isTerminalRunState(run.state)) {
        open++;
        continue;
      }
      reported.add(run.id);
      printSummary(run, state.runs, progress);
    }
    if (open === 0) return outcome(state, pipeline, fireKeys);
    await sleep(POLL_MILLIS);
  }
}

/** 0 when every request ran and succeeded; 1 when one failed, was skipped or could not run. */
function outcome(state: ScheduleState, pipeline: string, fireKeys: readonly string[]): number {
  let failed = false;
  for (const key of fireKeys) {
    const request = state.schedules.requestByKey(pipeline, key);
    if (request?.state === 'SKIPPED' || request?.state === 'FAILED') {
      process.stdout.write(`${settledLine(request)}\n`);
      failed = true;
    }
    const run = request?.run_id == null ? undefined : state.runs.run(request.run_id);
    if (request?.state === 'QUEUED' || (run && run.state !== 'SUCCESS' && run.state !== 'SUCCESS_WITH_FAILURES')) failed = true;
  }
  return failed ? 1 : 0;
}

/** A request that did not become a run, in words: which run, and why. Manual requests need no fire time (their key is internal). */
function settledLine(request: RunRequestRow): string {
  const which = request.trigger_type === 'manual' ? `run of '${request.pipeline}'`
    : `${request.trigger_type} run of '${request.pipeline}' for ${new Date(request.trigger_time_ms).toISOString()}`;
  return `${which} ${request.state === 'SKIPPED' ? 'skipped' : 'could not start'}: ${request.message ?? 'no reason recorded'}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
