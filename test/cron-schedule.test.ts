// Fire times of cron schedules from any instant, in time zones with daylight
// saving changes, and what catch-up starts after downtime. A fixed clock:
// every instant is given.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { dueFires, latestFireTime } from '../engine/schedule/catchup.js';
import { cronSchedule, fireTimesBetween, nextFireTimes } from '../engine/schedule/cron-schedule.js';
import { cronProblem } from '../engine/spec/cron-check.js';

const require = createRequire(import.meta.url);
const iso = (dates: (Date | undefined)[]) => dates.map((d) => d?.toISOString());
const at = (text: string) => new Date(text);

describe('cron fire times', () => {
  it.each([
    ['*/10 * * * * *', 'UTC'],
    ['0 */5 * * * *', 'Asia/Kolkata'],
    ['15 * * * *', 'Asia/Tokyo'],
    ['0 0 L * *', 'UTC'],
    ['30 9 * * MON-FRI', 'Asia/Kolkata'],
    ['@hourly', 'UTC'],
  ])('agree with node-cron\'s own next runs for %s in %s', (expression, timeZone) => {
    const cron = require('node-cron') as typeof import('node-cron');
    const task = cron.createTask(expression, () => undefined, { timezone: timeZone });
    void task.destroy();
    const now = new Date();
    const theirs = task.getNextRuns(5);
    const ours = nextFireTimes(cronSchedule(expression, timeZone), now, 5);
    // node-cron counts from the current second; a second boundary between the two calls shifts one of them by one fire.
    if (theirs[0]!.getTime() < ours[0]!.getTime()) theirs.shift(); else if (ours[0]!.getTime() < theirs[0]!.getTime()) ours.shift();
    expect(iso(ours.slice(0, 4))).toEqual(iso(theirs.slice(0, 4)));
  });

  it('steps a 6-field schedule by seconds and a 5-field one by minutes', () => {
    expect(iso(nextFireTimes(cronSchedule('*/2 * * * * *', 'UTC'), at('2026-05-01T10:00:00.500Z'), 3)))
      .toEqual(['2026-05-01T10:00:02.000Z', '2026-05-01T10:00:04.000Z', '2026-05-01T10:00:06.000Z']);
    expect(iso(nextFireTimes(cronSchedule('* * * * *', 'UTC'), at('2026-05-01T10:00:00Z'), 2)))
      .toEqual(['2026-05-01T10:01:00.000Z', '2026-05-01T10:02:00.000Z']);
  });

  it('reads the expression in the schedule\'s time zone', () => {
    expect(iso(nextFireTimes(cronSchedule('0 3 * * *', 'America/New_York'), at('2026-05-01T00:00:00Z'), 1))).toEqual(['2026-05-01T07:00:00.000Z']);
    expect(iso(nextFireTimes(cronSchedule('0 3 * * *', 'Asia/Kolkata'), at('2026-05-01T00:00:00Z'), 1))).toEqual(['2026-05-01T21:30:00.000Z']);
  });

  it('finds rare days: the last day of the month, and February 29', () => {
    expect(iso(nextFireTimes(cronSchedule('0 0 L * *', 'UTC'), at('2026-02-10T00:00:00Z'), 2))).toEqual(['2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z']);
    expect(iso(nextFireTimes(cronSchedule('0 12 29 2 *', 'UTC'), at('2026-03-01T00:00:00Z'), 1))).toEqual(['2028-02-29T12:00:00.000Z']);
  });

  it('needs both day of month and day of week to match, as node-cron does', () => {
    // The 13th that is a Friday: March 2026, then November 2026.
    expect(iso(nextFireTimes(cronSchedule('0 0 13 * FRI', 'UTC'), at('2026-03-01T00:00:00Z'), 2))).toEqual(['2026-03-13T00:00:00.000Z', '2026-11-13T00:00:00.000Z']);
  });
});

