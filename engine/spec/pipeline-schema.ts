// Builds the published JSON Schema of a pipeline file from the core keys and
// the registered task types. `schemas/pipeline.schema.json` is its output.
import { CORE_TASK_TYPES, type JsonSchema, type TaskTypeDefinition } from '../task-types.js';

export const TASK_KEY_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_-]*$';
export const PIPELINE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';
/** Task keys, pipeline and parameter names end up in file names, URLs and environment variables. */
export const MAX_NAME_LENGTH = 100;
/** Parameter and environment variable names: a parameter also becomes $SLUICE_PARAM_<NAME>. */
export const IDENTIFIER_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

export const RUN_IF_VALUES = [
  'all_success', 'at_least_one_success', 'none_failed', 'all_done', 'at_least_one_failed', 'all_failed',
] as const;
export const CONDITION_OPS = [
  'EQUAL_TO', 'NOT_EQUAL', 'GREATER_THAN', 'GREATER_THAN_OR_EQUAL', 'LESS_THAN', 'LESS_THAN_OR_EQUAL',
] as const;
export const PARAMETER_TYPES = ['string', 'number', 'integer', 'boolean'] as const;
export const CATCHUP_POLICIES = ['none', 'latest', 'all'] as const;
export const PERIODIC_UNITS = ['seconds', 'minutes', 'hours', 'days', 'weeks'] as const;
/** Databricks' health metric and operator names, the only pair so far. */
export const HEALTH_METRICS = ['RUN_DURATION_SECONDS'] as const;
export const HEALTH_OPS = ['GREATER_THAN'] as const;
/** When notifications go out: Databricks' webhook_notifications keys. */
export const NOTIFICATION_EVENTS = ['on_start', 'on_success', 'on_failure', 'on_duration_warning_threshold_exceeded'] as const;
export const WEBHOOK_URL_PATTERN = '^https?://';

/** Human words for the patterns above, used in error messages. */
export const PATTERN_RULES: Record<string, string> = {
  [TASK_KEY_PATTERN]: "letters, digits, '_' and '-'",
  [PIPELINE_NAME_PATTERN]: "letters, digits, '_', '.' and '-', starting with a letter or digit",
  [IDENTIFIER_PATTERN]: "letters, digits and '_', not starting with a digit",
  [WEBHOOK_URL_PATTERN]: 'an http:// or https:// URL',
};

const scalar = (description: string): JsonSchema => ({ type: ['string', 'number', 'boolean'], description });
const int = (minimum: number, description: string, extra: JsonSchema = {}): JsonSchema =>
  ({ type: 'integer', minimum, description, ...extra });

/** Retry, timeout and environment keys: on a task, a for_each's nested task, and task_defaults. */
function executionSettings(): Record<string, JsonSchema> {
  return {
    max_retries: int(-1, 'How many times a failed attempt is retried; 0 never, -1 without limit (as in Databricks).', { default: 0 }),
    min_retry_interval_millis: int(0, 'Wait before the first retry, in milliseconds.', { default: 0 }),
    retry_backoff: { type: 'number', minimum: 1, default: 1, description: 'Factor by which the wait grows after each retry (exponential backoff); 1 keeps it constant.' },
    max_retry_interval_millis: int(0, 'Upper bound of the wait between retries, in milliseconds.'),
    retry_jitter: { type: 'boolean', default: false, description: 'Randomize each wait between half and all of its length, so that many retries do not fire at once.' },
    retry_on_timeout: { type: 'boolean', default: false, description: 'Retry an attempt that hit timeout_seconds (Databricks retries only failures by default).' },
    retry_on_exit_codes: {
      type: 'array', uniqueItems: true, minItems: 1, items: { type: 'integer', minimum: 1, maximum: 255 },
      description: 'Retry only when the process exits with one of these codes; other failures fail at once.',
    },
    timeout_seconds: int(0, 'Kill an attempt (its whole process tree) after this many seconds; 0 means no timeout.', { default: 0 }),
    env: {
      type: 'object', description: 'Environment variables for the process; values may hold references.',
      propertyNames: { pattern: IDENTIFIER_PATTERN }, additionalProperties: scalar('Value of the variable.'),
    },
    working_dir: { type: 'string', minLength: 1, description: "Directory the process starts in, relative to the pipeline file's folder." },
  };
}

