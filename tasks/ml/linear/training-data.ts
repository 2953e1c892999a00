// Checks on what the linear trainers are given, so that a bad column fails
// with a message naming it instead of a model full of NaN.

/**
 * A feature value or target value that is NaN or infinite. Linear models
 * cannot use such a value, so training stops at the first one.
 *
 * - `feature`: index into the `columns` passed to the trainer, or `null` when
 *   the bad value is in the target. Callers map the index to a column name
 *   (e.g. `featureNames(plan)[error.feature]`) for their own message.
 * - `row`: the 0-based row of the training data.
 * - `value`: the offending number (NaN, Infinity or -Infinity).
 */
export class InvalidTrainingData extends Error {
  readonly feature: number | null;
  readonly row: number;
  readonly value: number;

  constructor(feature: number | null, row: number, value: number) {
    const where = feature === null ? `the target at row ${row}` : `feature ${feature} at row ${row}`;
    super(
      `${where} is ${value}; linear models need finite numbers: ` +
        'impute missing values (e.g. with the mean) or drop those rows before training');
    this.name = 'InvalidTrainingData';
    this.feature = feature;
    this.row = row;
    this.value = value;
  }
}

/** Checks that there is at least one feature and one row, all columns of one length, all values finite; returns the row count. */
export function checkFeatureColumns(columns: Float64Array[]): number {
  const first = columns[0];
  if (first === undefined) throw new Error('no feature columns: a linear model needs at least one feature');
  const rows = first.length;
  if (rows === 0) throw new Error('no training rows: the training data is empty');
  columns.forEach((column, feature) => {
    if (column.length !== rows) {
      throw new Error(`feature ${feature} has ${column.length} rows but feature 0 has ${rows}; all columns must have one value per row`);
    }
    const row = firstNonFinite(column);
    if (row >= 0) throw new InvalidTrainingData(feature, row, column[row]!);
  });
  return rows;
}

/** Checks a regression target against the row count and for NaN or infinite values. */
export function checkTarget(target: Float64Array, rows: number): void {
  if (target.length !== rows) throw new Error(`the target has ${target.length} values but the features have ${rows} rows`);
  const row = firstNonFinite(target);
  if (row >= 0) throw new InvalidTrainingData(null, row, target[row]!);
}

/** Checks class labels (indices 0..nClasses-1) and that every class has a row; returns the row count of each class. */
export function checkClassLabels(labels: Int32Array, rows: number, nClasses: number): Float64Array {
  if (!Number.isInteger(nClasses) || nClasses < 2) {
    throw new Error(`nClasses is ${nClasses}; logistic regression needs at least two classes`);
  }
  if (labels.length !== rows) throw new Error(`there are ${labels.length} labels but the features have ${rows} rows`);
  const counts = new Float64Array(nClasses);
  for (let row = 0; row < rows; row++) {
    const label = labels[row]!;
    if (label < 0 || label >= nClasses) {
      throw new Error(`label ${label} at row ${row} is not a class index in 0..${nClasses - 1}`);
    }
    counts[label]! += 1;
  }
  const present = [...counts.keys()].filter((label) => counts[label]! > 0);
  if (present.length === 1) {
    throw new Error(
      `the target has only one class (class index ${present[0]}, all ${rows} rows); logistic regression needs at least two: ` +
        'check the target column and any filter applied before training');
  }
  const absent = [...counts.keys()].filter((label) => counts[label] === 0);
  if (absent.length > 0) {
    throw new Error(
      `class index ${absent.join(', ')} of ${nClasses} has no training rows; every class needs at least one row ` +
        '(its weights would grow without bound): drop the class or change the split');
  }
  return counts;
}

function firstNonFinite(values: Float64Array): number {
  for (let row = 0; row < values.length; row++) {
    // v - v is 0 for finite v and NaN for NaN or ±Infinity: one comparison per value.
    const value = values[row]!;
    if (value - value !== 0) return row;
  }
  return -1;
}
