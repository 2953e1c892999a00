import { describe, expect, it } from 'vitest';
import { fitLogisticRegression, fitRidge, InvalidTrainingData, linearScores } from '../tasks/ml/linear/index.js';
import { binaryLogisticObjective } from '../tasks/ml/linear/binary-logistic.js';
import { minimizeLbfgs } from '../tasks/ml/linear/lbfgs.js';
import { usesNewton } from '../tasks/ml/linear/logistic-regression.js';
import { multinomialLogisticObjective } from '../tasks/ml/linear/multinomial-logistic.js';
import { minimizeNewton } from '../tasks/ml/linear/newton.js';
import { classificationMetrics, regressionMetrics } from '../tasks/ml/metrics.js';
import type { LinearModel } from '../tasks/ml/model-spec.js';
import { classIndices, loadReferenceDataset, type ReferenceDataset } from './ml-fixtures.js';

/** StandardScaler as scikit-learn: mean and population std of the train split; a constant column keeps scale 1. */
function standardized(dataset: ReferenceDataset) {
  const scalers = dataset.train.columns.map((column) => {
    const mean = column.reduce((sum, value) => sum + value, 0) / column.length;
    const variance = column.reduce((sum, value) => sum + (value - mean) ** 2, 0) / column.length;
    return { mean, scale: variance === 0 ? 1 : Math.sqrt(variance) };
  });
  const apply = (columns: Float64Array[]) =>
    columns.map((column, f) => column.map((value) => (value - scalers[f]!.mean) / scalers[f]!.scale));
  return { scalers, train: apply(dataset.train.columns), test: apply(dataset.test.columns) };
}

/** Row-major class probabilities from raw linear scores (binary: [1 - p, p]). */
function probabilities(model: LinearModel, columns: Float64Array[]): Float64Array {
  const scores = linearScores(model, columns);
  if (model.task === 'binary') return Float64Array.from([...scores].flatMap((score) => [1 / (1 + Math.exp(score)), 1 / (1 + Math.exp(-score))]));
  const classes = model.weights.length;
  const result = new Float64Array(scores.length);
  for (let row = 0; row < scores.length / classes; row++) {
    const slice = scores.subarray(row * classes, (row + 1) * classes);
    const largest = Math.max(...slice);
    const total = slice.reduce((sum, score) => sum + Math.exp(score - largest), 0);
    slice.forEach((score, k) => { result[row * classes + k] = Math.exp(score - largest) / total; });
  }
  return result;
}

function largestDifference(actual: number[], expected: number[]): number {
  expect(actual).toHaveLength(expected.length);
  return Math.max(...actual.map((value, i) => Math.abs(value - expected[i]!)));
}

function fitReference(name: string) {
  const dataset = loadReferenceDataset(name);
  const classes = dataset.classes!;
  const features = standardized(dataset);
  const gradientNorms: number[] = [];
  const fit = fitLogisticRegression(features.train, classIndices(dataset.train.target, classes), classes.length, {},
    (progress) => gradientNorms.push(progress.gradientNorm));
  const testLabels = classIndices(dataset.test.target, classes);
  const metrics = classificationMetrics(testLabels, probabilities(fit.model, features.test), classes.length);
  return { dataset, features, fit, metrics, gradientNorms, baseline: dataset.reference.baselines.logreg };
}

