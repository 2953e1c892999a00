import { describe, expect, it } from 'vitest';
import { fitGradientBoosting, treeEnsembleScores } from '../tasks/ml/gbdt/index.js';
import { classificationMetrics, regressionMetrics } from '../tasks/ml/metrics.js';
import type { TreeEnsembleModel } from '../tasks/ml/model-spec.js';
import { scoresToProbabilities } from '../tasks/ml/predict.js';
import { classIndices, loadReferenceDataset } from './ml-fixtures.js';

const CLASSIFICATION = ['breast_cancer', 'wine', 'iris', 'digits', 'fair'];

function classProbabilities(model: TreeEnsembleModel, columns: Float64Array[]): Float64Array {
  return scoresToProbabilities(model.task, treeEnsembleScores(model, columns), model.baseScores.length);
}

/** A small deterministic generator for synthetic data. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('gradient boosting matches scikit-learn on the reference datasets (default hyperparameters)', () => {
  for (const name of CLASSIFICATION) {
    it(`${name}: accuracy within 0.01 and ROC AUC within 0.005 of HistGradientBoostingClassifier`, () => {
      const dataset = loadReferenceDataset(name);
      const classes = dataset.classes!;
      const task = classes.length === 2 ? 'binary' : 'multiclass';
      const { model, iterations } = fitGradientBoosting(dataset.train.columns, classIndices(dataset.train.target, classes), task, classes.length);
      const metrics = classificationMetrics(classIndices(dataset.test.target, classes), classProbabilities(model, dataset.test.columns), classes.length);
      const reference = dataset.reference.baselines.hgb;
      expect(iterations).toBe(reference.n_iter);
      expect(Math.abs(metrics.accuracy - reference.accuracy)).toBeLessThanOrEqual(0.01);
      expect(Math.abs(metrics.roc_auc - (reference.roc_auc ?? reference.roc_auc_ovr_macro))).toBeLessThanOrEqual(0.005);
    });
  }

  it('diabetes: RMSE within 2% of HistGradientBoostingRegressor', () => {
    const dataset = loadReferenceDataset('diabetes');
    const { model } = fitGradientBoosting(dataset.train.columns, dataset.train.target, 'regression', 1);
    const predicted = treeEnsembleScores(model, dataset.test.columns);
    const { rmse } = regressionMetrics(dataset.test.target, predicted);
    const reference = dataset.reference.baselines.hgb.rmse;
    expect(Math.abs(rmse - reference) / reference).toBeLessThanOrEqual(0.02);
  });
});

describe('gradient boosting models', () => {
  it('are the same for the same seed, also with early stopping holding out a random validation set', () => {
    const dataset = loadReferenceDataset('fair');
    const labels = classIndices(dataset.train.target, dataset.classes!);
    const fit = (seed: number) => fitGradientBoosting(dataset.train.columns, labels, 'binary', 2, { earlyStopping: true, seed, maxIterations: 30 });
    const first = fit(7);
    expect(fit(7)).toEqual(first);
    expect(fit(8).model).not.toEqual(first.model);
  });

  it('stop early on their own above 10,000 rows when more trees stop helping the validation loss', () => {
    const random = generator(3);
    const rows = 12_000;
    const x = Float64Array.from({ length: rows }, () => random());
    // Labels are a coin flip with a weak dependence on x: a few trees learn all there is.
    const labels = Int32Array.from(x, (value) => (random() < 0.4 + 0.2 * value ? 1 : 0));
    const progress: number[] = [];
    const { iterations, model } = fitGradientBoosting([x], labels, 'binary', 2, {}, (step) => progress.push(step.validationLoss!));
    expect(iterations).toBeLessThan(100);
    expect(model.trees).toHaveLength(iterations);
    expect(progress).toHaveLength(iterations);
    expect(progress.every(Number.isFinite)).toBe(true);
  });

  it('give one score per class per row for multiclass', () => {
    const dataset = loadReferenceDataset('iris');
    const { model } = fitGradientBoosting(dataset.train.columns, classIndices(dataset.train.target, dataset.classes!), 'multiclass', 3, { maxIterations: 10 });
    expect(model.trees).toHaveLength(30);
    expect(model.trees.map((tree) => tree.output).slice(0, 3)).toEqual([0, 1, 2]);
    expect(treeEnsembleScores(model, dataset.test.columns)).toHaveLength(dataset.test.target.length * 3);
  });

  it('store float32 thresholds that split float32-rounded training values as the float64 bin edges do', () => {
    const dataset = loadReferenceDataset('iris');
    const { model } = fitGradientBoosting(dataset.train.columns, classIndices(dataset.train.target, dataset.classes!), 'multiclass', 3, { maxIterations: 10 });
    let splits = 0;
    for (const tree of model.trees) {
      tree.feature.forEach((feature, node) => {
        if (feature < 0) return;
        splits++;
        const threshold = tree.threshold[node]!;
        const values = [...dataset.train.columns[feature]!];
        const distinct = [...new Set(values)].sort((a, b) => a - b);
        // The bin edge is the midpoint of two neighbouring values (iris has few distinct ones); the threshold is its float32.
        const edge = distinct.slice(1).map((value, i) => (distinct[i]! + value) / 2).find((midpoint) => Math.fround(midpoint) === threshold);
        expect(edge).toBeDefined();
        for (const value of values) expect(Math.fround(value) <= threshold).toBe(value <= edge!);
      });
    }
    expect(splits).toBeGreaterThan(50);
  });
});

describe('gradient boosting with missing values', () => {
  it('learns which side missing values go to and sends NaN there when predicting', () => {
    // The label is 1 where x is missing or above 0.5: a model must send NaN to the side of the high values.
    const random = generator(11);
    const rows = 2_000;
    const x = Float64Array.from({ length: rows }, () => (random() < 0.2 ? Number.NaN : random()));
    const labels = Int32Array.from(x, (value) => (Number.isNaN(value) || value > 0.5 ? 1 : 0));
    const { model } = fitGradientBoosting([x], labels, 'binary', 2, { maxIterations: 20 });
    const scores = treeEnsembleScores(model, [Float64Array.of(Number.NaN, 0.1, 0.9)]);
    expect(scores[0]).toBeGreaterThan(0);
    expect(scores[1]).toBeLessThan(0);
    expect(scores[2]).toBeGreaterThan(0);
    expect(model.trees[0]!.missingGoesLeft[0]).toBe(model.trees[0]!.threshold[0]! >= 0.5 ? true : false);
  });

  it('trains on data with blanked values and still predicts well, NaN included', () => {
    const dataset = loadReferenceDataset('breast_cancer');
    const random = generator(5);
    const blank = (columns: Float64Array[]) => columns.map((column) => column.map((value) => (random() < 0.15 ? Number.NaN : value)));
    const labels = classIndices(dataset.train.target, dataset.classes!);
    const { model } = fitGradientBoosting(blank(dataset.train.columns), labels, 'binary', 2, { maxIterations: 40 });
    const metrics = classificationMetrics(classIndices(dataset.test.target, dataset.classes!), classProbabilities(model, blank(dataset.test.columns)), 2);
    expect(metrics.accuracy).toBeGreaterThan(0.9);
    expect(model.trees.some((tree) => tree.missingGoesLeft.some((left, node) => left && tree.feature[node]! >= 0))).toBe(true);
  });
});

describe('gradient boosting rejects unusable training data with a clear message', () => {
  const column = Float64Array.of(1, 2, 3, 4);

  it('a target with a single class', () => {
    expect(() => fitGradientBoosting([column], Int32Array.of(1, 1, 1, 1), 'binary', 2)).toThrow(/only one class/);
  });

  it('no rows', () => {
    expect(() => fitGradientBoosting([new Float64Array(0)], new Int32Array(0), 'binary', 2)).toThrow(/no rows/);
  });

  it('a missing or infinite target value, naming the row', () => {
    expect(() => fitGradientBoosting([column], Float64Array.of(1, Number.NaN, 3, 4), 'regression', 1)).toThrow(/target is NaN at row 1/);
    expect(() => fitGradientBoosting([column], Float64Array.of(1, 2, Infinity, 4), 'regression', 1)).toThrow(/target is Infinity at row 2/);
  });

  it('columns and target of different lengths', () => {
    expect(() => fitGradientBoosting([column, Float64Array.of(1, 2)], Int32Array.of(0, 1, 0, 1), 'binary', 2)).toThrow(/column 1 has 2 rows but the target has 4/);
  });

  it('a label outside the classes, and a bad option', () => {
    expect(() => fitGradientBoosting([column], Int32Array.of(0, 1, 2, 1), 'binary', 2)).toThrow(/class indices 0\.\.1/);
    expect(() => fitGradientBoosting([column], Int32Array.of(0, 1, 0, 1), 'binary', 2, { learningRate: 0 })).toThrow(/learningRate is 0/);
  });
});
