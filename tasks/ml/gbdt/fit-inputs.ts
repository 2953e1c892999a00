// The options of gradient boosting with scikit-learn's defaults, and the
// checks on the training data, each failing with a message that says what is
// wrong and how to fix it.
import type { LearningTask } from '../model-spec.js';

export interface GradientBoostingOptions {
  /** Multiplies every leaf value (shrinkage). Default 0.1. */
  learningRate?: number;
  /** Boosting iterations; multiclass grows one tree per class in each. Default 100. */
  maxIterations?: number;
  /** Leaves per tree. Default 31. */
  maxLeafNodes?: number;
  /** Depth limit (the root is depth 0). Default none. */
  maxDepth?: number;
  /** Rows a leaf must hold. Default 20. */
  minSamplesLeaf?: number;
  /** λ in the leaf value −G/(H + λ). Default 0. */
  l2Regularization?: number;
  /** Bins for present values (at most 255); missing values get one more. Default 255. */
  maxBins?: number;
  /** 'auto' (default) stops early only with more than 10,000 rows. */
  earlyStopping?: 'auto' | boolean;
  /** Share of rows held out to decide early stopping. Default 0.1. */
  validationFraction?: number;
  /** Stop after this many iterations without improvement. Default 10. */
  nIterNoChange?: number;
  /** The improvement in validation loss that counts. Default 1e-7. */
  tol?: number;
  /** Seeds the validation split and the binning sample. Default 42. */
  seed?: number;
}

export interface BoostingSettings {
  learningRate: number;
  maxIterations: number;
  maxLeafNodes: number;
  maxDepth: number | undefined;
  minSamplesLeaf: number;
  l2Regularization: number;
  maxBins: number;
  earlyStopping: 'auto' | boolean;
  validationFraction: number;
  nIterNoChange: number;
  tol: number;
  seed: number;
}

/** With 'auto', early stopping starts above this many rows (as scikit-learn). */
export const AUTO_EARLY_STOPPING_ROWS = 10_000;

export function resolveOptions(options: GradientBoostingOptions = {}): BoostingSettings {
  const settings: BoostingSettings = {
    learningRate: options.learningRate ?? 0.1,
    maxIterations: options.maxIterations ?? 100,
    maxLeafNodes: options.maxLeafNodes ?? 31,
    maxDepth: options.maxDepth,
    minSamplesLeaf: options.minSamplesLeaf ?? 20,
    l2Regularization: options.l2Regularization ?? 0,
    maxBins: options.maxBins ?? 255,
    earlyStopping: options.earlyStopping ?? 'auto',
    validationFraction: options.validationFraction ?? 0.1,
    nIterNoChange: options.nIterNoChange ?? 10,
    tol: options.tol ?? 1e-7,
    seed: options.seed ?? 42,
  };
  requireNumber('learningRate', settings.learningRate, (v) => v > 0, 'a number above 0');
  requireNumber('maxIterations', settings.maxIterations, (v) => Number.isInteger(v) && v >= 1, 'an integer of at least 1');
  requireNumber('maxLeafNodes', settings.maxLeafNodes, (v) => Number.isInteger(v) && v >= 2, 'an integer of at least 2');
  if (settings.maxDepth !== undefined) requireNumber('maxDepth', settings.maxDepth, (v) => Number.isInteger(v) && v >= 1, 'an integer of at least 1');
  requireNumber('minSamplesLeaf', settings.minSamplesLeaf, (v) => Number.isInteger(v) && v >= 1, 'an integer of at least 1');
  requireNumber('l2Regularization', settings.l2Regularization, (v) => v >= 0, 'a number of at least 0');
  requireNumber('maxBins', settings.maxBins, (v) => Number.isInteger(v) && v >= 2 && v <= 255, 'an integer from 2 to 255');
  requireNumber('validationFraction', settings.validationFraction, (v) => v > 0 && v < 1, 'a number between 0 and 1 (exclusive)');
  requireNumber('nIterNoChange', settings.nIterNoChange, (v) => Number.isInteger(v) && v >= 1, 'an integer of at least 1');
  requireNumber('tol', settings.tol, (v) => v >= 0, 'a number of at least 0');
  requireNumber('seed', settings.seed, (v) => Number.isInteger(v), 'an integer');
  if (settings.earlyStopping !== 'auto' && typeof settings.earlyStopping !== 'boolean') {
    throw new Error(`gradient boosting: earlyStopping is ${JSON.stringify(settings.earlyStopping)}; use 'auto', true or false`);
  }
  return settings;
}

function requireNumber(name: string, value: number, valid: (value: number) => boolean, expected: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !valid(value)) {
    throw new Error(`gradient boosting: ${name} is ${String(value)}; it must be ${expected}`);
  }
}

/**
 * Checks the columns against the target and the task, and returns the
 * target as float64 (class indices for classification).
 */
export function checkTrainingData(
  columns: Float64Array[], target: Int32Array | Float64Array, task: LearningTask, nClasses: number,
): Float64Array {
  const rows = target.length;
  if (columns.length === 0) throw new Error('gradient boosting: no feature columns; pass at least one column');
  if (rows === 0) throw new Error('gradient boosting: the training data has no rows; it needs at least one row per class (or two for regression)');
  columns.forEach((column, feature) => {
    if (column.length !== rows) {
      throw new Error(`gradient boosting: feature column ${feature} has ${column.length} rows but the target has ${rows}; every column needs one value per target row`);
    }
  });
  if (task === 'regression') return checkRegressionTarget(target, nClasses);
  return checkClassLabels(target, task, nClasses);
}

function checkRegressionTarget(target: Int32Array | Float64Array, nClasses: number): Float64Array {
  if (nClasses !== 1) throw new Error(`gradient boosting: regression takes nClasses = 1, not ${nClasses}`);
  for (let row = 0; row < target.length; row++) {
    if (!Number.isFinite(target[row]!)) {
      throw new Error(`gradient boosting: the target is ${target[row]} at row ${row}; drop or fill rows with a missing or infinite target before training`);
    }
  }
  return Float64Array.from(target);
}

function checkClassLabels(target: Int32Array | Float64Array, task: LearningTask, nClasses: number): Float64Array {
  if (task === 'binary' && nClasses !== 2) throw new Error(`gradient boosting: a binary task has 2 classes, not ${nClasses}`);
  if (task === 'multiclass' && !(Number.isInteger(nClasses) && nClasses >= 3)) {
    throw new Error(`gradient boosting: a multiclass task needs at least 3 classes, not ${nClasses}; use the binary task for 2`);
  }
  const seen = new Uint8Array(nClasses);
  for (let row = 0; row < target.length; row++) {
    const label = target[row]!;
    if (!Number.isInteger(label) || label < 0 || label >= nClasses) {
      throw new Error(`gradient boosting: the class label at row ${row} is ${label}; labels must be class indices 0..${nClasses - 1} (missing labels must be dropped before training)`);
    }
    seen[label] = 1;
  }
  const present = seen.reduce((sum, flag) => sum + flag, 0);
  if (present < 2) {
    throw new Error(`gradient boosting: the target has only one class (index ${seen.indexOf(1)}) among ${target.length} rows; classification needs rows of at least two classes`);
  }
  return Float64Array.from(target);
}
