// The multinomial (softmax) logistic-regression objective over K classes,
//   Σ_rows [logΣ_k e^{s_k} - s_y] + ½λ Σ_k ‖w_k‖²,  s_k = w_k·x + b_k,
// in the over-parameterized form scikit-learn's lbfgs solves (K weight rows,
// all penalized; intercepts unpenalized). Parameters: class k's
// [w_k0 … w_k,F-1, b_k] at k·(F+1).
import {
  addColumnDots, addLinearCombination, addWeightedGram, gramScratch, mirrorUpperTriangle, ROW_BLOCK, type GramScratch,
} from './dense-algebra.js';
import type { TwiceSmoothObjective } from './optimizer-types.js';

export function multinomialLogisticObjective(
  columns: Float64Array[], labels: Int32Array, classCount: number, regularization: number,
): TwiceSmoothObjective {
  const features = columns.length;
  const width = features + 1;
  const size = classCount * width;
  const rows = labels.length;
  const probabilities = new Float64Array(classCount * ROW_BLOCK); // class k of row i at k·ROW_BLOCK + i
  const weights = new Float64Array(ROW_BLOCK);
  const scratch = gramScratch();

  const sweep = (params: Float64Array, gradient: Float64Array, hessian: Float64Array | null): number => {
    gradient.fill(0);
    hessian?.fill(0);
    let loss = 0;
    for (let start = 0; start < rows; start += ROW_BLOCK) {
      const length = Math.min(ROW_BLOCK, rows - start);
      for (let k = 0; k < classCount; k++) classScores(columns, params, k, start, length, probabilities.subarray(k * ROW_BLOCK));
      loss += softmaxInPlace(probabilities, classCount, labels, start, length);
      addGradient(columns, labels, start, length, probabilities, classCount, weights, gradient);
      if (hessian) addHessian(columns, start, length, probabilities, classCount, weights, scratch, hessian);
    }
    for (let k = 0; k < classCount; k++) {
      for (let f = 0; f < features; f++) {
        const index = k * width + f;
        const weight = params[index]!;
        loss += 0.5 * regularization * weight * weight;
        gradient[index]! += regularization * weight;
        if (hessian) hessian[index * size + index]! += regularization;
      }
    }
    if (hessian) finishHessian(hessian, classCount, width);
    return loss;
  };

  return {
    size,
    valueAndGradient: (params, gradient) => sweep(params, gradient, null),
    valueGradientHessian: (params, gradient, hessian) => sweep(params, gradient, hessian),
  };
}

function classScores(
  columns: Float64Array[], params: Float64Array, k: number, start: number, length: number, scores: Float64Array,
): void {
  const base = k * (columns.length + 1);
  scores.fill(params[base + columns.length]!, 0, length);
  addLinearCombination(columns, params, base, start, length, scores);
}

/** Turns each row's scores into probabilities (shifted by the row's largest score, so exp cannot overflow); returns the block's loss. */
function softmaxInPlace(table: Float64Array, classCount: number, labels: Int32Array, start: number, length: number): number {
  let loss = 0;
  for (let i = 0; i < length; i++) {
    let largest = -Infinity;
    for (let k = 0; k < classCount; k++) largest = Math.max(largest, table[k * ROW_BLOCK + i]!);
    loss += largest - table[labels[start + i]! * ROW_BLOCK + i]!;
    let total = 0;
    for (let k = 0; k < classCount; k++) {
      const shifted = Math.exp(table[k * ROW_BLOCK + i]! - largest);
      table[k * ROW_BLOCK + i] = shifted;
      total += shifted;
    }
    loss += Math.log(total);
    const inverse = 1 / total;
    for (let k = 0; k < classCount; k++) table[k * ROW_BLOCK + i]! *= inverse;
  }
  return loss;
}

/** Gradient of class k: Σ_rows (p_k - [y = k])·[x, 1]. */
function addGradient(
  columns: Float64Array[], labels: Int32Array, start: number, length: number,
  probabilities: Float64Array, classCount: number, residuals: Float64Array, gradient: Float64Array,
): void {
  const width = columns.length + 1;
  for (let k = 0; k < classCount; k++) {
    let total = 0;
    for (let i = 0; i < length; i++) {
      const residual = probabilities[k * ROW_BLOCK + i]! - (labels[start + i] === k ? 1 : 0);
      residuals[i] = residual;
      total += residual;
    }
    addColumnDots(columns, residuals, start, length, gradient, k * width);
    gradient[k * width + columns.length]! += total;
  }
}

/** Hessian block (k, l), k ≤ l: Σ_rows p_k·([k = l] - p_l)·[x, 1][x, 1]ᵀ, upper triangle of each block. */
function addHessian(
  columns: Float64Array[], start: number, length: number, probabilities: Float64Array, classCount: number,
  weights: Float64Array, scratch: GramScratch, hessian: Float64Array,
): void {
  const width = columns.length + 1;
  const size = classCount * width;
  for (let k = 0; k < classCount; k++) {
    for (let l = k; l < classCount; l++) {
      for (let i = 0; i < length; i++) {
        const pk = probabilities[k * ROW_BLOCK + i]!;
        weights[i] = pk * ((k === l ? 1 : 0) - probabilities[l * ROW_BLOCK + i]!);
      }
      addWeightedGram(columns, start, length, weights, scratch, { matrix: hessian, stride: size, offset: (k * size + l) * width });
    }
  }
}

/**
 * Completes the blocks from their upper triangles and fixes the one
 * direction the objective is flat in: adding the same constant to every
 * intercept changes nothing, so the Hessian is singular there. Adding c·uuᵀ
 * (u = that direction, normalized) makes it positive definite without
 * changing Newton steps, since the gradient is orthogonal to u: the
 * intercepts keep summing to zero, as they do in scikit-learn's solution.
 */
function finishHessian(hessian: Float64Array, classCount: number, width: number): void {
  const size = classCount * width;
  for (let k = 0; k < classCount; k++) {
    for (let l = k; l < classCount; l++) {
      const offset = (k * size + l) * width;
      for (let a = 0; a < width; a++) {
        for (let b = a + 1; b < width; b++) hessian[offset + b * size + a] = hessian[offset + a * size + b]!;
      }
    }
  }
  mirrorUpperTriangle(hessian, size);
  let interceptCurvature = 0;
  for (let k = 0; k < classCount; k++) interceptCurvature += hessian[(k * width + width - 1) * (size + 1)]!;
  const gauge = interceptCurvature / classCount / classCount;
  for (let k = 0; k < classCount; k++) {
    for (let l = 0; l < classCount; l++) hessian[(k * width + width - 1) * size + l * width + width - 1]! += gauge;
  }
}
