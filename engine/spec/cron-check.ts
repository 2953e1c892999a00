// What is wrong with a cron expression, in the user's terms. node-cron reads
// the expression (the same parser as the scheduler); its own words are
// replaced where they would puzzle: a day no month in the list has, and an
// @-macro from another scheduler (`@every 5m`, `@reboot`).
import { createRequire } from 'node:module';

// node-cron (and the child_process machinery it brings) loads only for files with a schedule.
const require = createRequire(import.meta.url);
const loadCron = (): typeof import('node-cron') => require('node-cron') as typeof import('node-cron');

/** The @-macros node-cron reads. */
export const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'] as const;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
/** trigger.periodic's units, largest first, in seconds. */
const PERIODIC_UNITS: Record<string, number> = { weeks: 604_800, days: 86_400, hours: 3600, minutes: 60, seconds: 1 };

export interface CronProblem {
  /** The part of the expression to point at ('' for the whole). */
  needle: string;
  message: string;
}

export function cronProblem(expression: string): CronProblem | undefined {
  const cron = loadCron();
  const result = cron.validateDetailed(expression);
  if (result.valid) return undefined;
  const [first] = result.errors;
  const field = first?.field === 'expression' ? undefined : first?.field;
  const prefix = `invalid cron expression '${expression}'`;
  if (field === 'dayOfMonth' && /impossible day of month/.test(first?.message ?? '')) {
    const never = neverFiresBecause(expression);
    if (never) return { needle: first?.value ?? '', message: `${prefix}: ${never}; this schedule would never fire` };
  }
  if (field) return { needle: first?.value ?? '', message: `${prefix}: '${first?.value}' is not valid for the ${fieldWords(field)} field (${fieldRange(field)})` };
  if (expression.trim().startsWith('@')) return { needle: '', message: `${prefix}: ${macroAdvice(expression.trim())}` };
  return {
    needle: '',
    message: `${prefix}: ${first?.message ?? 'unreadable'}; use 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first`,
  };
}

/** "February has no day 31", read from the expression with each of the two fields set free in turn. */
function neverFiresBecause(expression: string): string | undefined {
  const cron = loadCron();
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return undefined;
  const withField = (index: number, value: string) => fields.map((field, i) => (i === index ? value : field)).join(' ');
  const dayIndex = fields.length - 3;
  const monthIndex = fields.length - 2;
  const days = cron.validateDetailed(withField(monthIndex, '*')).fields?.dayOfMonth;
  const months = cron.validateDetailed(withField(dayIndex, '*')).fields?.month;
  if (!days?.length || !months?.length) return undefined;
  const monthNames = months.map((month) => MONTHS[Number(month) - 1] ?? String(month));
  return `${listWords(monthNames, 'and')} ${monthNames.length === 1 ? 'has' : 'have'} no day ${listWords(days.map(String), 'or')}`;
}

function macroAdvice(text: string): string {
  const macro = text.split(/\s+/)[0]!;
  const only = `the only @-macros are ${listWords([...CRON_MACROS], 'and')}`;
  if (macro.toLowerCase() !== '@every') return `'${macro}' is not cron: ${only}; write a 5-field cron expression (minute hour day-of-month month day-of-week) instead`;
  const every = periodicOf(text.slice(macro.length).trim());
  const periodic = every ?? { interval: 5, unit: 'minutes' };
  return `'${macro}' is not cron: ${only}; ${every ? `for a run every ${every.interval} ${every.unit}` : 'for a run at a fixed interval'}, ` +
    `use trigger: { periodic: { interval: ${periodic.interval}, unit: ${periodic.unit} } } instead of a schedule`;
}

/** `5m`, `1h30m`, `90s` (Go's durations, as in `@every`) as the largest periodic unit that fits. */
function periodicOf(duration: string): { interval: number; unit: string } | undefined {
  if (!/^(\d+[wdhms])+$/i.test(duration)) return undefined;
  let seconds = 0;
  for (const [, count, unit] of duration.matchAll(/(\d+)([wdhms])/gi)) seconds += Number(count) * UNIT_SECONDS[unit!.toLowerCase()]!;
  if (seconds === 0) return undefined;
  const [unit, size] = Object.entries(PERIODIC_UNITS).find(([, size]) => seconds % size === 0)!;
  return { interval: seconds / size, unit };
}

function listWords(items: string[], conjunction: 'and' | 'or'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

function fieldWords(field: string): string {
  return field.replace(/([A-Z])/g, ' $1').toLowerCase();
}

function fieldRange(field: string): string {
  const ranges: Record<string, string> = {
    second: '0-59', minute: '0-59', hour: '0-23', dayOfMonth: '1-31, and the day must exist in the month',
    month: '1-12 or JAN-DEC', dayOfWeek: '0-7 or SUN-SAT',
  };
  return ranges[field] ?? 'see the cron reference';
}
