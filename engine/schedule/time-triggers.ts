// Cron schedules and periodic triggers: which fire times are due, recorded
// as run requests whose fire key makes each fire time one run, however many
// daemons look. Cursors in the database say how far each trigger has been
// looked at, so that a restarted daemon knows what it missed.
import type { Pipeline } from '../spec/model.js';
import type { ScheduleStore } from '../state/schedule-store.js';
import { dueFires } from './catchup.js';
import { cronSchedule, type CronSchedule } from './cron-schedule.js';

export interface TimeLook {
  /** Requests recorded by this look. */
  enqueued: { triggerType: 'schedule' | 'periodic'; time: Date }[];
  /** Missed fire times the catch-up policy left out, from this one on. */
  skippedFrom?: Date;
  /** When this pipeline next needs a look. */
  nextWake?: Date;
}

export class TimeTriggers {
  private readonly schedules = new Map<string, CronSchedule>();

  constructor(private readonly store: ScheduleStore) {}

  look(pipeline: Pipeline, paused: boolean, now: Date): TimeLook {
    const look: TimeLook = { enqueued: [] };
    if (pipeline.schedule) this.lookAtSchedule(pipeline, paused, now, look);
    if (pipeline.trigger?.periodic) this.lookAtPeriodic(pipeline, pipeline.trigger.periodic.intervalMillis, paused, now, look);
    return look;
  }

  /** The schedule of a pipeline, parsed once per expression and zone. */
  scheduleOf(pipeline: Pipeline): CronSchedule | undefined {
    if (!pipeline.schedule) return undefined;
    const key = `${pipeline.schedule.cron}\u0000${pipeline.schedule.timezone}`;
    let schedule = this.schedules.get(key);
    if (!schedule) this.schedules.set(key, schedule = cronSchedule(pipeline.schedule.cron, pipeline.schedule.timezone));
    return schedule;
  }

  private lookAtSchedule(pipeline: Pipeline, paused: boolean, now: Date, look: TimeLook): void {
    const schedule = this.scheduleOf(pipeline)!;
    const stored = this.store.cursor(pipeline.name, 'schedule');
    // A schedule seen for the first time starts now: nothing before it was missed.
    const cursor = new Date(stored ?? now.getTime());
    if (stored === undefined) this.store.advanceCursor(pipeline.name, 'schedule', now.getTime());
    const next = schedule.nextAfter(cursor);
    if (paused) {
      // Fire times passed while paused are not missed: unpausing does not catch them up.
      if (next && next <= now) this.store.advanceCursor(pipeline.name, 'schedule', now.getTime());
      look.nextWake = schedule.nextAfter(now);
      return;
    }
    if (!next || next > now) {
      look.nextWake = next;
      return;
    }
    const due = dueFires(schedule, pipeline.schedule!.catchup, cursor, now);
    for (const time of due.fire) {
      this.store.enqueue({ pipeline: pipeline.name, fireKey: `schedule:${time.toISOString()}`, triggerType: 'schedule', triggerTimeMs: time.getTime(), nowMs: now.getTime() });
      look.enqueued.push({ triggerType: 'schedule', time });
    }
    look.skippedFrom = due.firstSkipped;
    this.store.advanceCursor(pipeline.name, 'schedule', due.cursor.getTime());
    look.nextWake = schedule.nextAfter(due.cursor);
  }

  /**
   * Every interval after the last periodic fire; after downtime, one run for
   * the latest interval. While paused, the intervals pass without runs, as
   * fire times of a schedule do: unpausing starts nothing until the next one.
   */
  private lookAtPeriodic(pipeline: Pipeline, intervalMillis: number, paused: boolean, now: Date, look: TimeLook): void {
    const last = this.store.cursor(pipeline.name, 'periodic');
    if (last === undefined) {
      this.store.advanceCursor(pipeline.name, 'periodic', now.getTime());
      look.nextWake = earliest(look.nextWake, new Date(now.getTime() + intervalMillis));
      return;
    }
    const elapsed = Math.floor((now.getTime() - last) / intervalMillis);
    if (elapsed >= 1) {
      const time = new Date(last + elapsed * intervalMillis);
      if (paused) {
        this.store.advanceCursor(pipeline.name, 'periodic', time.getTime());
        look.nextWake = earliest(look.nextWake, new Date(time.getTime() + intervalMillis));
        return;
      }
      this.store.enqueue({ pipeline: pipeline.name, fireKey: `periodic:${time.toISOString()}`, triggerType: 'periodic', triggerTimeMs: time.getTime(), nowMs: now.getTime() });
      this.store.advanceCursor(pipeline.name, 'periodic', time.getTime());
      look.enqueued.push({ triggerType: 'periodic', time });
      look.nextWake = earliest(look.nextWake, new Date(time.getTime() + intervalMillis));
    } else {
      look.nextWake = earliest(look.nextWake, new Date(last + intervalMillis));
    }
  }
}

export function earliest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a <= b ? a : b;
}
