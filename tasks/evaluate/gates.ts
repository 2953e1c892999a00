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

/** The gates a metric set misses, as readable lines ("roc_auc 0.71 < min 0.8"). */
export function judgeGates(gate: GateSpec, metrics: Record<string, number>): string[] {
  const missed: string[] = [];
  for (const [bound, limits] of [['min', gate.min], ['max', gate.max]] as const) {
    for (const [metric, raw] of Object.entries(limits ?? {})) {
      const limit = numberParameter(raw, `gate.${bound}.${metric}`);
      const value = metrics[metric];
      if (value === undefined) {
        const names = Object.keys(metrics);
        const guess = closest(metric, names);
        throw new TaskInputError(`gate.${bound} names metric '${metric}', which this model does not have${guess ? `; did you mean '${guess}'?` : ''} (metrics: ${names.join(', ')})`);
      }
      const fails = bound === 'min' ? !(value >= limit) : !(value <= limit);
      if (fails) missed.push(`${metric} ${format(value)} ${bound === 'min' ? '<' : '>'} ${bound} ${limit}`);
    }
  }
  return missed;
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
