// A seeded validation holdout from the train rows, stratified by class so
// that a rare class is in both parts; used to compare models in a search.
import { seededRandom } from '../ml/gbdt/seeded-random.js';
import type { TrainingSet } from './training-set.js';

export function splitHoldout(data: TrainingSet, fraction: number, seed: number): { fit: TrainingSet; validation: TrainingSet } {
  const random = seededRandom(seed);
  const groups = new Map<number, number[]>();
  for (let row = 0; row < data.rows; row++) {
    const group = data.labels ? data.labels[row]! : 0;
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)!.push(row);
  }
  const fit: number[] = [];
  const validation: number[] = [];
  for (const rows of groups.values()) {
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    const take = Math.max(1, Math.round(rows.length * fraction));
    validation.push(...rows.slice(0, take));
    fit.push(...rows.slice(take));
  }
  fit.sort((a, b) => a - b);
  validation.sort((a, b) => a - b);
  return { fit: pick(data, fit), validation: pick(data, validation) };
}

function pick(data: TrainingSet, rows: number[]): TrainingSet {
  const numbers = (values: Float64Array) => Float64Array.from(rows, (row) => values[row]!);
  const raw: TrainingSet['raw'] = {};
  for (const [name, values] of Object.entries(data.raw)) raw[name] = values instanceof Float64Array ? numbers(values) : rows.map((row) => values[row]!);
  return {
    ...data,
    raw,
    features: data.features.map(numbers),
    ...(data.labels ? { labels: Int32Array.from(rows, (row) => data.labels![row]!) } : {}),
    ...(data.values ? { values: numbers(data.values) } : {}),
    splitRows: Int32Array.from(rows, (row) => data.splitRows[row]!),
    rows: rows.length,
  };
}
