// Reads the --from and --to of `sluice backfill`: a day or a wall-clock time
// in the schedule's time zone, or an instant with an explicit offset.
import { UsageError } from '../engine/diagnostics.js';
import { instantOfLocalTime } from '../engine/schedule/cron-schedule.js';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** `end`: a day given for --to means the whole day, up to its last millisecond. */
export function parseBackfillTime(option: string, text: string, timeZone: string, bound: 'start' | 'end'): Date {
  const day = DAY.exec(text);
  if (day) {
    const [, y, m, d] = day.map(Number) as [number, number, number, number];
    const local = Date.UTC(y, m - 1, d + (bound === 'end' ? 1 : 0));
    checkCalendar(option, text, y, m, d);
    return new Date(instantOfLocalTime(local, timeZone) - (bound === 'end' ? 1 : 0));
  }
  const local = LOCAL_TIME.exec(text);
  if (local) {
    const [, y, m, d, h, min, s] = local.map((part) => Number(part ?? 0)) as number[];
    checkCalendar(option, text, y!, m!, d!);
    if (h! > 23 || min! > 59 || s! > 59) throw new UsageError(`${option} '${text}' is not a valid time of day`);
    return new Date(instantOfLocalTime(Date.UTC(y!, m! - 1, d!, h!, min!, s!), timeZone));
  }
  if (WITH_OFFSET.test(text) && !Number.isNaN(Date.parse(text))) return new Date(Date.parse(text));
  throw new UsageError(`${option} '${text}' is not a date: use YYYY-MM-DD, or a date-time such as 2026-03-01T06:00 (in the schedule's time zone, ${timeZone}) or 2026-03-01T06:00Z`);
}

function checkCalendar(option: string, text: string, y: number, m: number, d: number): void {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    throw new UsageError(`${option} '${text}' is not a day of the calendar`);
  }
}
