// Logistic regression solved to its optimum: Newton's method when the
// Hessian is small enough to form and factor each step, L-BFGS otherwise.
import type { LinearModel } from '../model-spec.js';
import { binaryLogisticObjective } from './binary-logistic.js';
import { minimizeLbfgs } from './lbfgs.js';
import { multinomialLogisticObjective } from './multinomial-logistic.js';
import { minimizeNewton } from './newton.js';
import type { SolverOptions, SolverResult } from './optimizer-types.js';
import { checkClassLabels, checkFeatureColumns } from './training-data.js';

export interface LogisticRegressionOptions {
  /** λ in Σ logloss + ½λ‖w‖² (scikit-learn's 1/C); must be > 0. Default 1. */
  regularization?: number;
  /**
   * Newton or L-BFGS steps at most. Default 1000: Newton needs about 10;
   * L-BFGS (many features × classes, see `usesNewton`) a few hundred on
   * standardized features, many more on raw ones.
   */
  maxIterations?: number;
  /**
   * Stop when every component of the objective's gradient, divided by the
   * number of rows, is at most this. Default 1e-12: the fit is then optimal
   * to about as many digits as float64 sums over the rows carry.
   */
  tolerance?: number;
}

export interface LogisticRegressionProgress {
  iteration: number;
  /** Euclidean norm of the gradient of Σ logloss + ½λ‖w‖² after this iteration. */
  gradientNorm: number;
}

export interface LogisticRegressionFit {
  model: LinearModel;
  iterations: number;
  /**
   * False when `maxIterations` stopped the solver before the tolerance was
   * met, or float64 rounding did before the gradient had fallen a millionfold
   * (badly scaled features: standardize them).
   */
  converged: boolean;
}

/**
 * Newton or L-BFGS, by their expected work per row. A Newton step forms the
 * Hessian, W²·K(K+1)/4 multiply-adds per row (W = features + 1, K = scores:
 * 1 for binary), and about 10 steps reach the optimum; an L-BFGS step costs
 * about 1.5 gradients, 3·K·W per row, and needs a few hundred steps
 * (budgeted as 300). So Newton pays when 10·W²·K(K+1)/4 ≤ 300·3·K·W, that
 * is W·(K+1) ≤ 360, which also keeps its Hessian under 360² entries. Newton
 * is the more robust of the two on badly scaled features.
 */
export function usesNewton(scoreCount: number, features: number): boolean {
  return (features + 1) * (scoreCount + 1) <= 360;
}

/**
 * Fits L2-regularized logistic regression with an unpenalized intercept:
 * binary (nClasses = 2, one score: the log-odds of class 1) or multinomial
 * (one score per class). Throws `InvalidTrainingData` for a NaN or infinite
 * feature value, and a plain Error for other unusable input.
 */
export function fitLogisticRegression(
  columns: Float64Array[], labels: Int32Array, nClasses: number,
  options: LogisticRegressionOptions = {}, onProgress?: (progress: LogisticRegressionProgress) => void,
): LogisticRegressionFit {
  const rows = checkFeatureColumns(columns);
  checkClassLabels(labels, rows, nClasses);
  const regularization = options.regularization ?? 1;
  const solverOptions = solverOptionsFrom(options, rows, onProgress);
  if (!(regularization > 0) || !Number.isFinite(regularization)) {
    throw new Error(
      `regularization must be a positive number (λ = 1/C), got ${regularization}; ` +
        'for an almost unpenalized fit use a small value such as 1e-6');
  }
  const features = columns.length;
  const task = nClasses === 2 ? 'binary' : 'multiclass';
  const scoreCount = nClasses === 2 ? 1 : nClasses;
  const objective = nClasses === 2
    ? binaryLogisticObjective(columns, labels, regularization)
    : multinomialLogisticObjective(columns, labels, nClasses, regularization);
  const start = new Float64Array(objective.size);
  const result = usesNewton(scoreCount, features)
    ? minimizeNewton(objective, start, solverOptions)
    : minimizeLbfgs(objective, start, solverOptions);
  return toFit(task, result, scoreCount, features);
}

function solverOptionsFrom(
  options: LogisticRegressionOptions, rows: number, onProgress: ((progress: LogisticRegressionProgress) => void) | undefined,
): SolverOptions {
  const maxIterations = options.maxIterations ?? 1000;
  const tolerance = options.tolerance ?? 1e-12;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new Error(`maxIterations must be a positive whole number, got ${maxIterations}`);
  }
  if (!(tolerance > 0) || !Number.isFinite(tolerance)) throw new Error(`tolerance must be a positive number, got ${tolerance}`);
  // The objective sums over rows, so its gradient grows with them; the tolerance is per row.
  return { maxIterations, gradientTolerance: tolerance * rows, onProgress };
}

/** Unpacks [w_k0 … w_k,F-1, b_k] per output into a LinearModel. */
function toFit(task: 'binary' | 'multiclass', result: SolverResult, outputs: number, features: number): LogisticRegressionFit {
  const weights: number[][] = [];
  const intercepts: number[] = [];
  for (let k = 0; k < outputs; k++) {
    const base = k * (features + 1);
    weights.push(Array.from(result.params.subarray(base, base + features)));
    intercepts.push(result.params[base + features]!);
  }
  if (task === 'multiclass') {
    // Only differences between intercepts matter; center them as scikit-learn's come out (they sum to zero).
    const mean = intercepts.reduce((sum, value) => sum + value, 0) / outputs;
    for (let k = 0; k < outputs; k++) intercepts[k]! -= mean;
  }
  return { model: { type: 'linear', task, weights, intercepts }, iterations: result.iterations, converged: result.converged };
}
