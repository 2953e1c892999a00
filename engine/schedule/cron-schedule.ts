// The fire times of a cron schedule in a time zone, from any instant: what
// live firing, catch-up after downtime, backfill and `sluice schedules` all
// enumerate. node-cron 4 reads the expression (the same parser and day rules
// as `sluice validate`); its own scheduler only looks forward from "now", so
// the walk over days and daylight-saving changes is here.
//
// Daylight saving time (documented in docs/scheduling.md):
// - a local time that does not exist (the clock jumps from 02:00 to 03:00)
//   fires at the same distance after the jump: 02:30 fires at 03:30;
// - a local time that happens twice (the clock goes back from 03:00 to 02:00)
//   fires once, at its first occurrence, unless the hour field is `*`: then
//   the schedule is an interval and fires in both hours, as in Vixie cron.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const loadCron = (): typeof import('node-cron') => require('node-cron') as typeof import('node-cron');

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Schedules such as "Feb 29 that is a Monday" fire rarely; none goes unmatched for a century. */
const MAX_DAYS_AHEAD = 366 * 100;

export interface CronSchedule {
  readonly expression: string;
  readonly timeZone: string;
  /** The first fire time strictly after `after`; undefined if there is none within a century. */
  nextAfter(after: Date): Date | undefined;
}

export function cronSchedule(expression: string, timeZone: string): CronSchedule {
  const cron = loadCron();
  const fields = cron.parse(expression);
  // Day fields may hold tokens (L, 15W, 1#2, 5L): node-cron matches the calendar day.
  const dayTask = cron.createTask(`0 0 0 ${fields.dayOfMonth.join(',')} ${fields.month.join(',')} ${fields.dayOfWeek.join(',')}`,
    () => undefined, { timezone: 'UTC' });
  void dayTask.destroy(); // out of node-cron's registry; match() still works
  const dayMatches = (dayStart: number) => dayTask.match(new Date(dayStart));
  const times = {
    hours: [...fields.hour].sort((a, b) => a - b),
    minutes: [...fields.minute].sort((a, b) => a - b),
    seconds: [...fields.second].sort((a, b) => a - b),
    everyHour: fields.hour.length === 24,
  };
  const offsets = zoneOffsets(timeZone);
  return {
    expression,
    timeZone,
    nextAfter(after: Date): Date | undefined {
      const afterMs = after.getTime();
      let dayStart = localDayStart(afterMs, offsets);
      for (let i = 0; i < MAX_DAYS_AHEAD; i++, dayStart += DAY) {
        if (!dayMatches(dayStart)) continue;
        const found = firstFireOnDay(dayStart, afterMs, times, offsets);
        if (found !== undefined) return new Date(found);
      }
      return undefined;
    },
  };
}

/** Fire times in (after, until], oldest first, at most `limit`. */
export function fireTimesBetween(schedule: CronSchedule, after: Date, until: Date, limit = Infinity): Date[] {
  const out: Date[] = [];
  for (let next = schedule.nextAfter(after); next && next <= until && out.length < limit; next = schedule.nextAfter(next)) out.push(next);
  return out;
}

/** The next `count` fire times after `after`. */
export function nextFireTimes(schedule: CronSchedule, after: Date, count: number): Date[] {
  const out: Date[] = [];
  for (let next = schedule.nextAfter(after); next && out.length < count; next = schedule.nextAfter(next)) out.push(next);
  return out;
}

interface Times {
  hours: number[];
  minutes: number[];
  seconds: number[];
  everyHour: boolean;
}

/**
 * Local times are handled as "local milliseconds": the wall-clock reading
 * written as if it were UTC. A local day that has no offset change maps to
 * instants by one subtraction; a day with a change needs the change's instant.
 */
function firstFireOnDay(dayStart: number, afterMs: number, times: Times, offsets: ZoneOffsets): number | undefined {
  const before = offsets.at(dayStart - 14 * HOUR);
  const after = offsets.at(dayStart + DAY + 14 * HOUR);
  if (before === after) return firstOnSteadyDay(dayStart, afterMs, times, before);
  const change = offsets.changeBetween(dayStart - 14 * HOUR, dayStart + DAY + 14 * HOUR);
  let best: number | undefined;
  for (const local of localTimes(dayStart, times)) {
    for (const instant of instantsOf(local, before, after, change, times.everyHour)) {
      if (instant > afterMs && (best === undefined || instant < best)) best = instant;
    }
  }
  return best;
}

function firstOnSteadyDay(dayStart: number, afterMs: number, times: Times, offset: number): number | undefined {
  const firstLocal = afterMs + offset; // local times at or before this have passed
  for (const hour of times.hours) {
    const hourStart = dayStart + hour * HOUR;
    if (hourStart + HOUR <= firstLocal) continue;
    for (const minute of times.minutes) {
      const minuteStart = hourStart + minute * 60_000;
      if (minuteStart + 60_000 <= firstLocal) continue;
      for (const second of times.seconds) {
        const local = minuteStart + second * 1000;
        if (local > firstLocal) return local - offset;
      }
    }
  }
  return undefined;
}

function* localTimes(dayStart: number, times: Times): Generator<number> {
  for (const hour of times.hours) {
    for (const minute of times.minutes) {
      for (const second of times.seconds) yield dayStart + hour * HOUR + minute * 60_000 + second * 1000;
    }
  }
}

/** The instants a local time stands for on a day whose offset changes from `before` to `after` at `change`. */
function instantsOf(local: number, before: number, after: number, change: number, everyHour: boolean): number[] {
  const early = local - before;
  const late = local - after;
  const earlyValid = early < change;
  const lateValid = late >= change;
  if (earlyValid && lateValid) return everyHour ? [early, late] : [early]; // the repeated hour
  if (earlyValid) return [early];
  if (lateValid) return [late];
  return [early]; // in the skipped hour: as far after the jump as the time was after its start
}

interface ZoneOffsets {
  /** Milliseconds to add to UTC for the zone's wall clock at `instant`. */
  at(instant: number): number;
  /** The first instant (to the second) in (from, to] whose offset differs from the offset at `from`. */
  changeBetween(from: number, to: number): number;
}

const offsetCache = new Map<string, ZoneOffsets>();

export function zoneOffsets(timeZone: string): ZoneOffsets {
  let cached = offsetCache.get(timeZone);
  if (cached) return cached;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  const at = (instant: number): number => {
    const whole = Math.floor(instant / 1000) * 1000;
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(new Date(whole))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
    return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) - whole;
  };
  const changeBetween = (from: number, to: number): number => {
    const first = at(from);
    let low = from;
    let high = to;
    while (high - low > 1000) {
      const middle = low + Math.floor((high - low) / 2000) * 1000;
      if (at(middle) === first) low = middle;
      else high = middle;
    }
    return high;
  };
  cached = { at, changeBetween };
  offsetCache.set(timeZone, cached);
  return cached;
}

/** Local midnight, in local milliseconds, of the day `instant` falls on in the zone. */
function localDayStart(instant: number, offsets: ZoneOffsets): number {
  const local = instant + offsets.at(instant);
  return local - (((local % DAY) + DAY) % DAY);
}

/** The instant of a wall-clock reading (local milliseconds) in the zone; a reading in a skipped hour moves past the jump. */
export function instantOfLocalTime(local: number, timeZone: string): number {
  const offsets = zoneOffsets(timeZone);
  const guess = local - offsets.at(local);
  return local - offsets.at(guess);
}
