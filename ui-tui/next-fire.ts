// When a cron schedule fires next, read with node-cron as the validator and
// the scheduler read it. Only computed, never started: no timer is set.
import { createTask } from 'node-cron';
import type { ScheduleSpec } from '../engine/spec/model.js';

export function nextFireTime(schedule: ScheduleSpec): Date | undefined {
  const task = createTask(schedule.cron, () => undefined, { timezone: schedule.timezone });
  try {
    return task.getNextRuns(1)[0];
  } catch {
    return undefined;
  } finally {
    void task.destroy();
  }
}