const pipelineNames = (description: string): JsonSchema => ({
  type: 'array', minItems: 1, uniqueItems: true, description,
  items: { type: 'string', pattern: PIPELINE_NAME_PATTERN, maxLength: MAX_NAME_LENGTH, description: 'Name of a pipeline.' },
});

/** What starts runs besides the cron schedule (Databricks' `trigger`), read by `sluice serve`. */
function triggerSchema(): JsonSchema {
  return {
    type: 'object', additionalProperties: false, minProperties: 1,
    description: 'Start runs when other pipelines finish, when files arrive, or at a fixed interval; `sluice serve` watches these.',
    properties: {
      on_success_of: pipelineNames('Start a run each time a run of one of these pipelines succeeds.'),
      on_drift_of: pipelineNames('Start a run each time a run of one of these pipelines reports drift (a task wrote the value drift_detected=true).'),
      file_arrival: {
        type: 'object', additionalProperties: false, required: ['path'],
        description: 'Start a run when files appear or change under a path.',
        properties: {
          path: { type: 'string', minLength: 1, description: "File or folder to watch, relative to the pipeline file's folder." },
          min_time_between_triggers_seconds: int(0, 'At least this many seconds between two runs started by this trigger.', { default: 0 }),
          wait_after_last_change_seconds: int(0, 'Start the run only after the path has not changed for this many seconds.', { default: 0 }),
        },
      },
      periodic: {
        type: 'object', additionalProperties: false, required: ['interval', 'unit'],
        description: 'Start a run every interval, counted from the last periodic run.',
        properties: {
          interval: int(1, 'How many units between two runs.'),
          unit: { enum: [...PERIODIC_UNITS], description: 'Unit of the interval.' },
        },
      },
    },
  };
}

/**
 * `health` and the notifications, on the pipeline (its runs) and on a task.
 * The schemas are definitions, referred to from both places: the
 * precompiled validator then holds their code once.
 */
function monitoringProperties(subject: 'run' | 'task'): Record<string, JsonSchema> {
  return {
    health: { $ref: '#/definitions/health', description: `Rules the ${subject} should keep; a breach sends the on_duration_warning_threshold_exceeded notifications.` },
    webhook_notifications: { $ref: '#/definitions/webhookNotifications', description: `HTTP POSTs of a JSON event when the ${subject} starts, succeeds, fails, or breaks a health rule.` },
    command_notifications: { $ref: '#/definitions/commandNotifications', description: `Commands to run when the ${subject} starts, succeeds, fails, or breaks a health rule.` },
  };
}

function monitoringDefinitions(): Record<string, JsonSchema> {
  // Each event refers to one list schema: the precompiled validator checks the list in one function.
  const events = (list: string, what: string): JsonSchema => ({
    type: 'object', additionalProperties: false, minProperties: 1, description: what,
    properties: Object.fromEntries(NOTIFICATION_EVENTS.map((event) => [event, { $ref: `#/definitions/${list}`, description: NOTIFICATION_WHEN[event] }])),
  });
  return {
    health: {
      type: 'object', additionalProperties: false, required: ['rules'], description: 'Health rules (Databricks health rules).',
      properties: {
        rules: {
          type: 'array', minItems: 1, description: 'Health rules; a run or task that breaks one is reported once.',
          items: {
            type: 'object', additionalProperties: false, required: ['metric', 'op', 'value'],
            properties: {
              metric: { enum: [...HEALTH_METRICS], description: 'What is measured: RUN_DURATION_SECONDS is how long the run or task has been running.' },
              op: { enum: [...HEALTH_OPS], description: 'Comparison that breaks the rule.' },
              value: int(1, 'Threshold, in the unit of the metric.'),
            },
          },
        },
      },
    },
    webhookNotifications: events('webhookList', 'Webhooks to call, per event.'),
    commandNotifications: events('commandList', 'Commands to run, per event.'),
    webhookList: {
      type: 'array', minItems: 1, description: 'Webhooks to call.',
      items: {
        type: 'object', additionalProperties: false, required: ['url'],
        properties: { url: { type: 'string', pattern: WEBHOOK_URL_PATTERN, description: 'URL to POST a JSON event to; retried with backoff.' } },
      },
    },
    commandList: {
      type: 'array', minItems: 1, description: 'Commands to run.',
      items: {
        type: 'object', additionalProperties: false, required: ['command'],
        properties: {
          command: { type: 'array', minItems: 1, items: scalar('One argument.'), description: 'Program and arguments to run; the event is in $SLUICE_EVENT as JSON.' },
        },
      },
    },
  };
}