describe('daylight saving time', () => {
  // Europe/Berlin: 2026-03-29 02:00 CET → 03:00 CEST (01:00Z); 2026-10-25 03:00 CEST → 02:00 CET (01:00Z).
  it('fires a daily time that falls in the skipped hour as far after the jump: 02:30 at 03:30', () => {
    expect(iso(nextFireTimes(cronSchedule('30 2 * * *', 'Europe/Berlin'), at('2026-03-27T12:00:00Z'), 3)))
      .toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('fires a daily time that happens twice once, at its first occurrence', () => {
    expect(iso(nextFireTimes(cronSchedule('30 2 * * *', 'Europe/Berlin'), at('2026-10-23T12:00:00Z'), 3)))
      .toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('keeps an every-hour schedule going through the repeated hour, and does not double up after the skipped one', () => {
    const halfHourly = cronSchedule('*/30 * * * *', 'Europe/Berlin');
    expect(iso(fireTimesBetween(halfHourly, at('2026-10-24T23:59:00Z'), at('2026-10-25T02:00:00Z'))))
      .toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T01:30:00.000Z', '2026-10-25T02:00:00.000Z']);
    expect(iso(fireTimesBetween(halfHourly, at('2026-03-29T00:00:00Z'), at('2026-03-29T02:00:00Z'))))
      .toEqual(['2026-03-29T00:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T01:30:00.000Z', '2026-03-29T02:00:00.000Z']);
  });

  it('follows America/New_York, whose clocks change on other dates', () => {
    // 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
    expect(iso(nextFireTimes(cronSchedule('30 2 * * *', 'America/New_York'), at('2026-03-07T12:00:00Z'), 2)))
      .toEqual(['2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z']);
    expect(iso(nextFireTimes(cronSchedule('30 1 * * *', 'America/New_York'), at('2026-10-31T12:00:00Z'), 2)))
      .toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });
});

describe('catch-up after downtime', () => {
  const hourly = cronSchedule('0 * * * *', 'UTC');
  const cursor = at('2026-05-01T00:30:00Z');
  const now = at('2026-05-01T05:00:20Z');

  it('all: every missed fire time, oldest first, with the one due now', () => {
    const due = dueFires(hourly, 'all', cursor, now);
    expect(iso(due.fire)).toEqual(['2026-05-01T01:00:00.000Z', '2026-05-01T02:00:00.000Z', '2026-05-01T03:00:00.000Z',
      '2026-05-01T04:00:00.000Z', '2026-05-01T05:00:00.000Z']);
    expect(due.cursor).toEqual(now);
  });

  it('latest: only the most recent missed fire time', () => {
    const due = dueFires(hourly, 'latest', cursor, at('2026-05-01T04:59:00Z'));
    expect(iso(due.fire)).toEqual(['2026-05-01T04:00:00.000Z']);
    expect(due.firstSkipped).toEqual(at('2026-05-01T01:00:00Z'));
  });

  it('latest and none: a fire time that is due now is on time, and the missed ones are not added to it', () => {
    expect(iso(dueFires(hourly, 'latest', cursor, now).fire)).toEqual(['2026-05-01T05:00:00.000Z']);
    const none = dueFires(hourly, 'none', cursor, now);
    expect(iso(none.fire)).toEqual(['2026-05-01T05:00:00.000Z']);
    expect(none.firstSkipped).toEqual(at('2026-05-01T01:00:00Z'));
  });

  it('none: nothing when nothing is on time', () => {
    expect(dueFires(hourly, 'none', cursor, at('2026-05-01T04:59:00Z')).fire).toEqual([]);
  });

  it('latest and none: after downtime, a schedule firing every second starts one run, not the last minute\'s worth', () => {
    const everySecond = cronSchedule('* * * * * *', 'UTC');
    const down = at('2026-05-01T10:00:00Z');
    const back = at('2026-05-01T10:10:00.400Z');
    for (const policy of ['latest', 'none'] as const) {
      const due = dueFires(everySecond, policy, down, back);
      expect(iso(due.fire), policy).toEqual(['2026-05-01T10:10:00.000Z']);
      expect(due.firstSkipped, policy).toEqual(at('2026-05-01T10:00:01Z'));
      expect(due.cursor, policy).toEqual(back);
    }
    // The daemon looked 3 s ago (a busy machine, not downtime): every fire time since is on time.
    expect(iso(dueFires(everySecond, 'none', at('2026-05-01T10:09:57.400Z'), back).fire))
      .toEqual(['2026-05-01T10:09:58.000Z', '2026-05-01T10:09:59.000Z', '2026-05-01T10:10:00.000Z']);
  });

  it('after downtime, latest starts the newest fire time however old, none only when it is within the on-time window', () => {
    const everyTwoMinutes = cronSchedule('0 */2 * * * *', 'UTC');
    const down = at('2026-05-01T10:00:30Z');
    const onTime = at('2026-05-01T10:10:40Z'); // the 10:10 fire is 40 s old
    const late = at('2026-05-01T10:11:30Z'); // and now 90 s old
    expect(iso(dueFires(everyTwoMinutes, 'latest', down, onTime).fire)).toEqual(['2026-05-01T10:10:00.000Z']);
    expect(iso(dueFires(everyTwoMinutes, 'none', down, onTime).fire)).toEqual(['2026-05-01T10:10:00.000Z']);
    expect(iso(dueFires(everyTwoMinutes, 'latest', down, late).fire)).toEqual(['2026-05-01T10:10:00.000Z']);
    const none = dueFires(everyTwoMinutes, 'none', down, late);
    expect(none.fire).toEqual([]);
    expect(none.firstSkipped).toEqual(at('2026-05-01T10:02:00Z'));
  });

  it('all: a long outage of a frequent schedule comes in batches that together start every fire time', () => {
    const everySecond = cronSchedule('* * * * * *', 'UTC');
    let position = at('2026-05-01T00:00:00Z');
    const end = at('2026-05-01T00:20:00Z');
    let fired = 0;
    for (let looks = 0; position < end && looks < 10; looks++) {
      const due = dueFires(everySecond, 'all', position, end);
      fired += due.fire.length;
      position = due.cursor;
    }
    expect(fired).toBe(1200);
  });

  it('finds the latest fire time of a frequent schedule long ago without walking from the start', () => {
    const everySecond = cronSchedule('* * * * * *', 'UTC');
    const started = Date.now();
    expect(latestFireTime(everySecond, at('2020-01-01T00:00:00Z'), at('2026-05-01T00:00:00Z'))).toEqual(at('2026-05-01T00:00:00Z'));
    expect(latestFireTime(cronSchedule('0 0 1 1 *', 'UTC'), at('2020-01-01T00:00:00Z'), at('2026-05-01T00:00:00Z'))).toEqual(at('2026-01-01T00:00:00Z'));
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('cron mistakes, in words', () => {
  it('names the months that lack the day, for a schedule that would never fire', () => {
    expect(cronProblem('0 0 31 4,6 *')?.message).toBe("invalid cron expression '0 0 31 4,6 *': April and June have no day 31; this schedule would never fire");
    expect(cronProblem('0 0 0 30,31 FEB *')?.message).toBe("invalid cron expression '0 0 0 30,31 FEB *': February has no day 30 or 31; this schedule would never fire");
    expect(cronProblem('0 0 31 2,3 *')).toBeUndefined(); // March 31 exists
  });

  it('says that @every is not cron and gives the periodic trigger to use instead', () => {
    expect(cronProblem('@every 1h30m')?.message).toContain('for a run every 90 minutes, use trigger: { periodic: { interval: 90, unit: minutes } } instead of a schedule');
    expect(cronProblem('@reboot')?.message).toContain("'@reboot' is not cron: the only @-macros are @yearly, @annually, @monthly, @weekly, @daily, @midnight and @hourly");
    expect(cronProblem('@daily')).toBeUndefined();
  });
});
