// The binary logistic-regression objective
//   Σ_rows [log(1 + e^η) - y·η] + ½λ‖w‖²,  η = w·x + b  (b unpenalized)
// with its gradient and Hessian (Xᵀ·diag(p(1-p))·X + λI), computed in one
// sweep over blocks of rows. Parameters: [w_0 … w_{F-1}, b].
import {
  addColumnDots, addLinearCombination, addWeightedGram, gramScratch, mirrorUpperTriangle, ROW_BLOCK,
} from './dense-algebra.js';
import type { TwiceSmoothObjective } from './optimizer-types.js';

export function binaryLogisticObjective(columns: Float64Array[], labels: Int32Array, regularization: number): TwiceSmoothObjective {
  const features = columns.length;
  const size = features + 1;
  const rows = labels.length;
  const scores = new Float64Array(ROW_BLOCK);
  const residuals = new Float64Array(ROW_BLOCK);
  const curvatures = new Float64Array(ROW_BLOCK);
  const scratch = gramScratch();

  const sweep = (params: Float64Array, gradient: Float64Array, hessian: Float64Array | null): number => {
    gradient.fill(0);
    hessian?.fill(0);
    let loss = 0;
    for (let start = 0; start < rows; start += ROW_BLOCK) {
      const length = Math.min(ROW_BLOCK, rows - start);
      linearPredictor(columns, params, start, length, scores);
      loss += rowTerms(scores, labels, start, length, residuals, curvatures);
      addResidualGradient(columns, start, length, residuals, gradient);
      if (hessian) addWeightedGram(columns, start, length, curvatures, scratch, { matrix: hessian, stride: size, offset: 0 });
    }
    for (let f = 0; f < features; f++) {
      const weight = params[f]!;
      loss += 0.5 * regularization * weight * weight;
      gradient[f]! += regularization * weight;
      if (hessian) hessian[f * size + f]! += regularization;
    }
    if (hessian) mirrorUpperTriangle(hessian, size);
    return loss;
  };

  return {
    size,
    valueAndGradient: (params, gradient) => sweep(params, gradient, null),
    valueGradientHessian: (params, gradient, hessian) => sweep(params, gradient, hessian),
  };
}

/** scores[i] = b + Σ_f w_f·x_f[start + i]. */
function linearPredictor(columns: Float64Array[], params: Float64Array, start: number, length: number, scores: Float64Array): void {
  scores.fill(params[columns.length]!, 0, length);
  addLinearCombination(columns, params, 0, start, length, scores);
}

/**
 * Per row: the loss, the residual p - y and the curvature p(1 - p), all from
 * e = exp(-|η|) so that none of them overflows or loses its digits to 1 - p.
 * Returns the block's summed loss.
 */
function rowTerms(
  scores: Float64Array, labels: Int32Array, start: number, length: number, residuals: Float64Array, curvatures: Float64Array,
): number {
  let loss = 0;
  for (let i = 0; i < length; i++) {
    const score = scores[i]!;
    const positive = labels[start + i] === 1;
    const e = Math.exp(-Math.abs(score));
    const onePlusE = 1 + e;
    const smaller = e / onePlusE; // the probability of the less likely class
    // log(1 + e^η) = max(η, 0) + log(1 + e^-|η|)
    loss += Math.max(score, 0) + Math.log1p(e) - (positive ? score : 0);
    const probability = score >= 0 ? 1 - smaller : smaller;
    residuals[i] = positive ? (score >= 0 ? -smaller : smaller - 1) : probability;
    curvatures[i] = smaller / onePlusE;
  }
  return loss;
}

function addResidualGradient(
  columns: Float64Array[], start: number, length: number, residuals: Float64Array, gradient: Float64Array,
): void {
  addColumnDots(columns, residuals, start, length, gradient, 0);
  let total = 0;
  for (let i = 0; i < length; i++) total += residuals[i]!;
  gradient[columns.length]! += total;
}
