// Evaluation gates: bounds on metrics, judged after scoring. The `beat`
// gate, which scores a champion too, is in champion.ts.
import { closest } from '../../engine/suggest.js';
import { numberParameter } from '../runtime/parameter-values.js';
import { TaskInputError } from '../runtime/task-context.js';
import type { BeatSpec } from './champion.js';

export interface GateSpec {
  min?: Record<string, number | string>;
  max?: Record<string, number | string>;
  beat?: BeatSpec;
  on_failure?: 'fail' | 'continue';
}

interface GateCheck {
  text: string;
  met: boolean;
}

function checkGates(gate: GateSpec, metrics: Record<string, number>): GateCheck[] {
  const checks: GateCheck[] = [];
  for (const [bound, limits] of [['min', gate.min], ['max', gate.max]] as const) {
    for (const [metric, raw] of Object.entries(limits ?? {})) {
      const limit = numberParameter(raw, `gate.${bound}.${metric}`);
      const value = metrics[metric];
      if (value === undefined) {
        const names = Object.keys(metrics);
        const guess = closest(metric, names);
        throw new TaskInputError(`gate.${bound} names metric '${metric}', which this model does not have${guess ? `; did you mean '${guess}'?` : ''} (metrics: ${names.join(', ')})`);
      }
      const met = bound === 'min' ? value >= limit : value <= limit;
      const sign = bound === 'min' ? (met ? '>=' : '<') : (met ? '<=' : '>');
      checks.push({ text: `${metric} ${format(value)} ${sign} ${bound} ${limit}`, met });
    }
  }
  return checks;
}

/** The gates a metric set misses, as readable lines ("roc_auc 0.71 < min 0.8"). */
export function judgeGates(gate: GateSpec, metrics: Record<string, number>): string[] {
  return checkGates(gate, metrics).filter((check) => !check.met).map((check) => check.text);
}

/**
 * One line for the log: every bound with its metric, and what a miss does;
 * none when the gate has no min or max (a beat is judged on its own).
 */
export function gateVerdict(gate: GateSpec, metrics: Record<string, number>): string | undefined {
  const checks = checkGates(gate, metrics);
  if (checks.length === 0) return undefined;
  const missed = checks.filter((check) => !check.met);
  if (missed.length === 0) return `gate passed: ${checks.map((check) => check.text).join(', ')}`;
  const met = checks.filter((check) => check.met);
  const outcome = gate.on_failure === 'continue' ? 'the task goes on with passed=false' : 'the task fails';
  return `gate missed: ${missed.map((check) => check.text).join(', ')}${met.length ? ` (met: ${met.map((check) => check.text).join(', ')})` : ''}; ${outcome}`;
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
