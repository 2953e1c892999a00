// Substitutes resolved references into a template string (argv, env,
// working_dir; shell scripts go through shell-render.ts instead).
import { parseTemplate, type TemplateReference } from './parse.js';
import type { TimeArgument } from './reference-grammar.js';

export type ReferenceResolver = (reference: TemplateReference) => string;

export function renderTemplate(text: string, resolve: ReferenceResolver): string {
  const parsed = parseTemplate(text);
  if (parsed.errors.length > 0) throw new Error(parsed.errors[0]!.message);
  let out = '';
  for (const part of parsed.parts) out += typeof part === 'string' ? part : resolve(part);
  return out;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** A time argument of `{{job.start_time.*}}` / `{{job.trigger.time.*}}`, in the pipeline's time zone. */
export function formatTimeArgument(time: Date, argument: TimeArgument, timeZone = 'UTC'): string {
  if (argument === 'timestamp_ms') return String(time.getTime());
  const fields = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short',
    }).formatToParts(time).map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const isoWeekday = WEEKDAYS.indexOf(fields.weekday!) + 1;
  const date = `${fields.year}-${fields.month}-${fields.day}`;
  switch (argument) {
    case 'iso_date': return date;
    case 'iso_datetime': return `${date}T${fields.hour}:${fields.minute}:${fields.second}${utcOffset(time, fields)}`;
    case 'year': return fields.year!;
    case 'month': return String(Number(fields.month));
    case 'day': return String(Number(fields.day));
    case 'hour': return String(Number(fields.hour));
    case 'minute': return String(Number(fields.minute));
    case 'second': return String(Number(fields.second));
    case 'iso_weekday': return String(isoWeekday);
    case 'is_weekday': return String(isoWeekday <= 5);
  }
}

function utcOffset(time: Date, local: Record<string, string>): string {
  const asUtc = Date.UTC(Number(local.year), Number(local.month) - 1, Number(local.day),
    Number(local.hour), Number(local.minute), Number(local.second));
  const minutes = Math.round((asUtc - Math.floor(time.getTime() / 1000) * 1000) / 60000);
  if (minutes === 0) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