const NOTIFICATION_WHEN: Record<(typeof NOTIFICATION_EVENTS)[number], string> = {
  on_start: 'When the run or task starts.',
  on_success: 'When the run or task succeeds.',
  on_failure: 'When the run or task fails, times out or is canceled.',
  on_duration_warning_threshold_exceeded: 'When the run or task runs longer than a RUN_DURATION_SECONDS health rule allows.',
};

function coreTypeSchemas(): Record<string, JsonSchema> {
  return {
    command: {
      type: 'array', minItems: 1, items: scalar('One argument; references are substituted, never split or interpreted.'),
      description: 'Run a program with these arguments, without a shell: the first item is the program.',
    },
    shell: {
      type: 'string', minLength: 1,
      description: 'Run this script with bash (-euo pipefail); every substituted reference is shell-quoted.',
    },
    condition: {
      type: 'object', additionalProperties: false, required: ['left', 'op', 'right'],
      description: 'Compare two values without starting a process; downstream tasks follow its outcome ("true" or "false").',
      properties: {
        left: scalar('Left operand; usually a reference such as {{tasks.evaluate.values.auc}}.'),
        op: { enum: [...CONDITION_OPS], description: 'Comparison; operands that both look like numbers compare as numbers, otherwise as strings.' },
        right: scalar('Right operand.'),
      },
    },
    for_each: {
      type: 'object', additionalProperties: false, required: ['inputs', 'task'],
      description: 'Run the nested task once per input; downstream, {{tasks.<key>.values.<name>}} is the array of iteration values in input order.',
      properties: {
        inputs: {
          anyOf: [{ type: 'string' }, { type: 'array' }],
          description: 'A JSON array, a YAML list, or a reference to a value that holds a JSON array.',
        },
        concurrency: int(1, 'How many iterations run at once.', { maximum: 100, default: 1 }),
        task: { $ref: '#/definitions/nestedTask', description: 'The task to run for each input; {{input}} is the current input.' },
      },
    },
    run_pipeline: {
      type: 'object', additionalProperties: false, required: ['pipeline'],
      description: 'Run another pipeline as a child run and wait for it.',
      properties: {
        pipeline: { type: 'string', pattern: PIPELINE_NAME_PATTERN, maxLength: MAX_NAME_LENGTH, description: 'Name of the pipeline to run.' },
        parameters: { type: 'object', additionalProperties: scalar('Parameter value; may hold references.'), description: "Values for the child pipeline's parameters." },
      },
    },
  };
}

