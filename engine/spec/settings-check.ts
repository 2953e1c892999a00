// Checks pipeline settings that the schema cannot express: parameter defaults
// against their types, unused parameters, retry bounds, cron and time zone.
import { closest } from '../suggest.js';
import type { CheckContext } from './check-context.js';
import { cronProblem } from './cron-check.js';
import type { Finding } from './finding.js';
import type { ReferenceUse } from './reference-check.js';
import { isRecord, yamlTypeName } from './path-names.js';
import type { PathSegment } from './finding.js';

export function checkParameters(ctx: CheckContext, references: ReferenceUse): void {
  if (!Array.isArray(ctx.root.parameters)) return;
  const firstIndex = new Map<string, number>();
  ctx.root.parameters.forEach((parameter, index) => {
    if (!isRecord(parameter) || typeof parameter.name !== 'string') return;
    const path: PathSegment[] = ['parameters', index];
    const name = parameter.name;
    const first = firstIndex.get(name);
    if (first !== undefined) {
      ctx.error([...path, 'name'], 'duplicate-parameter', ({ lineOf }) => {
        const line = lineOf(['parameters', first, 'name']);
        return `parameter '${name}' is declared twice${line ? ` (first on line ${line})` : ''}`;
      });
    } else firstIndex.set(name, index);
    const type = typeof parameter.type === 'string' ? parameter.type : 'string';
    if ('default' in parameter) {
      const problem = defaultMismatch(name, type, parameter.default, [...path, 'default']);
      if (problem) ctx.error([...path, 'default'], 'default-type', problem);
    }
    if (!references.usedParameters.has(name) && !references.hadErrors) {
      ctx.warning([...path, 'name'], 'unused-parameter',
        `parameter '${name}' is never used as {{job.parameters.${name}}} (processes still see $SLUICE_PARAM_${name.toUpperCase()})`);
    }
  });
}

function defaultMismatch(name: string, type: string, value: unknown, path: PathSegment[]): Finding['message'] | undefined {
  const is = `default of parameter '${name}' is ${yamlTypeName(value)} but its type is`;
  switch (type) {
    case 'string':
      if (typeof value === 'string') return undefined;
      // Quote the value as written: YAML has already turned 1.10 into 1.1.
      return ({ textOf }) => `${is} string; quote it ("${textOf(path) ?? String(value)}") so YAML keeps it as written`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `${is} number`;
    case 'integer':
      return Number.isInteger(value) ? undefined : `${is} integer`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${is} boolean (true or false)`;
    default:
      return undefined;
  }
}

/** Checks the settings a task ends up with: its own keys over task_defaults. */
export function checkRetryBounds(ctx: CheckContext): void {
  const defaults = isRecord(ctx.root.task_defaults) ? ctx.root.task_defaults : {};
  const check = (settings: Record<string, unknown>, path: PathSegment[], owner: string) => {
    const min = settings.min_retry_interval_millis ?? defaults.min_retry_interval_millis;
    const max = settings.max_retry_interval_millis ?? defaults.max_retry_interval_millis;
    if (typeof min !== 'number' || typeof max !== 'number' || max >= min) return;
    const inherited = settings !== defaults &&
      !('min_retry_interval_millis' in settings && 'max_retry_interval_millis' in settings);
    const where = 'max_retry_interval_millis' in settings ? 'max_retry_interval_millis' : 'min_retry_interval_millis';
    const at = where in settings ? [...path, where] : ['task_defaults', 'max_retry_interval_millis'];
    ctx.error(at, 'retry-bounds',
      `max_retry_interval_millis (${max}) of ${owner} is below min_retry_interval_millis (${min})${inherited ? ', counting task_defaults' : ''}`);
  };
  check(defaults, ['task_defaults'], 'task_defaults');
  for (const task of ctx.tasks) {
    const own = 'min_retry_interval_millis' in task.value || 'max_retry_interval_millis' in task.value;
    if (own) check(task.value, task.path, `task '${task.key}'`);
    const loop = task.value.for_each;
    if (isRecord(loop) && isRecord(loop.task) && ('min_retry_interval_millis' in loop.task || 'max_retry_interval_millis' in loop.task)) {
      check(loop.task, [...task.path, 'for_each', 'task'], `the for_each task of '${task.key}'`);
    }
  }
}

let canonicalZones: Set<string> | undefined;

export function checkSchedule(ctx: CheckContext): void {
  const schedule = ctx.root.schedule;
  if (!isRecord(schedule)) return;
  const problem = typeof schedule.cron === 'string' ? cronProblem(schedule.cron) : undefined;
  if (problem) ctx.errorInString(['schedule', 'cron'], problem.needle, 'bad-cron', problem.message);
  if (typeof schedule.timezone === 'string' && !isTimeZone(schedule.timezone)) {
    const suggestion = closest(schedule.timezone, knownTimeZones());
    ctx.error(['schedule', 'timezone'], 'bad-timezone',
      `unknown time zone '${schedule.timezone}'${suggestion ? `; did you mean '${suggestion}'?` : '; use an IANA name such as Europe/Berlin or UTC'}`);
  }
}

function knownTimeZones(): Set<string> {
  canonicalZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);
  return canonicalZones;
}

/**
 * The list of canonical zones answers in ~2 ms; constructing a formatter loads
 * locale data (~16 ms of a cold `sluice validate`), so it only settles aliases
 * such as US/Eastern that the list leaves out.
 */
function isTimeZone(name: string): boolean {
  if (knownTimeZones().has(name)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
