import type { TaskTypeDefinition } from '../../engine/task-types.js';
import { datasetUri, enumOrReference, integerOrReference, numberOrReference } from '../runtime/schema-parts.js';

export const ALGORITHMS = ['gradient_boosting', 'logistic_regression', 'linear_regression'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Which hyperparameters each algorithm reads; any other is an error naming the algorithm. */
export const HYPERPARAMETERS_BY_ALGORITHM: Record<Algorithm, readonly string[]> = {
  gradient_boosting: ['learning_rate', 'max_iterations', 'max_leaf_nodes', 'max_depth', 'min_samples_leaf', 'l2_regularization', 'max_bins',
    'early_stopping', 'n_iter_no_change', 'tolerance', 'seed'],
  logistic_regression: ['regularization', 'max_iterations', 'tolerance'],
  linear_regression: ['alpha'],
};

export const trainDefinition: TaskTypeDefinition = {
  name: 'train',
  description: 'Fits a model on the train rows of a dataset (gradient boosting, logistic or linear regression) and exports it, with its feature transform, as model.onnx. Values: model, algorithm, task.',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['dataset', 'algorithm'],
    properties: {
      dataset: datasetUri('The training data.'),
      algorithm: enumOrReference(ALGORITHMS, 'gradient_boosting (histogram-based trees), logistic_regression (L2, solved to the optimum) or ' +
        'linear_regression (ridge); or a reference such as {{input.algorithm}}, so that a for_each can train one model per algorithm.'),
      target: { type: 'string', minLength: 1, description: "The label column; by default the feature task's target." },
      task: { enum: ['classification', 'regression'], description: 'By default: regression for linear_regression and for a target of non-integer numbers, else classification; an integer target with more than 20 distinct values (over 5% of the train rows) must say which.' },
      validation_fraction: numberOrReference('Hold out this share of the train rows (seeded, stratified) and report validation_<metric> values, to compare models in a search.', { minimum: 0, exclusiveMaximum: 1 }),
      hyperparameters: {
        type: 'object',
        additionalProperties: false,
        description: 'Settings of the algorithm; the defaults follow scikit-learn.',
        properties: {
          learning_rate: numberOrReference('gradient_boosting: shrinkage of each tree (0.1).', { exclusiveMinimum: 0 }),
          max_iterations: integerOrReference('gradient_boosting: boosting rounds (100); logistic_regression: solver iterations (100).', { minimum: 1 }),
          max_leaf_nodes: integerOrReference('gradient_boosting: leaves per tree (31).', { minimum: 2 }),
          max_depth: integerOrReference('gradient_boosting: depth limit of a tree (none).', { minimum: 1 }),
          min_samples_leaf: integerOrReference('gradient_boosting: rows a leaf needs at least (20).', { minimum: 1 }),
          l2_regularization: numberOrReference('gradient_boosting: L2 penalty on leaf values (0).', { minimum: 0 }),
          max_bins: integerOrReference('gradient_boosting: histogram bins per feature (255).', { minimum: 2, maximum: 255 }),
          early_stopping: { anyOf: [{ type: 'boolean' }, { enum: ['auto'] }], description: "gradient_boosting: stop when the validation loss stops improving ('auto': when there are more than 10,000 rows)." },
          n_iter_no_change: integerOrReference('gradient_boosting: rounds without improvement before stopping (10).', { minimum: 1 }),
          tolerance: numberOrReference('gradient_boosting: improvement that counts (1e-7); logistic_regression: gradient norm to stop at.', { exclusiveMinimum: 0 }),
          seed: integerOrReference('gradient_boosting: seed of the early-stopping split (42).'),
          regularization: numberOrReference('logistic_regression: L2 strength λ in Σ log loss + λ/2·‖w‖² (1, i.e. C = 1).', { exclusiveMinimum: 0 }),
          alpha: numberOrReference('linear_regression: ridge penalty α in Σ (y − ŷ)² + α‖w‖² (1; 0 for ordinary least squares).', { minimum: 0 }),
        },
      },
    },
  },
};
