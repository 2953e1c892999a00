// Ridge regression in closed form: minimize Σ (y - ŷ)² + α‖w‖² with an
// unpenalized intercept. Centering features and target removes the
// intercept, leaving (XcᵀXc + αI)·w = Xcᵀyc, solved by Cholesky; then
// b = mean(y) - w·mean(x). α = 0 is ordinary least squares.
import type { LinearModel } from '../model-spec.js';
import { addWeightedGram, choleskyInPlace, choleskySolveInPlace, gramScratch, mirrorUpperTriangle, ROW_BLOCK } from './dense-algebra.js';
import { checkFeatureColumns, checkTarget } from './training-data.js';

export interface RidgeOptions {
  /** α in Σ (y - ŷ)² + α‖w‖²; 0 is ordinary least squares. Default 1. */
  alpha?: number;
}

/**
 * Fits ridge (or, with alpha 0, ordinary least squares) regression. Throws
 * `InvalidTrainingData` for a NaN or infinite value, and a plain Error when
 * alpha is 0 and the features do not determine a unique solution.
 */
export function fitRidge(columns: Float64Array[], target: Float64Array, options: RidgeOptions = {}): { model: LinearModel } {
  const rows = checkFeatureColumns(columns);
  checkTarget(target, rows);
  const alpha = options.alpha ?? 1;
  if (!(alpha >= 0) || !Number.isFinite(alpha)) throw new Error(`alpha must be a number ≥ 0, got ${alpha}`);
  const features = columns.length;
  const featureMeans = columns.map(mean);
  const targetMean = mean(target);
  const { gram, crossProducts } = centeredMoments([...columns, target], [...featureMeans, targetMean], rows);
  for (let f = 0; f < features; f++) gram[f * features + f]! += alpha;
  const failedPivot = choleskyInPlace(gram, features);
  if (failedPivot >= 0) throw singularSystemError(failedPivot, alpha);
  choleskySolveInPlace(gram, features, crossProducts);
  const weights = Array.from(crossProducts);
  const intercept = weights.reduce((value, weight, f) => value - weight * featureMeans[f]!, targetMean);
  return { model: { type: 'linear', task: 'regression', weights: [weights], intercepts: [intercept] } };
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/**
 * XcᵀXc (F×F) and Xcᵀyc (F) from `series` = features then target, each
 * centered on its mean. Centering before multiplying, not after, keeps the
 * digits that large means would cancel away.
 */
function centeredMoments(series: Float64Array[], means: number[], rows: number): { gram: Float64Array; crossProducts: Float64Array } {
  const count = series.length; // features + 1
  const features = count - 1;
  const centered = series.map(() => new Float64Array(ROW_BLOCK));
  const ones = new Float64Array(ROW_BLOCK).fill(1);
  const scratch = gramScratch();
  // The Gram helper appends a column of ones (unused here: centered sums are ~0).
  const size = count + 1;
  const moments = new Float64Array(size * size);
  for (let start = 0; start < rows; start += ROW_BLOCK) {
    const length = Math.min(ROW_BLOCK, rows - start);
    series.forEach((values, s) => {
      const buffer = centered[s]!;
      const center = means[s]!;
      for (let i = 0; i < length; i++) buffer[i] = values[start + i]! - center;
    });
    addWeightedGram(centered, 0, length, ones, scratch, { matrix: moments, stride: size, offset: 0 });
  }
  mirrorUpperTriangle(moments, size);
  const gram = new Float64Array(features * features);
  const crossProducts = new Float64Array(features);
  for (let a = 0; a < features; a++) {
    for (let b = 0; b < features; b++) gram[a * features + b] = moments[a * size + b]!;
    crossProducts[a] = moments[a * size + features]!;
  }
  return { gram, crossProducts };
}

function singularSystemError(feature: number, alpha: number): Error {
  const which = feature === 0 ? 'feature 0 is constant' : `feature ${feature} is constant or a linear combination of features 0..${feature - 1}`;
  const hint = alpha === 0
    ? 'drop the redundant feature, or use alpha > 0 (ridge, e.g. alpha 1) for a unique solution'
    : `alpha ${alpha} is too small for these features' scale: raise it, or standardize the features`;
  return new Error(`linear regression has no unique solution: ${which}; ${hint}`);
}
