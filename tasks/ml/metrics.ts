// Evaluation metrics for fitted models, with scikit-learn's semantics so that
// our numbers can be compared with its baselines one for one.

export interface ClassificationMetrics {
  /** Share of rows whose predicted class (the most probable; ties → lowest index) is the true one. */
  accuracy: number;
  /** Binary: of the positive class (index 1). Multiclass: macro average. No predicted/true rows → 0. */
  precision: number;
  recall: number;
  f1: number;
  /**
   * Area under the ROC curve, ties counted as half (the trapezoid rule).
   * Binary: of p1. Multiclass: macro average of one-vs-rest. NaN when a class
   * has no rows among the labels, where it is undefined.
   */
  roc_auc: number;
  /** Mean negative log-likelihood of the true class, probabilities clipped to [1e-15, 1 - 1e-15] and rows renormalized. */
  log_loss: number;
  /** [true class][predicted class] counts. */
  confusion_matrix: number[][];
}

export interface RegressionMetrics {
  rmse: number;
  mae: number;
  /** 1 - SSres/SStot; when the target is constant: 1 for a perfect fit, else 0 (as scikit-learn's force_finite). */
  r2: number;
}

const LOG_LOSS_EPSILON = 1e-15;

/**
 * Metrics of class probabilities against true labels.
 * `probabilities` is row-major n × nClasses (binary: [p0, p1] per row).
 */
export function classificationMetrics(labels: Int32Array, probabilities: Float64Array, nClasses: number): ClassificationMetrics {
  checkClassificationInput(labels, probabilities, nClasses);
  const predicted = predictedClasses(probabilities, labels.length, nClasses);
  const confusion = confusionMatrix(labels, predicted, nClasses);
  const scores = nClasses === 2 ? binaryScores(confusion) : macroScores(confusion);
  return {
    accuracy: accuracyOf(confusion, labels.length),
    ...scores,
    roc_auc: rocAuc(labels, probabilities, nClasses),
    log_loss: logLoss(labels, probabilities, nClasses),
    confusion_matrix: confusion,
  };
}

/** RMSE, MAE and R² of predictions against a numeric target. */
export function regressionMetrics(target: Float64Array, predicted: Float64Array): RegressionMetrics {
  const n = target.length;
  if (n === 0) throw new Error('regression metrics need at least one row; the evaluation set is empty');
  if (predicted.length !== n) {
    throw new Error(`regression metrics: ${n} targets but ${predicted.length} predictions; pass one prediction per row`);
  }
  let mean = 0;
  for (let row = 0; row < n; row++) mean += target[row]!;
  mean /= n;
  let squaredError = 0;
  let absoluteError = 0;
  let totalSquares = 0;
  for (let row = 0; row < n; row++) {
    const actual = target[row]!;
    const error = actual - predicted[row]!;
    squaredError += error * error;
    absoluteError += Math.abs(error);
    totalSquares += (actual - mean) * (actual - mean);
  }
  const r2 = totalSquares === 0 ? (squaredError === 0 ? 1 : 0) : 1 - squaredError / totalSquares;
  return { rmse: Math.sqrt(squaredError / n), mae: absoluteError / n, r2 };
}

function checkClassificationInput(labels: Int32Array, probabilities: Float64Array, nClasses: number): void {
  if (!Number.isInteger(nClasses) || nClasses < 2) {
    throw new Error(`classification metrics need at least 2 classes, got nClasses = ${nClasses}`);
  }
  const n = labels.length;
  if (n === 0) throw new Error('classification metrics need at least one row; the evaluation set is empty');
  if (probabilities.length !== n * nClasses) {
    throw new Error(
      `classification metrics: ${n} labels × ${nClasses} classes needs ${n * nClasses} probabilities, got ${probabilities.length}`);
  }
  for (let row = 0; row < n; row++) {
    const label = labels[row]!;
    if (label < 0 || label >= nClasses) {
      throw new Error(`classification metrics: label ${label} at row ${row} is not a class index in 0..${nClasses - 1}`);
    }
  }
  for (let index = 0; index < probabilities.length; index++) {
    if (!Number.isFinite(probabilities[index]!)) {
      const row = Math.floor(index / nClasses);
      throw new Error(`classification metrics: probability of class ${index % nClasses} at row ${row} is ${probabilities[index]}`);
    }
  }
}

function predictedClasses(probabilities: Float64Array, n: number, nClasses: number): Int32Array {
  const predicted = new Int32Array(n);
  for (let row = 0; row < n; row++) {
    const offset = row * nClasses;
    let best = 0;
    // Strictly greater: a tie keeps the lowest index, as numpy's argmax.
    for (let k = 1; k < nClasses; k++) if (probabilities[offset + k]! > probabilities[offset + best]!) best = k;
    predicted[row] = best;
  }
  return predicted;
}