describe('binary logistic regression', () => {
  it.each(['breast_cancer', 'fair'])('matches scikit-learn\'s exact optimum on %s and its test accuracy and ROC AUC', (name) => {
    const { features, fit, metrics, baseline } = fitReference(name);
    expect(largestDifference(features.scalers.map((s) => s.mean), baseline.fitted.scaler_mean)).toBeLessThan(1e-9);
    expect(fit.converged).toBe(true);
    expect(fit.model.task).toBe('binary');
    expect(largestDifference(fit.model.weights[0]!, baseline.fitted_exact.coef)).toBeLessThan(1e-6);
    expect(Math.abs(fit.model.intercepts[0]! - baseline.fitted_exact.intercept)).toBeLessThan(1e-6);
    // Accuracy and AUC depend only on how the test rows rank, which the tiny coefficient gap does not change.
    expect(Math.abs(metrics.accuracy - baseline.accuracy)).toBeLessThan(1e-9);
    expect(Math.abs(metrics.roc_auc - baseline.roc_auc)).toBeLessThan(1e-9);
    expect(Math.abs(metrics.log_loss - baseline.log_loss)).toBeLessThan(1e-4);
  });

  it('reports each Newton step through onProgress, the gradient shrinking to nothing', () => {
    const { fit, gradientNorms } = fitReference('breast_cancer');
    expect(gradientNorms).toHaveLength(fit.iterations);
    expect(fit.iterations).toBeLessThan(20);
    expect(gradientNorms.at(-1)).toBeLessThan(1e-8);
    expect(gradientNorms.at(-1)!).toBeLessThan(gradientNorms[0]!);
  });

  it('reaches the same exact optimum by L-BFGS, the solver for wide data', () => {
    const dataset = loadReferenceDataset('breast_cancer');
    const { train } = standardized(dataset);
    expect(usesNewton(1, 30)).toBe(true);
    expect(usesNewton(1, 500)).toBe(false);
    const objective = binaryLogisticObjective(train, classIndices(dataset.train.target, dataset.classes!), 1);
    const result = minimizeLbfgs(objective, new Float64Array(objective.size), { maxIterations: 1000, gradientTolerance: 1e-9 });
    const exact = dataset.reference.baselines.logreg.fitted_exact;
    expect(result.converged).toBe(true);
    expect(largestDifference([...result.params], [...exact.coef, exact.intercept])).toBeLessThan(1e-6);
  });

  it('gives the same weights on raw features far from zero, where rounding limits the solver', () => {
    const dataset = loadReferenceDataset('fair');
    const labels = classIndices(dataset.train.target, dataset.classes!);
    const near = fitLogisticRegression(dataset.train.columns, labels, 2);
    // Shifting every feature by 1e5 moves only the intercept, but makes the Hessian nearly singular.
    const shifted = fitLogisticRegression(dataset.train.columns.map((column) => column.map((value) => value + 1e5)), labels, 2);
    expect(shifted.converged).toBe(true);
    expect(largestDifference(shifted.model.weights[0]!, near.model.weights[0]!)).toBeLessThan(1e-8);
  });

  it('shrinks the weights more as regularization grows, leaving the intercept free', () => {
    const dataset = loadReferenceDataset('fair');
    const { train } = standardized(dataset);
    const labels = classIndices(dataset.train.target, dataset.classes!);
    const norm = (lambda: number) => {
      const { model } = fitLogisticRegression(train, labels, 2, { regularization: lambda });
      return Math.hypot(...model.weights[0]!);
    };
    expect(norm(1e4)).toBeLessThan(norm(1) / 5);
    const heavy = fitLogisticRegression(train, labels, 2, { regularization: 1e9 }).model;
    // With the weights pinned near zero, the intercept is the prior log-odds of the positive class.
    const positives = labels.reduce((sum, label) => sum + label, 0);
    expect(heavy.intercepts[0]).toBeCloseTo(Math.log(positives / (labels.length - positives)), 4);
  });
});

describe('multinomial logistic regression', () => {
  it.each(['wine', 'iris', 'digits'])('on %s: equals scikit-learn\'s test accuracy with a log loss no worse', (name) => {
    const { dataset, fit, metrics, baseline, gradientNorms } = fitReference(name);
    expect(fit.converged).toBe(true);
    expect(fit.model.task).toBe('multiclass');
    expect(fit.model.weights).toHaveLength(dataset.classes!.length);
    // The default tolerance bounds every gradient component by 1e-12 per training row.
    const parameters = dataset.classes!.length * (dataset.featureNames.length + 1);
    expect(gradientNorms.at(-1)).toBeLessThanOrEqual(1e-12 * dataset.train.target.length * Math.sqrt(parameters));
    expect(Math.abs(metrics.accuracy - baseline.accuracy)).toBeLessThan(1e-9);
    // scikit-learn's lbfgs stops at gtol 1e-4, short of the optimum we reach; the gap
    // moves the test log loss a little either way but reorders no test rows, so the AUC is the same.
    expect(metrics.log_loss).toBeLessThanOrEqual(baseline.log_loss + 1e-4);
    expect(Math.abs(metrics.roc_auc - baseline.roc_auc_ovr_macro)).toBeLessThan(1e-9);
    expect(Math.abs(fit.model.intercepts.reduce((sum, value) => sum + value, 0))).toBeLessThan(1e-9);
  });

  it('reaches the same optimum by Newton steps and by L-BFGS', () => {
    const dataset = loadReferenceDataset('wine');
    expect(usesNewton(3, 13)).toBe(true); // while digits (10 classes × 64 features) takes L-BFGS
    expect(usesNewton(10, 64)).toBe(false);
    const { train } = standardized(dataset);
    const objective = multinomialLogisticObjective(train, classIndices(dataset.train.target, dataset.classes!), 3, 1);
    const options = { maxIterations: 1000, gradientTolerance: 1e-9 };
    const newton = minimizeNewton(objective, new Float64Array(objective.size), options);
    const lbfgs = minimizeLbfgs(objective, new Float64Array(objective.size), options);
    expect(newton.converged && lbfgs.converged).toBe(true);
    expect(largestDifference([...lbfgs.params], [...newton.params])).toBeLessThan(1e-8);
    expect(newton.iterations).toBeLessThan(lbfgs.iterations);
  });
});

