// A line search for strong Wolfe steps (Nocedal & Wright, Numerical
// Optimization, algorithms 3.5 and 3.6), adapted to the convex objectives
// of logistic regression near their optimum: there the change in the
// objective is below its rounding error, so "went down" allows that
// rounding slack and the interval is narrowed by the slopes (secant steps),
// which stay accurate, instead of by cubic fits of meaningless values.
import { roundoffSlack } from './optimizer-types.js';

/** The objective along the search line, at `step`: its value and its slope (directional derivative). */
export interface LinePoint {
  step: number;
  value: number;
  slope: number;
}

const SUFFICIENT_DECREASE = 1e-4;
const CURVATURE = 0.9;
const MAX_EXPANSIONS = 30;
const MAX_ZOOMS = 40;

/**
 * Finds a step satisfying the strong Wolfe conditions along a descent
 * direction (`origin.slope < 0`), trying `firstStep` first. Returns null when
 * none is found within the evaluation budget.
 */
export function strongWolfeStep(evaluate: (step: number) => LinePoint, origin: LinePoint, firstStep: number): LinePoint | null {
  const slack = roundoffSlack(origin.value);
  const decreasesEnough = (point: LinePoint) =>
    point.value <= origin.value + SUFFICIENT_DECREASE * point.step * origin.slope + slack;
  const flatEnough = (point: LinePoint) => Math.abs(point.slope) <= -CURVATURE * origin.slope;
  let previous = origin;
  let step = firstStep;
  for (let expansion = 0; expansion < MAX_EXPANSIONS; expansion++) {
    const current = evaluate(step);
    if (!Number.isFinite(current.value) || !decreasesEnough(current) || current.value > previous.value + slack) {
      return zoom(evaluate, previous, current, decreasesEnough, flatEnough, slack);
    }
    if (flatEnough(current)) return current;
    // Past the minimum along the line (the slope turned upward): it lies between previous and current.
    if (current.slope >= 0) return zoom(evaluate, current, previous, decreasesEnough, flatEnough, slack);
    previous = current;
    step *= 4;
  }
  return null;
}

/**
 * Narrows [low, high] (as steps, in either order) to a strong Wolfe step.
 * `low` satisfies sufficient decrease and slopes down toward `high`.
 */
function zoom(
  evaluate: (step: number) => LinePoint, low: LinePoint, high: LinePoint,
  decreasesEnough: (point: LinePoint) => boolean, flatEnough: (point: LinePoint) => boolean, slack: number,
): LinePoint | null {
  for (let attempt = 0; attempt < MAX_ZOOMS; attempt++) {
    const point = evaluate(nextTrialStep(low, high));
    if (!Number.isFinite(point.value) || !decreasesEnough(point) || point.value > low.value + slack) {
      high = point;
      continue;
    }
    if (flatEnough(point)) return point;
    if (point.slope * (high.step - low.step) >= 0) high = low;
    low = point;
  }
  // Interval exhausted: a step that lowered the objective still makes progress.
  return low.step > 0 ? low : null;
}

/** Where the slope crosses zero by the secant through both ends, kept 10% inside the interval; else its middle. */
function nextTrialStep(low: LinePoint, high: LinePoint): number {
  const width = high.step - low.step;
  const middle = low.step + width / 2;
  if (!Number.isFinite(high.slope) || low.slope * high.slope >= 0) return middle;
  const secant = low.step - (low.slope * width) / (high.slope - low.slope);
  const lowerBound = Math.min(low.step, high.step) + 0.1 * Math.abs(width);
  const upperBound = Math.max(low.step, high.step) - 0.1 * Math.abs(width);
  return Number.isFinite(secant) ? Math.min(Math.max(secant, lowerBound), upperBound) : middle;
}
