// The monitor task's parameters, read and checked: numbers may arrive as
// rendered references (strings), so ranges are checked here as well as in
// the schema.
import { closest } from '../../engine/suggest.js';
import { numberParameter } from '../runtime/parameter-values.js';
import { TaskInputError } from '../runtime/task-context.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './compare.js';
import type { DriftTrigger } from './drift-trigger.js';
import type { DatasetProfile } from './profile.js';

type ThresholdValues = Partial<Record<keyof Thresholds, number | string>>;

export interface MonitorParams {
  /** A dataset URI, or a stored profile (DatasetProfile). */
  reference: string | DatasetProfile;
  current: string;
  predictions?: string;
  features?: string[];
  prediction_column?: string;
  thresholds?: ThresholdValues & { features?: Record<string, ThresholdValues> };
  drift_share?: number | string;
  report?: string;
  on_drift?: { trigger: string; parameters?: Record<string, string | number | boolean> };
}

export interface ThresholdPlan {
  defaults: Thresholds;
  /** Overrides by column name. */
  columns: Map<string, Partial<Thresholds>>;
}

const LIMITS: Record<keyof Thresholds, [number, number]> = { psi: [0, Infinity], ks_p_value: [0, 1], chi2_p_value: [0, 1], null_rate: [0, 1] };

export function readThresholds(params: MonitorParams['thresholds']): ThresholdPlan {
  const { features, ...defaults } = params ?? {};
  return {
    defaults: { ...DEFAULT_THRESHOLDS, ...checked(defaults, 'thresholds') },
    columns: new Map(Object.entries(features ?? {}).map(([column, values]) => [column, checked(values, `thresholds.features.${column}`)])),
  };
}

function checked(values: ThresholdValues, where: string): Partial<Thresholds> {
  const result: Partial<Thresholds> = {};
  for (const [key, raw] of Object.entries(values)) {
    const limits = LIMITS[key as keyof Thresholds];
    if (!limits) throw new TaskInputError(`${where}.${key} is not a threshold (thresholds: ${Object.keys(LIMITS).join(', ')})`);
    const value = numberParameter(raw, `${where}.${key}`);
    if (value < limits[0] || value > limits[1]) throw new TaskInputError(`${where}.${key} is ${value}; it must be between ${limits[0]} and ${limits[1]}`);
    result[key as keyof Thresholds] = value;
  }
  return result;
}

/** The thresholds of one column; overrides naming a column that is not monitored are an error (a likely typo). */
export function thresholdsFor(plan: ThresholdPlan, monitored: readonly string[]): (column: string) => Thresholds {
  for (const column of plan.columns.keys()) {
    if (!monitored.includes(column)) {
      const guess = closest(column, monitored);
      throw new TaskInputError(`thresholds.features names '${column}', which is not monitored${guess ? `; did you mean '${guess}'?` : ''} (monitored: ${monitored.join(', ')})`);
    }
  }
  return (column) => ({ ...plan.defaults, ...plan.columns.get(column) });
}

export function readDriftShare(raw: MonitorParams['drift_share']): number | undefined {
  if (raw === undefined) return undefined;
  const share = numberParameter(raw, 'drift_share');
  if (!(share > 0 && share <= 1)) throw new TaskInputError(`drift_share is ${share}; it must be above 0 and at most 1 (0.5: half of the features)`);
  return share;
}

export function readTrigger(raw: MonitorParams['on_drift']): DriftTrigger | undefined {
  if (!raw) return undefined;
  return { pipeline: raw.trigger, ...(raw.parameters ? { parameters: raw.parameters } : {}) };
}