describe('ridge and least-squares regression', () => {
  it('with alpha 0 equals scikit-learn\'s LinearRegression on diabetes', () => {
    const dataset = loadReferenceDataset('diabetes');
    const { train, test } = standardized(dataset);
    const { model } = fitRidge(train, dataset.train.target, { alpha: 0 });
    const metrics = regressionMetrics(dataset.test.target, linearScores(model, test));
    const baseline = dataset.reference.baselines.linreg;
    expect(Math.abs(metrics.rmse - baseline.rmse)).toBeLessThan(1e-6);
    expect(Math.abs(metrics.mae - baseline.mae)).toBeLessThan(1e-6);
    expect(Math.abs(metrics.r2 - baseline.r2)).toBeLessThan(1e-6);
  });

  it('solves a small problem exactly, penalizing the slope but not the intercept', () => {
    const x = [Float64Array.of(0, 1, 2)];
    const y = Float64Array.of(1, 3, 5);
    const exact = fitRidge(x, y, { alpha: 0 }).model;
    expect(exact.weights[0]![0]).toBeCloseTo(2, 14);
    expect(exact.intercepts[0]).toBeCloseTo(1, 14);
    // Centered: Σx² = 2, Σxy = 4, so w = 4 / (2 + 1) and b = mean(y) - w·mean(x) = 3 - 4/3.
    const ridge = fitRidge(x, y).model;
    expect(ridge.weights[0]![0]).toBeCloseTo(4 / 3, 14);
    expect(ridge.intercepts[0]).toBeCloseTo(5 / 3, 14);
  });

  it('explains a singular least-squares system and suggests alpha > 0, which solves it', () => {
    const base = Float64Array.of(1, 2, 3, 4);
    const doubled = base.map((value) => 2 * value);
    const y = Float64Array.of(1, 0, 2, 5);
    expect(() => fitRidge([base, doubled], y, { alpha: 0 }))
      .toThrow(/feature 1 is constant or a linear combination of features 0\.\.0.*alpha > 0/);
    expect(() => fitRidge([Float64Array.of(7, 7, 7)], Float64Array.of(1, 2, 3), { alpha: 0 })).toThrow(/feature 0 is constant/);
    expect(fitRidge([base, doubled], y, { alpha: 1 }).model.weights[0]!.every(Number.isFinite)).toBe(true);
  });
});

describe('linear scores', () => {
  it('returns row-major raw scores, one per output', () => {
    const model: LinearModel = { type: 'linear', task: 'multiclass', weights: [[1, 0], [0, 2], [-1, 1]], intercepts: [0, 1, 0.5] };
    const scores = linearScores(model, [Float64Array.of(1, 3), Float64Array.of(2, -1)]);
    expect([...scores]).toEqual([1, 5, 1.5, 3, -1, -3.5]);
  });

  it('refuses columns that do not fit the model', () => {
    const model: LinearModel = { type: 'linear', task: 'binary', weights: [[1, 2]], intercepts: [0] };
    expect(() => linearScores(model, [Float64Array.of(1)])).toThrow(/expects 2 feature columns, got 1/);
  });
});

describe('training data errors', () => {
  const columns = [Float64Array.of(0, 1, 2, 3), Float64Array.of(1, 1, 0, 0)];

  it('refuses a target with a single class', () => {
    expect(() => fitLogisticRegression(columns, Int32Array.of(1, 1, 1, 1), 2))
      .toThrow(/the target has only one class \(class index 1, all 4 rows\); logistic regression needs at least two/);
  });

  it('names the feature and row of a NaN or infinite value', () => {
    const broken = [columns[0]!, Float64Array.of(1, 1, Number.NaN, 0)];
    let thrown: unknown;
    try { fitLogisticRegression(broken, Int32Array.of(0, 1, 0, 1), 2); } catch (error) { thrown = error; }
    expect(thrown).toBeInstanceOf(InvalidTrainingData);
    expect(thrown).toMatchObject({ feature: 1, row: 2, message: expect.stringMatching(/feature 1 at row 2 is NaN.*impute/) });
    expect(() => fitRidge(columns, Float64Array.of(1, Infinity, 2, 3)))
      .toThrow(expect.objectContaining({ feature: null, row: 1, message: expect.stringMatching(/the target at row 1 is Infinity/) }));
  });

  it('refuses empty or mismatched data and absent classes with what to fix', () => {
    expect(() => fitRidge([new Float64Array(0)], new Float64Array(0))).toThrow(/no training rows/);
    expect(() => fitRidge([], Float64Array.of(1))).toThrow(/at least one feature/);
    expect(() => fitRidge([columns[0]!, Float64Array.of(1, 2)], Float64Array.of(1, 2, 3, 4))).toThrow(/feature 1 has 2 rows but feature 0 has 4/);
    expect(() => fitRidge(columns, Float64Array.of(1, 2))).toThrow(/target has 2 values but the features have 4 rows/);
    expect(() => fitLogisticRegression(columns, Int32Array.of(0, 1, 0), 2)).toThrow(/3 labels but the features have 4 rows/);
    expect(() => fitLogisticRegression(columns, Int32Array.of(0, 1, 0, 1), 3)).toThrow(/class index 2 of 3 has no training rows/);
    expect(() => fitLogisticRegression(columns, Int32Array.of(0, 1, 0, 1), 2, { regularization: 0 })).toThrow(/positive number.*1e-6/);
  });
});
