import { describe, expect, it } from 'vitest';
import { classificationMetrics, regressionMetrics } from '../tasks/ml/metrics.js';

/** Row-major [p0, p1] from positive-class probabilities. */
function binaryProbabilities(p1: number[]): Float64Array {
  return Float64Array.from(p1.flatMap((p) => [1 - p, p]));
}

describe('classification metrics', () => {
  it('scores a binary model on the positive class (index 1)', () => {
    const metrics = classificationMetrics(Int32Array.of(0, 0, 1, 1), binaryProbabilities([0.1, 0.4, 0.35, 0.8]), 2);
    expect(metrics.confusion_matrix).toEqual([[2, 0], [1, 1]]);
    expect(metrics.accuracy).toBe(0.75);
    expect(metrics.precision).toBe(1);
    expect(metrics.recall).toBe(0.5);
    expect(metrics.f1).toBeCloseTo(2 / 3, 15);
    // Pairs (positive, negative) ranked right: 0.35 > 0.1, 0.8 > 0.1, 0.8 > 0.4 → 3 of 4.
    expect(metrics.roc_auc).toBe(0.75);
    expect(metrics.log_loss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4, 15);
    expect(metrics.log_loss).toBeCloseTo(0.47228795380917615, 14); // scikit-learn 1.2.1
  });

  it('counts a tied score as half a pair in ROC AUC and breaks a probability tie toward the lower class', () => {
    // positives 0.5, 0.9, 0.2 vs negatives 0.5, 0.2: 1.5 + 2 + 0.5 = 4 of 6 pairs.
    const metrics = classificationMetrics(Int32Array.of(0, 1, 0, 1, 1), binaryProbabilities([0.5, 0.5, 0.2, 0.9, 0.2]), 2);
    expect(metrics.roc_auc).toBeCloseTo(2 / 3, 15);
    // Row 1 is [0.5, 0.5]: predicted class 0, so only row 3 is a predicted positive.
    expect(metrics.confusion_matrix).toEqual([[2, 0], [2, 1]]);
    expect(metrics.accuracy).toBe(0.6);
    expect(metrics.precision).toBe(1);
    expect(metrics.recall).toBeCloseTo(1 / 3, 15);
    expect(metrics.f1).toBe(0.5);
    expect(metrics.log_loss).toBeCloseTo(0.6648472681052053, 14); // scikit-learn 1.2.1
  });

  it('gives AUC 0.5 when every score is the same, and 1 or 0 for perfect orderings', () => {
    const labels = Int32Array.of(1, 0, 1, 0);
    expect(classificationMetrics(labels, binaryProbabilities([0.3, 0.3, 0.3, 0.3]), 2).roc_auc).toBe(0.5);
    expect(classificationMetrics(labels, binaryProbabilities([0.9, 0.1, 0.8, 0.2]), 2).roc_auc).toBe(1);
    expect(classificationMetrics(labels, binaryProbabilities([0.1, 0.9, 0.2, 0.8]), 2).roc_auc).toBe(0);
  });

  it('macro-averages a multiclass model over its classes and one-vs-rest AUCs', () => {
    const labels = Int32Array.of(0, 1, 2, 2, 1, 0);
    const probabilities = Float64Array.of(
      0.7, 0.2, 0.1,
      0.3, 0.4, 0.3,
      0.2, 0.2, 0.6,
      0.4, 0.4, 0.2, // tie between classes 0 and 1 → 0
      0.1, 0.3, 0.6,
      0.5, 0.25, 0.25);
    const metrics = classificationMetrics(labels, probabilities, 3);
    expect(metrics.confusion_matrix).toEqual([[2, 0, 0], [0, 1, 1], [1, 0, 1]]);
    expect(metrics.accuracy).toBe(4 / 6);
    expect(metrics.precision).toBeCloseTo((2 / 3 + 1 + 1 / 2) / 3, 15);
    expect(metrics.recall).toBeCloseTo((1 + 1 / 2 + 1 / 2) / 3, 15);
    expect(metrics.f1).toBeCloseTo((4 / 5 + 2 / 3 + 1 / 2) / 3, 15);
    // Per class: 1 (perfect), 6.5/8 and 4.5/8 (one tied pair each).
    expect(metrics.roc_auc).toBeCloseTo((1 + 0.8125 + 0.5625) / 3, 15);
    expect(metrics.roc_auc).toBeCloseTo(0.7916666666666666, 15); // scikit-learn 1.2.1
    const expectedLoss = -[0.7, 0.4, 0.6, 0.2, 0.3, 0.5].reduce((sum, p) => sum + Math.log(p), 0) / 6;
    expect(metrics.log_loss).toBeCloseTo(expectedLoss, 15);
  });

  it('returns NaN for ROC AUC when a class never occurs among the labels', () => {
    const labels = Int32Array.of(0, 1, 0, 1);
    const probabilities = Float64Array.of(0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.2, 0.1, 0.7, 0.3, 0.6, 0.1);
    const metrics = classificationMetrics(labels, probabilities, 3);
    expect(metrics.roc_auc).toBeNaN();
    // Class 2 is predicted once though never true: it counts in the macro average with recall 0 (zero_division).
    expect(metrics.precision).toBeCloseTo((1 + 1 + 0) / 3, 15);
    expect(metrics.recall).toBeCloseTo((0.5 + 1 + 0) / 3, 15);
    expect(classificationMetrics(Int32Array.of(1, 1), binaryProbabilities([0.2, 0.9]), 2).roc_auc).toBeNaN();
  });

  it('leaves a class out of the macro average when it is neither true nor predicted, as scikit-learn', () => {
    const probabilities = Float64Array.of(0.9, 0.05, 0.05, 0.1, 0.8, 0.1, 0.4, 0.5, 0.1);
    const metrics = classificationMetrics(Int32Array.of(0, 1, 0), probabilities, 3);
    expect(metrics.precision).toBeCloseTo((1 + 0.5) / 2, 15);
    expect(metrics.recall).toBeCloseTo((0.5 + 1) / 2, 15);
    expect(metrics.confusion_matrix[2]).toEqual([0, 0, 0]);
  });

  it('scores zero precision, recall and F1 when no row is predicted or labelled positive', () => {
    const metrics = classificationMetrics(Int32Array.of(0, 0), binaryProbabilities([0.1, 0.2]), 2);
    expect([metrics.precision, metrics.recall, metrics.f1]).toEqual([0, 0, 0]);
    expect(metrics.accuracy).toBe(1);
  });

  it('clips a zero probability to 1e-15 and renormalizes rows that do not sum to one', () => {
    const certainAndWrong = classificationMetrics(Int32Array.of(0), Float64Array.of(0, 1), 2);
    expect(certainAndWrong.log_loss).toBeCloseTo(-Math.log(1e-15), 12);
    const unnormalized = classificationMetrics(Int32Array.of(0), Float64Array.of(0.2, 0.2), 2);
    expect(unnormalized.log_loss).toBeCloseTo(Math.LN2, 15);
  });

  it('rejects inputs whose sizes or labels do not fit', () => {
    expect(() => classificationMetrics(Int32Array.of(0, 1), Float64Array.of(0.5, 0.5), 2)).toThrow(/needs 4 probabilities, got 2/);
    expect(() => classificationMetrics(Int32Array.of(0, 3), binaryProbabilities([0.5, 0.5]), 2)).toThrow(/label 3 at row 1/);
    expect(() => classificationMetrics(new Int32Array(0), new Float64Array(0), 2)).toThrow(/at least one row/);
    expect(() => classificationMetrics(Int32Array.of(0), Float64Array.of(NaN, 0.5), 2)).toThrow(/class 0 at row 0 is NaN/);
  });
});

describe('regression metrics', () => {
  it('computes RMSE, MAE and R² of predictions', () => {
    // errors -0.5, 0, 1, -1: squares sum 2.25; target sum of squares around its mean 2.5 is 5.
    const metrics = regressionMetrics(Float64Array.of(1, 2, 3, 4), Float64Array.of(1.5, 2, 2, 5));
    expect(metrics.rmse).toBe(0.75);
    expect(metrics.mae).toBe(0.625);
    expect(metrics.r2).toBeCloseTo(0.55, 15);
  });

  it('gives R² 1 for a perfect fit of a constant target and 0 otherwise, instead of dividing by zero', () => {
    expect(regressionMetrics(Float64Array.of(3, 3), Float64Array.of(3, 3)).r2).toBe(1);
    expect(regressionMetrics(Float64Array.of(3, 3), Float64Array.of(2, 4)).r2).toBe(0);
  });

  it('rejects mismatched or empty inputs', () => {
    expect(() => regressionMetrics(Float64Array.of(1, 2), Float64Array.of(1))).toThrow(/2 targets but 1 predictions/);
    expect(() => regressionMetrics(new Float64Array(0), new Float64Array(0))).toThrow(/at least one row/);
  });
});
