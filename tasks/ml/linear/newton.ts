// Newton's method with a backtracking line search, for strictly convex
// objectives whose Hessian is small enough to factor: a handful of steps
// reach the optimum to machine precision (quadratic convergence).
import { choleskyInPlace, choleskySolveInPlace } from './dense-algebra.js';
import {
  dot, euclideanNorm, maxAbs, roundoffSlack, StallWatch, type SolverOptions, type SolverResult, type TwiceSmoothObjective,
} from './optimizer-types.js';

const SUFFICIENT_DECREASE = 1e-4;
const MAX_HALVINGS = 40;

export function minimizeNewton(problem: TwiceSmoothObjective, start: Float64Array, options: SolverOptions): SolverResult {
  const size = problem.size;
  let params = Float64Array.from(start);
  let candidate = new Float64Array(size);
  let gradient = new Float64Array(size);
  let candidateGradient = new Float64Array(size);
  const hessian = new Float64Array(size * size);
  const direction = new Float64Array(size);
  let value = problem.valueGradientHessian(params, gradient, hessian);
  const stall = new StallWatch(gradient);
  let iterations = 0;
  while (maxAbs(gradient) > options.gradientTolerance) {
    if (iterations >= options.maxIterations) return { params, iterations, converged: false };
    newtonDirection(hessian, size, gradient, direction);
    const slope = dot(gradient, direction);
    let step = 1;
    let accepted = false;
    let candidateValue = value;
    for (let halving = 0; halving < MAX_HALVINGS && !accepted; halving++, step /= 2) {
      for (let i = 0; i < size; i++) candidate[i] = params[i]! + step * direction[i]!;
      // Evaluates the Hessian too: the full step is almost always taken, and then it is needed next.
      candidateValue = problem.valueGradientHessian(candidate, candidateGradient, hessian);
      accepted = candidateValue <= value + SUFFICIENT_DECREASE * step * slope + roundoffSlack(value);
    }
    if (!accepted) return { params, iterations, converged: stall.closeEnough(gradient) };
    [params, candidate] = [candidate, params];
    [gradient, candidateGradient] = [candidateGradient, gradient];
    iterations++;
    options.onProgress?.({ iteration: iterations, gradientNorm: euclideanNorm(gradient) });
    if (stall.stalled(candidateValue < value, 3)) return { params, iterations, converged: stall.closeEnough(gradient) };
    value = candidateValue;
  }
  return { params, iterations, converged: true };
}

/**
 * direction = -H⁻¹·gradient, factoring `hessian` in place. Should rounding
 * make a (theoretically positive definite) Hessian fail to factor, a growing
 * multiple of its diagonal scale is added until it does (Levenberg damping),
 * which still gives a descent direction.
 */
function newtonDirection(hessian: Float64Array, size: number, gradient: Float64Array, direction: Float64Array): void {
  for (let i = 0; i < size; i++) direction[i] = -gradient[i]!;
  let diagonalScale = 0;
  for (let i = 0; i < size; i++) diagonalScale = Math.max(diagonalScale, Math.abs(hessian[i * size + i]!));
  for (let attempt = 0, damping = 0; attempt < 30; attempt++, damping = Math.max(10 * damping, 1e-12 * diagonalScale)) {
    const factor = hessian.slice();
    for (let i = 0; i < size; i++) factor[i * size + i]! += damping;
    if (choleskyInPlace(factor, size) < 0) {
      choleskySolveInPlace(factor, size, direction);
      return;
    }
  }
  throw new Error('logistic regression: the Hessian could not be factored (non-finite values?); this is a bug in Sluice, please report it');
}
