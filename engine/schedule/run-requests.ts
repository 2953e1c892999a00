// Run requests made by hand: `sluice trigger` (one run now, with parameters)
// and `sluice backfill` (one run per fire time of the schedule in a range,
// each with that logical time as {{job.trigger.time.*}}). A running daemon
// starts them; the CLI can also run them in the foreground.
import { randomUUID } from 'node:crypto';
import { UsageError } from '../diagnostics.js';
import { resolveParameters } from '../execute/parameters.js';
import type { Pipeline } from '../spec/model.js';
import type { ScheduleStore } from '../state/schedule-store.js';
import { fireTimesBetween, cronSchedule } from './cron-schedule.js';

/** More runs than this from one backfill is almost certainly a wrong range or schedule. */
export const MAX_BACKFILL_RUNS = 10_000;

/** Records a manual run request; the parameters are checked against the pipeline first. Returns its fire key. */
export function enqueueManual(store: ScheduleStore, pipeline: Pipeline, parameters: Record<string, string>, nowMs: number): string {
  resolveParameters(pipeline, parameters); // a usage error now rather than a failed request later
  const fireKey = `manual:${randomUUID()}`;
  store.enqueue({ pipeline: pipeline.name, fireKey, triggerType: 'manual', triggerTimeMs: nowMs, parameters, nowMs });
  return fireKey;
}

export interface Backfill {
  times: Date[];
  /** Fire keys of the requests, new or already recorded by an earlier backfill of the same times. */
  fireKeys: string[];
  created: number;
}

/** One request per fire time in [from, to]; a time backfilled before is not requested again. */
export function enqueueBackfill(store: ScheduleStore, pipeline: Pipeline, from: Date, to: Date, nowMs: number): Backfill {
  if (!pipeline.schedule) {
    throw new UsageError(`pipeline '${pipeline.name}' has no schedule, so it has no fire times to backfill; add schedule: { cron: … } to ${pipeline.file}`);
  }
  if (to < from) throw new UsageError(`--to (${to.toISOString()}) is before --from (${from.toISOString()})`);
  resolveParameters(pipeline, {});
  const schedule = cronSchedule(pipeline.schedule.cron, pipeline.schedule.timezone);
  const times = fireTimesBetween(schedule, new Date(from.getTime() - 1), to, MAX_BACKFILL_RUNS + 1);
  if (times.length > MAX_BACKFILL_RUNS) {
    throw new UsageError(`the range holds more than ${MAX_BACKFILL_RUNS} fire times of '${pipeline.schedule.cron}'; backfill a shorter range at a time`);
  }
  let created = 0;
  const fireKeys = times.map((time) => {
    const fireKey = `backfill:${time.toISOString()}`;
    if (store.enqueue({ pipeline: pipeline.name, fireKey, triggerType: 'backfill', triggerTimeMs: time.getTime(), nowMs })) created++;
    return fireKey;
  });
  return { times, fireKeys, created };
}
