// Limited-memory BFGS (Nocedal & Wright, algorithm 7.4/7.5): quasi-Newton
// steps from the last few gradient differences, for problems whose Hessian
// is too large to form. Memory and work per step are linear in the size.
import { strongWolfeStep, type LinePoint } from './line-search.js';
import {
  dot, euclideanNorm, maxAbs, StallWatch, type SmoothObjective, type SolverOptions, type SolverResult,
} from './optimizer-types.js';

/** Gradient differences kept, as scipy's L-BFGS-B (which scikit-learn uses) does by default. */
const MEMORY = 10;
/** Steps in a row that do not lower the objective before giving up (see StallWatch). */
const FLAT_STEPS_LIMIT = 20;

interface CurvaturePair {
  step: Float64Array;
  gradientChange: Float64Array;
  inverseCurvature: number;
}

export function minimizeLbfgs(problem: SmoothObjective, start: Float64Array, options: SolverOptions): SolverResult {
  const size = problem.size;
  let params = Float64Array.from(start);
  let gradient = new Float64Array(size);
  let value = problem.valueAndGradient(params, gradient);
  const direction = new Float64Array(size);
  const trial = { params: new Float64Array(size), gradient: new Float64Array(size), step: Number.NaN };
  const pairs: CurvaturePair[] = [];
  const stall = new StallWatch(gradient);
  let iterations = 0;
  while (maxAbs(gradient) > options.gradientTolerance) {
    if (iterations >= options.maxIterations) return { params, iterations, converged: false };
    searchDirection(gradient, pairs, direction);
    const alongLine = (step: number): LinePoint => {
      for (let i = 0; i < size; i++) trial.params[i] = params[i]! + step * direction[i]!;
      const trialValue = problem.valueAndGradient(trial.params, trial.gradient);
      trial.step = step;
      return { step, value: trialValue, slope: dot(trial.gradient, direction) };
    };
    // Without curvature pairs the direction is the raw gradient: start with a step of unit length.
    const firstStep = pairs.length === 0 ? 1 / Math.max(euclideanNorm(direction), 1e-300) : 1;
    const found = strongWolfeStep(alongLine, { step: 0, value, slope: dot(gradient, direction) }, firstStep);
    if (found === null) {
      // Stale curvature can spoil the direction: retry once from plain steepest descent.
      if (pairs.length > 0) { pairs.length = 0; continue; }
      return { params, iterations, converged: stall.closeEnough(gradient) };
    }
    if (trial.step !== found.step) alongLine(found.step);
    rememberCurvature(pairs, trial.params, params, trial.gradient, gradient);
    [params, trial.params] = [trial.params, params];
    [gradient, trial.gradient] = [trial.gradient, gradient];
    iterations++;
    options.onProgress?.({ iteration: iterations, gradientNorm: euclideanNorm(gradient) });
    // Near the optimum steps judged by slope alone are normal; only a long run of them means a stall.
    if (stall.stalled(found.value < value, FLAT_STEPS_LIMIT)) return { params, iterations, converged: stall.closeEnough(gradient) };
    value = found.value;
  }
  return { params, iterations, converged: true };
}

/** direction = -H·gradient, H the L-BFGS inverse-Hessian estimate (the two-loop recursion). */
function searchDirection(gradient: Float64Array, pairs: CurvaturePair[], direction: Float64Array): void {
  direction.set(gradient);
  const coefficients = new Float64Array(pairs.length);
  for (let i = pairs.length - 1; i >= 0; i--) {
    const pair = pairs[i]!;
    const coefficient = pair.inverseCurvature * dot(pair.step, direction);
    coefficients[i] = coefficient;
    axpy(-coefficient, pair.gradientChange, direction);
  }
  const newest = pairs[pairs.length - 1];
  if (newest !== undefined) {
    // Scale the initial inverse Hessian to the newest curvature seen along the path.
    const scale = 1 / (newest.inverseCurvature * dot(newest.gradientChange, newest.gradientChange));
    for (let i = 0; i < direction.length; i++) direction[i]! *= scale;
  }
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    const correction = coefficients[i]! - pair.inverseCurvature * dot(pair.gradientChange, direction);
    axpy(correction, pair.step, direction);
  }
  for (let i = 0; i < direction.length; i++) direction[i] = -direction[i]!;
}

function rememberCurvature(
  pairs: CurvaturePair[], newParams: Float64Array, oldParams: Float64Array, newGradient: Float64Array, oldGradient: Float64Array,
): void {
  const recycled = pairs.length >= MEMORY ? pairs.shift()! : undefined;
  const step = recycled?.step ?? new Float64Array(newParams.length);
  const gradientChange = recycled?.gradientChange ?? new Float64Array(newParams.length);
  for (let i = 0; i < step.length; i++) {
    step[i] = newParams[i]! - oldParams[i]!;
    gradientChange[i] = newGradient[i]! - oldGradient[i]!;
  }
  const curvature = dot(step, gradientChange);
  // A pair without positive curvature (possible only through rounding here) would break the update.
  if (curvature > 1e-12 * euclideanNorm(step) * euclideanNorm(gradientChange)) {
    pairs.push({ step, gradientChange, inverseCurvature: 1 / curvature });
  }
}

function axpy(scale: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += scale * x[i]!;
}
