// Turns a raw value that passed every check into the typed Pipeline, applying
// defaults once so that later stages never guess.
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type {
  Dependency, ExecutionSettings, MonitoringSpec, NestedTaskSpec, NotificationEvent, NotificationTarget, ParameterSpec, Pipeline, Scalar,
  ScheduleSpec, TaskBody, TaskSpec, TriggerSpec,
} from './model.js';

type Raw = Record<string, any>;

/** `builtinTypes` are the names of the registered task types (tasks/). */
export function toPipeline(raw: Raw, file: string, text: string, builtinTypes: ReadonlySet<string>): Pipeline {
  const defaults: Raw = raw.task_defaults ?? {};
  const context = { defaults, builtinTypes };
  return {
    name: raw.name,
    description: raw.description,
    file,
    baseDir: dirname(resolve(file)),
    sourceHash: createHash('sha256').update(text).digest('hex'),
    parameters: (raw.parameters ?? []).map(toParameter),
    schedule: raw.schedule ? toSchedule(raw.schedule) : undefined,
    trigger: raw.trigger ? toTrigger(raw.trigger) : undefined,
    monitoring: toMonitoring(raw),
    maxConcurrentRuns: raw.max_concurrent_runs ?? 1,
    queue: raw.queue ?? true,
    timeoutSeconds: raw.timeout_seconds ?? 0,
    tasks: (raw.tasks as Raw[]).map((task) => toTask(task, context)),
  };
}

function toParameter(raw: Raw): ParameterSpec {
  return { name: raw.name, type: raw.type ?? 'string', default: raw.default, description: raw.description };
}

function toSchedule(raw: Raw): ScheduleSpec {
  return { cron: raw.cron, timezone: raw.timezone ?? 'UTC', paused: raw.paused ?? false, catchup: raw.catchup ?? 'latest' };
}

const UNIT_MILLIS: Record<string, number> = { seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000, weeks: 604_800_000 };

function toTrigger(raw: Raw): TriggerSpec {
  const file = raw.file_arrival;
  const periodic = raw.periodic;
  return {
    onSuccessOf: raw.on_success_of ?? [],
    onDriftOf: raw.on_drift_of ?? [],
    fileArrival: file ? {
      path: file.path, minTimeBetweenTriggersSeconds: file.min_time_between_triggers_seconds ?? 0,
      waitAfterLastChangeSeconds: file.wait_after_last_change_seconds ?? 0,
    } : undefined,
    periodic: periodic ? { interval: periodic.interval, unit: periodic.unit, intervalMillis: periodic.interval * UNIT_MILLIS[periodic.unit]! } : undefined,
  };
}

const EVENT_KEYS: Record<string, NotificationEvent> = {
  on_start: 'start', on_success: 'success', on_failure: 'failure', on_duration_warning_threshold_exceeded: 'health',
};

/** `health` and the notifications of a pipeline or a task. */
function toMonitoring(raw: Raw): MonitoringSpec {
  const notifications: Record<NotificationEvent, NotificationTarget[]> = { start: [], success: [], failure: [], health: [] };
  for (const [key, event] of Object.entries(EVENT_KEYS)) {
    for (const hook of raw.webhook_notifications?.[key] ?? []) notifications[event].push({ kind: 'webhook', url: hook.url });
    for (const hook of raw.command_notifications?.[key] ?? []) notifications[event].push({ kind: 'command', argv: (hook.command as Scalar[]).map(String) });
  }
  const limits = ((raw.health?.rules ?? []) as Raw[]).map((rule) => rule.value as number);
  return { maxDurationSeconds: limits.length > 0 ? Math.min(...limits) : undefined, notifications };
}

interface Context {
  defaults: Raw;
  builtinTypes: ReadonlySet<string>;
}

function toTask(raw: Raw, context: Context): TaskSpec {
  return {
    key: raw.task_key,
    description: raw.description,
    dependsOn: (raw.depends_on ?? []).map(toDependency),
    runIf: raw.run_if ?? 'all_success',
    disabled: raw.disabled ?? false,
    monitoring: toMonitoring(raw),
    ...toSettings(raw, context.defaults),
    body: toBody(raw, context),
  };
}

function toDependency(raw: string | Raw): Dependency {
  if (typeof raw === 'string') return { taskKey: raw };
  return raw.outcome === undefined ? { taskKey: raw.task_key } : { taskKey: raw.task_key, outcome: String(raw.outcome) as 'true' | 'false' };
}

function toSettings(raw: Raw, defaults: Raw): ExecutionSettings {
  const pick = <T>(key: string, fallback: T): T => raw[key] ?? defaults[key] ?? fallback;
  const env = { ...stringifyValues(defaults.env), ...stringifyValues(raw.env) };
  return {
    maxRetries: pick('max_retries', 0),
    minRetryIntervalMillis: pick('min_retry_interval_millis', 0),
    retryBackoff: pick('retry_backoff', 1),
    maxRetryIntervalMillis: pick<number | undefined>('max_retry_interval_millis', undefined),
    retryJitter: pick('retry_jitter', false),
    retryOnTimeout: pick('retry_on_timeout', false),
    retryOnExitCodes: pick<number[] | undefined>('retry_on_exit_codes', undefined),
    timeoutSeconds: pick('timeout_seconds', 0),
    env,
    workingDir: pick<string | undefined>('working_dir', undefined),
  };
}

function toBody(raw: Raw, context: Context): TaskBody {
  if ('command' in raw) return { type: 'command', argv: (raw.command as Scalar[]).map(String) };
  if ('shell' in raw) return { type: 'shell', script: raw.shell };
  if ('condition' in raw) {
    const c = raw.condition;
    return { type: 'condition', left: String(c.left), op: c.op, right: String(c.right) };
  }
  if ('for_each' in raw) {
    const loop = raw.for_each;
    return { type: 'for_each', inputs: loop.inputs, concurrency: loop.concurrency ?? 1, task: toNestedTask(loop.task, context) };
  }
  if ('run_pipeline' in raw) {
    const run = raw.run_pipeline;
    return { type: 'run_pipeline', pipeline: run.pipeline, parameters: stringifyValues(run.parameters) };
  }
  const name = Object.keys(raw).find((key) => context.builtinTypes.has(key))!;
  return { type: 'builtin', name, params: raw[name] };
}

function toNestedTask(raw: Raw, context: Context): NestedTaskSpec {
  return { description: raw.description, ...toSettings(raw, context.defaults), body: toBody(raw, context) };
}

function stringifyValues(map: Raw | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(map ?? {})) out[key] = String(value);
  return out;
}
