// The plain-data form of a fitted model, shared by the trainers (which make
// it), the ONNX writer (which turns it into a graph) and the in-memory
// predictor (which checks that graph). Nothing here depends on a library.

/** What a model predicts. */
export type LearningTask = 'binary' | 'multiclass' | 'regression';

/**
 * Raw scores to outputs: binary has one score per row (the positive class's
 * log-odds, turned into a probability by the logistic function), multiclass
 * one per class (softmax), regression one (identity).
 */
export interface LinearModel {
  type: 'linear';
  task: LearningTask;
  /** [output][feature]: one row for binary and regression, one per class for multiclass. */
  weights: number[][];
  /** [output]. */
  intercepts: number[];
}

/**
 * One regression tree in parallel arrays; node 0 is the root. A split sends
 * a row left when `float32(x[feature]) <= threshold` (ONNX runs trees on
 * float32 inputs; comparing the same way everywhere keeps the in-memory and
 * ONNX predictions identical), and a missing value (NaN) left when
 * `missingGoesLeft`. A leaf has `feature === -1` and its `value`
 * (already multiplied by the learning rate) adds to the score of `output`.
 */
export interface RegressionTree {
  /** Which score the tree adds to: the class index for multiclass, else 0. */
  output: number;
  feature: number[];
  /** Split thresholds, float32 values. */
  threshold: number[];
  left: number[];
  right: number[];
  missingGoesLeft: boolean[];
  value: number[];
}

export interface TreeEnsembleModel {
  type: 'tree_ensemble';
  task: LearningTask;
  /** Starting score per output (the prior log-odds, class log-priors or target mean). */
  baseScores: number[];
  trees: RegressionTree[];
}

export type FittedModel = LinearModel | TreeEnsembleModel;

/** One step applied to a numeric column, in order; fitted values are constants here. */
export type NumericStep =
  /** NaN becomes `value` (a fitted mean or median, or a constant). */
  | { op: 'impute'; value: number }
  | { op: 'clip'; min?: number; max?: number }
  /** ln(1 + x). */
  | { op: 'log1p' }
  /** (x - offset) * scale: standardize (offset = mean, scale = 1/std) and min-max (offset = min, scale = 1/(max - min)). */
  | { op: 'scale'; offset: number; scale: number };

/** How one raw column becomes model features. */
export type ColumnTransform =
  /** One feature: the column after its steps (none: the value as is). */
  | { kind: 'numeric'; column: string; steps: NumericStep[] }
  /** One feature per category, 1 where the value equals it; an unseen value gives all zeros. */
  | { kind: 'one_hot'; column: string; categories: string[] };

/**
 * The raw columns a model reads and how they become its feature vector. The
 * ONNX graph takes one input per column (float [N,1] for numeric, string
 * [N,1] for one-hot), so inference applies exactly the training transform.
 */
export interface FeaturePlan {
  columns: ColumnTransform[];
}

/** Names of the features the plan produces, in order: `col`, or `col=category` for one-hot. */
export function featureNames(plan: FeaturePlan): string[] {
  return plan.columns.flatMap((column) =>
    column.kind === 'numeric' ? [column.column] : column.categories.map((category) => `${column.column}=${category}`));
}

/** What travels with a model besides its graph (stored in the ONNX metadata as JSON under `sluice`). */
export interface ModelMetadata {
  task: LearningTask;
  /** Class labels in the order of the probability columns (sorted); absent for regression. */
  classes?: string[];
  /** The target column it was trained on. */
  target: string;
  plan: FeaturePlan;
  /** e.g. gradient_boosting, logistic_regression, linear_regression. */
  algorithm: string;
  hyperparameters: Record<string, number | string | boolean>;
  /** The dataset version it was trained on (dataset://name@version), for the registry's lineage. */
  dataset?: string;
}
