// Early stopping as scikit-learn does it with scoring='loss': hold out a
// validation fraction (stratified by class for classification), score the
// model on it before the first tree and after every iteration, and stop
// once the last n_iter_no_change scores all fail to beat the one before them
// by more than tol.
import { shuffleInPlace } from './seeded-random.js';

export interface RowSplit {
  train: Uint32Array;
  validation: Uint32Array;
}

/**
 * Splits rows 0..n-1 at random into training and validation rows, with
 * ceil(fraction·n) validation rows. With `classes`, each class keeps its share
 * in both parts. Both index lists come back in increasing order.
 */
export function validationSplit(target: Float64Array, classes: number | undefined, fraction: number, random: () => number): RowSplit {
  const n = target.length;
  const validationSize = Math.ceil(fraction * n);
  const groups = classes === undefined ? [allRows(n)] : rowsByClass(target, classes);
  const quotas = proportionalQuotas(groups.map((rows) => rows.length), validationSize);
  const validation = new Uint32Array(validationSize);
  const train = new Uint32Array(n - validationSize);
  let v = 0;
  let t = 0;
  groups.forEach((rows, group) => {
    shuffleInPlace(rows, random);
    const quota = quotas[group]!;
    validation.set(rows.subarray(0, quota), v);
    v += quota;
    train.set(rows.subarray(quota), t);
    t += rows.length - quota;
  });
  return { train: train.sort(), validation: validation.sort() };
}

function allRows(n: number): Uint32Array {
  const rows = new Uint32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}

function rowsByClass(target: Float64Array, classes: number): Uint32Array[] {
  const counts = new Int32Array(classes);
  for (let row = 0; row < target.length; row++) counts[target[row]!]!++;
  const groups = Array.from(counts, (count) => new Uint32Array(count));
  const filled = new Int32Array(classes);
  for (let row = 0; row < target.length; row++) {
    const label = target[row]!;
    groups[label]![filled[label]!++] = row;
  }
  return groups;
}

/** Integer shares of `total` proportional to `sizes`: floors first, the rest to the largest remainders. */
function proportionalQuotas(sizes: number[], total: number): number[] {
  const n = sizes.reduce((sum, size) => sum + size, 0);
  const exact = sizes.map((size) => (size * total) / n);
  const quotas = exact.map(Math.floor);
  let left = total - quotas.reduce((sum, quota) => sum + quota, 0);
  const byRemainder = exact.map((value, group) => ({ group, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.group - b.group);
  for (const { group } of byRemainder) {
    if (left === 0) break;
    if (quotas[group]! < sizes[group]!) {
      quotas[group]!++;
      left--;
    }
  }
  return quotas;
}

/**
 * Whether to stop, given the validation losses so far (the first before any
 * tree): none of the last `patience` losses is below the loss `patience`
 * iterations earlier by more than `tolerance`.
 */
export function shouldStopEarly(losses: readonly number[], patience: number, tolerance: number): boolean {
  if (losses.length < patience + 1) return false;
  const reference = losses[losses.length - patience - 1]!;
  for (let i = losses.length - patience; i < losses.length; i++) {
    // scikit-learn compares scores (−loss): score > reference score + tol.
    if (-losses[i]! > -reference + tolerance) return false;
  }
  return true;
}
