// What the logistic-regression solvers (Newton, L-BFGS) share: the problem
// they minimize, their stopping rule and what they report.

/** A smooth convex objective over `size` parameters. */
export interface SmoothObjective {
  size: number;
  /** Writes the gradient at `params` into `gradient` and returns the objective's value. */
  valueAndGradient(params: Float64Array, gradient: Float64Array): number;
}

/** An objective whose Hessian (size × size, row-major) is affordable. */
export interface TwiceSmoothObjective extends SmoothObjective {
  /** As `valueAndGradient`, also writing the full Hessian into `hessian`. */
  valueGradientHessian(params: Float64Array, gradient: Float64Array, hessian: Float64Array): number;
}

export interface SolverOptions {
  maxIterations: number;
  /** Converged when every gradient component is at most this (already scaled to the objective). */
  gradientTolerance: number;
  onProgress?: ((progress: { iteration: number; gradientNorm: number }) => void) | undefined;
}

export interface SolverResult {
  params: Float64Array;
  iterations: number;
  /** False when the iteration limit stopped it before the gradient tolerance was met. */
  converged: boolean;
}

export function maxAbs(values: Float64Array): number {
  let largest = 0;
  for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i]!));
  return largest;
}

export function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function euclideanNorm(values: Float64Array): number {
  return Math.sqrt(dot(values, values));
}

/**
 * The slack allowed in "the objective went down": a sum over many rows is
 * only known to a relative ~1e-16 per term, so near the optimum a true
 * decrease can look like a tiny increase. Within this slack a step is judged
 * by its gradient instead.
 */
export function roundoffSlack(value: number): number {
  return 1e-13 * (1 + Math.abs(value));
}

/**
 * Notices when rounding, not the optimum, stops a solver: badly scaled
 * features (values around 1e6, say) put a floor under the computed gradient
 * above any tolerance, and steps then stop lowering the objective. After
 * enough such steps in a row the solver stops, and counts as converged if
 * the gradient has fallen a millionfold: the result is then as close to the
 * optimum as float64 gets for this data.
 */
export class StallWatch {
  private readonly initialGradient: number;
  private flatSteps = 0;

  constructor(initialGradient: Float64Array) {
    this.initialGradient = maxAbs(initialGradient);
  }

  /** Records a step; true once `limit` steps in a row failed to lower the objective. */
  stalled(lowered: boolean, limit: number): boolean {
    this.flatSteps = lowered ? 0 : this.flatSteps + 1;
    return this.flatSteps >= limit;
  }

  closeEnough(gradient: Float64Array): boolean {
    return maxAbs(gradient) <= 1e-6 * this.initialGradient;
  }
}