export function buildPipelineSchema(taskTypes: readonly TaskTypeDefinition[]): JsonSchema {
  const typeSchemas: Record<string, JsonSchema> = coreTypeSchemas();
  for (const type of taskTypes) {
    if (type.name in typeSchemas || type.name in taskCommonProperties()) {
      throw new Error(`task type '${type.name}' clashes with a core key`);
    }
    typeSchemas[type.name] = { ...type.paramsSchema, description: type.description };
  }
  const typeKeys = Object.keys(typeSchemas);
  const exactlyOneType = { oneOf: typeKeys.map((key) => ({ required: [key] })) };

  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Sluice pipeline',
    description: 'A DAG of tasks that Sluice validates, schedules and runs. See docs/pipeline-reference.md.',
    type: 'object',
    additionalProperties: false,
    required: ['name', 'tasks'],
    properties: {
      name: { type: 'string', pattern: PIPELINE_NAME_PATTERN, maxLength: MAX_NAME_LENGTH, description: 'Unique name of the pipeline; runs, schedules and run_pipeline refer to it.' },
      description: { type: 'string', description: 'What the pipeline does, for people.' },
      parameters: {
        type: 'array', description: 'Job parameters: {{job.parameters.<name>}} in tasks, $SLUICE_PARAM_<NAME> in processes, --param name=value on the command line.',
        items: {
          type: 'object', additionalProperties: false, required: ['name'],
          properties: {
            name: { type: 'string', pattern: IDENTIFIER_PATTERN, maxLength: MAX_NAME_LENGTH, description: 'Parameter name.' },
            type: { enum: [...PARAMETER_TYPES], default: 'string', description: 'Type that the default and given values must have.' },
            default: scalar('Value used when a run does not set one; without a default the parameter must be given.'),
            description: { type: 'string', description: 'What the parameter means.' },
          },
        },
      },
      schedule: {
        type: 'object', additionalProperties: false, required: ['cron'], description: 'When `sluice serve` starts runs.',
        properties: {
          cron: { type: 'string', description: 'Cron expression with 5 fields (minute first) or 6 (second first), as node-cron reads it.' },
          timezone: { type: 'string', default: 'UTC', description: 'IANA time zone in which the cron expression is read, e.g. Europe/Berlin.' },
          paused: { type: 'boolean', default: false, description: 'Keep the schedule but do not fire it.' },
          catchup: { enum: [...CATCHUP_POLICIES], default: 'latest', description: 'Fires missed while no daemon ran: none, only the latest, or all of them in order.' },
        },
      },
      trigger: triggerSchema(),
      ...monitoringProperties('run'),
      max_concurrent_runs: int(1, 'How many runs of this pipeline may be active at once.', { maximum: 1000, default: 1 }),
      queue: { type: 'boolean', default: true, description: 'When max_concurrent_runs is reached, queue a new run (true) or skip it (false).' },
      timeout_seconds: int(0, 'Cancel the whole run after this many seconds; 0 means no timeout.', { default: 0 }),
      task_defaults: {
        type: 'object', additionalProperties: false, properties: executionSettings(),
        description: 'Retry, timeout and environment settings every task starts from; a task key overrides them (env is merged).',
      },
      tasks: { type: 'array', minItems: 1, items: { $ref: '#/definitions/task' }, description: 'The tasks; order does not matter, depends_on does.' },
    },
    definitions: {
      ...monitoringDefinitions(),
      task: {
        type: 'object', additionalProperties: false, required: ['task_key'],
        description: 'A task: task_key, exactly one type key, and optional dependency and execution settings.',
        properties: { ...taskCommonProperties(), ...executionSettings(), ...typeSchemas },
        ...exactlyOneType,
      },
      nestedTask: {
        type: 'object', additionalProperties: false,
        description: 'The task a for_each runs per input: one type key and execution settings; {{input}} is the current input.',
        properties: { description: { type: 'string', description: 'What an iteration does.' }, ...executionSettings(), ...typeSchemas },
        ...exactlyOneType,
      },
    },
  };
}

function taskCommonProperties(): Record<string, JsonSchema> {
  return {
    task_key: { type: 'string', pattern: TASK_KEY_PATTERN, maxLength: MAX_NAME_LENGTH, description: 'Unique name of the task within the pipeline.' },
    description: { type: 'string', description: 'What the task does, for people.' },
    depends_on: {
      type: 'array', description: 'Tasks that must settle before this one starts.',
      items: {
        anyOf: [
          { type: 'string', description: 'task_key of an upstream task.' },
          {
            type: 'object', additionalProperties: false, required: ['task_key'],
            properties: {
              task_key: { type: 'string', description: 'task_key of an upstream task.' },
              outcome: { enum: ['true', 'false', true, false], description: 'After a condition task: run only on this outcome.' },
            },
          },
        ],
      },
    },
    run_if: { enum: [...RUN_IF_VALUES], default: 'all_success', description: 'Which states of the dependencies let this task run (Databricks run_if).' },
    disabled: { type: 'boolean', default: false, description: 'Keep the task in the pipeline but do not run it; dependents whose run_if cannot be met are disabled too.' },
    ...monitoringProperties('task'),
  };
}
