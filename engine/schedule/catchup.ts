// Which fire times to start when the daemon looks at a schedule: those that
// are due now, and, after downtime, the missed ones the `catchup` policy
// asks for (Airflow's catchup and Dagster's "latest" policy, per schedule).
import type { CatchupPolicy } from '../spec/model.js';
import { fireTimesBetween, type CronSchedule } from './cron-schedule.js';

/**
 * A fire time at most this old is on time, not missed: a busy event loop, a
 * slow disk or a daemon restarted within a minute must not drop a run.
 */
export const ON_TIME_WINDOW_MS = 60_000;
/** `catchup: all` starts missed fire times in batches of this many, oldest first. */
export const CATCHUP_BATCH = 500;

export interface DueFires {
  /** Fire times to start, oldest first. */
  fire: Date[];
  /** The first missed fire time the policy left out, if any. */
  firstSkipped?: Date;
  /** Every fire time up to here has been considered; the next look starts after it. */
  cursor: Date;
}

/**
 * Fire times in (cursor, now] to start. A cursor within the on-time window
 * means the daemon has been looking all along: every fire time since is on
 * time. An older cursor means downtime (or a machine that slept): then
 * `latest` starts only the newest fire time, and `none` only the newest if
 * it is within the window, so that a schedule firing every few seconds does
 * not start a burst of runs either way.
 */
export function dueFires(schedule: CronSchedule, policy: CatchupPolicy, cursor: Date, now: Date): DueFires {
  if (policy === 'all') {
    const due = fireTimesBetween(schedule, cursor, now, CATCHUP_BATCH);
    return { fire: due, cursor: due.length === CATCHUP_BATCH ? due[due.length - 1]! : now };
  }
  const windowStart = now.getTime() - ON_TIME_WINDOW_MS;
  if (cursor.getTime() >= windowStart) return { fire: fireTimesBetween(schedule, cursor, now), cursor: now };
  const firstDue = schedule.nextAfter(cursor);
  if (!firstDue || firstDue > now) return { fire: [], cursor: now };
  const newest = latestFireTime(schedule, cursor, now)!;
  const fire = policy === 'latest' || newest.getTime() > windowStart ? [newest] : [];
  const firstSkipped = fire.length === 1 && firstDue.getTime() === newest.getTime() ? undefined : firstDue;
  return { fire, firstSkipped, cursor: now };
}

/** The last fire time in (from, until], found in growing windows so that a frequent schedule is not walked from long ago. */
export function latestFireTime(schedule: CronSchedule, from: Date, until: Date): Date | undefined {
  const windows = [3_600_000, 86_400_000, 32 * 86_400_000, 366 * 86_400_000, 10 * 366 * 86_400_000, Infinity];
  for (const width of windows) {
    const start = new Date(Math.max(from.getTime(), until.getTime() - width));
    const fires = fireTimesBetween(schedule, start, until);
    if (fires.length > 0) return fires[fires.length - 1];
    if (start.getTime() === from.getTime()) return undefined;
  }
  return undefined;
}
