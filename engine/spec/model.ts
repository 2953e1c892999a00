// The typed, resolved pipeline that every stage after validation works on;
// nothing after the spec stage looks at raw YAML again.
import type { CONDITION_OPS, CATCHUP_POLICIES, PARAMETER_TYPES, PERIODIC_UNITS, RUN_IF_VALUES } from './pipeline-schema.js';

export type RunIf = (typeof RUN_IF_VALUES)[number];
export type ConditionOp = (typeof CONDITION_OPS)[number];
export type ParameterType = (typeof PARAMETER_TYPES)[number];
export type CatchupPolicy = (typeof CATCHUP_POLICIES)[number];
export type PeriodicUnit = (typeof PERIODIC_UNITS)[number];
export type Scalar = string | number | boolean;

export interface Pipeline {
  name: string;
  description?: string;
  /** Path of the YAML file, and the folder relative paths (working_dir) start from. */
  file: string;
  baseDir: string;
  /** sha256 of the file's text: what a run records to know which version ran. */
  sourceHash: string;
  parameters: ParameterSpec[];
  schedule?: ScheduleSpec;
  trigger?: TriggerSpec;
  monitoring: MonitoringSpec;
  maxConcurrentRuns: number;
  queue: boolean;
  timeoutSeconds: number;
  /** In file order. */
  tasks: TaskSpec[];
}

export interface ParameterSpec {
  name: string;
  type: ParameterType;
  default?: Scalar;
  description?: string;
}

export interface ScheduleSpec {
  cron: string;
  timezone: string;
  paused: boolean;
  catchup: CatchupPolicy;
}

export interface TriggerSpec {
  onSuccessOf: string[];
  onDriftOf: string[];
  fileArrival?: { path: string; minTimeBetweenTriggersSeconds: number; waitAfterLastChangeSeconds: number };
  periodic?: { interval: number; unit: PeriodicUnit; intervalMillis: number };
}

export type NotificationEvent = 'start' | 'success' | 'failure' | 'health';

export type NotificationTarget = { kind: 'webhook'; url: string } | { kind: 'command'; argv: string[] };

/** Health rules and notifications of a run (on the pipeline) or of a task. */
export interface MonitoringSpec {
  /** RUN_DURATION_SECONDS GREATER_THAN thresholds; the lowest one counts. */
  maxDurationSeconds?: number;
  notifications: Record<NotificationEvent, NotificationTarget[]>;
}

export interface ExecutionSettings {
  maxRetries: number;
  minRetryIntervalMillis: number;
  retryBackoff: number;
  maxRetryIntervalMillis?: number;
  retryJitter: boolean;
  retryOnTimeout: boolean;
  retryOnExitCodes?: number[];
  timeoutSeconds: number;
  /** Values are templates. */
  env: Record<string, string>;
  workingDir?: string;
}

export interface Dependency {
  taskKey: string;
  outcome?: 'true' | 'false';
}

export interface TaskSpec extends ExecutionSettings {
  key: string;
  description?: string;
  dependsOn: Dependency[];
  runIf: RunIf;
  disabled: boolean;
  monitoring: MonitoringSpec;
  body: TaskBody;
}

export interface NestedTaskSpec extends ExecutionSettings {
  description?: string;
  body: TaskBody;
}

/** Strings in a body are templates, rendered when the task starts. */
export type TaskBody =
  | { type: 'command'; argv: string[] }
  | { type: 'shell'; script: string }
  | { type: 'condition'; left: string; op: ConditionOp; right: string }
  | { type: 'for_each'; inputs: string | unknown[]; concurrency: number; task: NestedTaskSpec }
  | { type: 'run_pipeline'; pipeline: string; parameters: Record<string, string> }
  | { type: 'builtin'; name: string; params: unknown };