function confusionMatrix(labels: Int32Array, predicted: Int32Array, nClasses: number): number[][] {
  const matrix = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let row = 0; row < labels.length; row++) matrix[labels[row]!]![predicted[row]!]! += 1;
  return matrix;
}

function accuracyOf(confusion: number[][], n: number): number {
  let correct = 0;
  for (let k = 0; k < confusion.length; k++) correct += confusion[k]![k]!;
  return correct / n;
}

interface ClassScores { precision: number; recall: number; f1: number }

function classScores(confusion: number[][], k: number): ClassScores & { present: boolean } {
  let truePositives = confusion[k]![k]!;
  let actual = 0;
  let predicted = 0;
  for (let other = 0; other < confusion.length; other++) {
    actual += confusion[k]![other]!;
    predicted += confusion[other]![k]!;
  }
  // zero_division = 0: an empty denominator scores 0 rather than NaN.
  const precision = predicted === 0 ? 0 : truePositives / predicted;
  const recall = actual === 0 ? 0 : truePositives / actual;
  const f1 = truePositives === 0 ? 0 : (2 * truePositives) / (actual + predicted);
  return { precision, recall, f1, present: actual > 0 || predicted > 0 };
}

function binaryScores(confusion: number[][]): ClassScores {
  const { precision, recall, f1 } = classScores(confusion, 1);
  return { precision, recall, f1 };
}

/** Unweighted mean over the classes seen among the labels or the predictions, as scikit-learn's average='macro'. */
function macroScores(confusion: number[][]): ClassScores {
  const total = { precision: 0, recall: 0, f1: 0 };
  let counted = 0;
  for (let k = 0; k < confusion.length; k++) {
    const scores = classScores(confusion, k);
    if (!scores.present) continue;
    total.precision += scores.precision;
    total.recall += scores.recall;
    total.f1 += scores.f1;
    counted += 1;
  }
  return { precision: total.precision / counted, recall: total.recall / counted, f1: total.f1 / counted };
}

function rocAuc(labels: Int32Array, probabilities: Float64Array, nClasses: number): number {
  if (nClasses === 2) return oneVsRestAuc(labels, probabilities, nClasses, 1);
  let total = 0;
  for (let k = 0; k < nClasses; k++) total += oneVsRestAuc(labels, probabilities, nClasses, k);
  return total / nClasses;
}

/**
 * AUC of class `k`'s probability at telling class k from the others: the
 * Mann–Whitney statistic, the share of (positive, negative) pairs ranked
 * right, a tie counting half. Counted in integers and halves, then divided
 * once, so it is exact up to that division.
 */
function oneVsRestAuc(labels: Int32Array, probabilities: Float64Array, nClasses: number, k: number): number {
  let positiveCount = 0;
  for (let row = 0; row < labels.length; row++) if (labels[row] === k) positiveCount++;
  const negativeCount = labels.length - positiveCount;
  if (positiveCount === 0 || negativeCount === 0) return Number.NaN;
  const positives = new Float64Array(positiveCount);
  const negatives = new Float64Array(negativeCount);
  let p = 0;
  let q = 0;
  for (let row = 0; row < labels.length; row++) {
    const score = probabilities[row * nClasses + k]!;
    if (labels[row] === k) positives[p++] = score;
    else negatives[q++] = score;
  }
  positives.sort();
  negatives.sort();
  return rankedPairs(positives, negatives) / (positiveCount * negativeCount);
}

/** Pairs with positive > negative plus half the ties, walking both sorted lists once. */
function rankedPairs(positives: Float64Array, negatives: Float64Array): number {
  let pairs = 0;
  let below = 0; // negatives strictly below the current positive score
  let p = 0;
  while (p < positives.length) {
    const score = positives[p]!;
    let samePositives = 0;
    while (p < positives.length && positives[p] === score) { samePositives++; p++; }
    while (below < negatives.length && negatives[below]! < score) below++;
    let tiedNegatives = 0;
    while (below + tiedNegatives < negatives.length && negatives[below + tiedNegatives] === score) tiedNegatives++;
    pairs += samePositives * (below + 0.5 * tiedNegatives);
  }
  return pairs;
}

function logLoss(labels: Int32Array, probabilities: Float64Array, nClasses: number): number {
  let total = 0;
  for (let row = 0; row < labels.length; row++) {
    const offset = row * nClasses;
    let rowSum = 0;
    for (let k = 0; k < nClasses; k++) rowSum += clipProbability(probabilities[offset + k]!);
    total -= Math.log(clipProbability(probabilities[offset + labels[row]!]!) / rowSum);
  }
  return total / labels.length;
}

function clipProbability(probability: number): number {
  return Math.min(Math.max(probability, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
}
