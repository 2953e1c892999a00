// The best split of one node, read off its histogram as scikit-learn's
// Splitter does: for each feature, scan the bins left to right with missing
// values sent right, then (when the feature has missing values) right to
// left with them sent left; keep the first split of strictly highest gain.
//
// A node's loss with gradient sum G and value v is G·v, and a child's value
// is −G/(H + λ), so a split's gain is G·v_parent − G_L·v_L − G_R·v_R
// (XGBoost's equations 5–7).
import { COUNT, GRADIENT, HESSIAN, SLOTS_PER_BIN } from './histogram.js';

export interface SplitRules {
  minSamplesLeaf: number;
  /** A child needs at least this hessian sum (scikit-learn's min_hessian_to_split). */
  minHessianToSplit: number;
  l2Regularization: number;
  /** Hessians are all 1: the row counts stand in for hessian sums. */
  constantHessian: boolean;
}

export interface NodeTotals {
  count: number;
  sumGradients: number;
  sumHessians: number;
  /** The node's own value (0 for the root, as in scikit-learn). */
  value: number;
}

export interface Split {
  gain: number;
  feature: number;
  /** Rows with bin ≤ this go left. */
  bin: number;
  missingGoesLeft: boolean;
  gradientLeft: number;
  hessianLeft: number;
  countLeft: number;
  gradientRight: number;
  hessianRight: number;
  countRight: number;
}

/** −G/(H + λ); the tiny constant keeps an empty hessian from dividing by zero. */
export function leafValue(sumGradients: number, sumHessians: number, l2Regularization: number): number {
  return -sumGradients / (sumHessians + l2Regularization + 1e-15);
}

/** A split with no gain yet, to be improved by searchFeatures. */
export function noSplit(): Split {
  return {
    gain: 0, feature: -1, bin: 0, missingGoesLeft: false,
    gradientLeft: 0, hessianLeft: 0, countLeft: 0, gradientRight: 0, hessianRight: 0, countRight: 0,
  };
}

/**
 * Improves `best` with the splits of features from..to (exclusive) that beat
 * its gain (strictly: the first of equal gains stays). The right side's sums
 * are left for completeSplit.
 */
export function searchFeatures(
  histogram: Float64Array, offsets: Int32Array, nonMissingBins: Int32Array, hasMissing: Uint8Array,
  node: NodeTotals, rules: SplitRules, from: number, to: number, best: Split,
): void {
  for (let feature = from; feature < to; feature++) {
    scanLeftToRight(histogram, offsets[feature]!, nonMissingBins[feature]!, hasMissing[feature] === 1, feature, node, rules, best);
    if (hasMissing[feature] === 1) scanRightToLeft(histogram, offsets[feature]!, nonMissingBins[feature]!, feature, node, rules, best);
  }
}

/** The split with its right side filled in, or undefined when no split had a positive gain. */
export function completeSplit(best: Split, node: NodeTotals): Split | undefined {
  if (best.feature < 0) return undefined;
  best.gradientRight = node.sumGradients - best.gradientLeft;
  best.hessianRight = node.sumHessians - best.hessianLeft;
  best.countRight = node.count - best.countLeft;
  return best;
}

/** Left child = bins 0..b, right child = the rest and the missing values. */
function scanLeftToRight(
  histogram: Float64Array, offset: number, nonMissing: number, withMissing: boolean,
  feature: number, node: NodeTotals, rules: SplitRules, best: Split,
): void {
  const { minSamplesLeaf, minHessianToSplit, l2Regularization, constantHessian } = rules;
  const parentLoss = node.sumGradients * node.value;
  // The last non-missing bin may go left only when missing values are left on the right.
  const end = nonMissing - 1 + (withMissing ? 1 : 0);
  let gradientLeft = 0;
  let hessianLeft = 0;
  let countLeft = 0;
  for (let bin = 0; bin < end; bin++) {
    const slot = (offset + bin) * SLOTS_PER_BIN;
    const binCount = histogram[slot + COUNT]!;
    // An empty bin repeats the previous candidate, which was already weighed.
    if (binCount === 0) continue;
    countLeft += binCount;
    hessianLeft += constantHessian ? binCount : histogram[slot + HESSIAN]!;
    gradientLeft += histogram[slot + GRADIENT]!;
    const countRight = node.count - countLeft;
    if (countLeft < minSamplesLeaf) continue;
    if (countRight < minSamplesLeaf) break;
    const hessianRight = node.sumHessians - hessianLeft;
    if (hessianLeft < minHessianToSplit) continue;
    if (hessianRight < minHessianToSplit) break;
    const gradientRight = node.sumGradients - gradientLeft;
    const gain = parentLoss
      - gradientLeft * leafValue(gradientLeft, hessianLeft, l2Regularization)
      - gradientRight * leafValue(gradientRight, hessianRight, l2Regularization);
    if (gain > best.gain) record(best, gain, feature, bin, false, gradientLeft, hessianLeft, countLeft);
  }
}

/** Right child = bins b+1..last non-missing, left child = the rest and the missing values. */
function scanRightToLeft(
  histogram: Float64Array, offset: number, nonMissing: number,
  feature: number, node: NodeTotals, rules: SplitRules, best: Split,
): void {
  const { minSamplesLeaf, minHessianToSplit, l2Regularization, constantHessian } = rules;
  const parentLoss = node.sumGradients * node.value;
  let gradientRight = 0;
  let hessianRight = 0;
  let countRight = 0;
  for (let bin = nonMissing - 2; bin >= 0; bin--) {
    const slot = (offset + bin + 1) * SLOTS_PER_BIN;
    const binCount = histogram[slot + COUNT]!;
    if (binCount === 0) continue;
    countRight += binCount;
    hessianRight += constantHessian ? binCount : histogram[slot + HESSIAN]!;
    gradientRight += histogram[slot + GRADIENT]!;
    const countLeft = node.count - countRight;
    if (countRight < minSamplesLeaf) continue;
    if (countLeft < minSamplesLeaf) break;
    const hessianLeft = node.sumHessians - hessianRight;
    if (hessianRight < minHessianToSplit) continue;
    if (hessianLeft < minHessianToSplit) break;
    const gradientLeft = node.sumGradients - gradientRight;
    const gain = parentLoss
      - gradientLeft * leafValue(gradientLeft, hessianLeft, l2Regularization)
      - gradientRight * leafValue(gradientRight, hessianRight, l2Regularization);
    if (gain > best.gain) record(best, gain, feature, bin, true, gradientLeft, hessianLeft, countLeft);
  }
}

function record(
  best: Split, gain: number, feature: number, bin: number, missingGoesLeft: boolean,
  gradientLeft: number, hessianLeft: number, countLeft: number,
): void {
  best.gain = gain;
  best.feature = feature;
  best.bin = bin;
  best.missingGoesLeft = missingGoesLeft;
  best.gradientLeft = gradientLeft;
  best.hessianLeft = hessianLeft;
  best.countLeft = countLeft;
}
