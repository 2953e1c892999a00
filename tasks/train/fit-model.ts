// Runs the chosen trainer with the pipeline's hyperparameters (snake_case in
// YAML, checked against the algorithm) and reports progress now and then.
import { fitGradientBoosting, type GradientBoostingOptions } from '../ml/gbdt/index.js';
import { fitLogisticRegression, fitRidge } from '../ml/linear/index.js';
import type { FittedModel } from '../ml/model-spec.js';
import { numberParameter } from '../runtime/parameter-values.js';
import { TaskInputError } from '../runtime/task-context.js';
import { HYPERPARAMETERS_BY_ALGORITHM, type Algorithm } from './definition.js';
import type { TrainingSet } from './training-set.js';

export type Hyperparameters = Record<string, number | string | boolean>;

export interface FitResult {
  model: FittedModel;
  iterations: number;
  /** The hyperparameters in effect, for the model's metadata. */
  settings: Hyperparameters;
}

const PROGRESS_EVERY_MS = 1000;

/** A hyperparameter the algorithm does not read is an error naming the algorithms that do. */
export function checkHyperparameterNames(algorithm: Algorithm, given: Hyperparameters): void {
  for (const name of Object.keys(given)) {
    if (!HYPERPARAMETERS_BY_ALGORITHM[algorithm].includes(name)) {
      const users = (Object.keys(HYPERPARAMETERS_BY_ALGORITHM) as Algorithm[]).filter((other) => HYPERPARAMETERS_BY_ALGORITHM[other].includes(name));
      throw new TaskInputError(`hyperparameter ${name} does not apply to ${algorithm}${users.length ? ` (it is for ${users.join(', ')})` : ''}; ${algorithm} reads ${HYPERPARAMETERS_BY_ALGORITHM[algorithm].join(', ')}`);
    }
  }
}

export function fitModel(algorithm: Algorithm, data: TrainingSet, given: Hyperparameters, progress: (line: string) => void): FitResult {
  checkHyperparameterNames(algorithm, given);
  const number = (name: string) => (given[name] === undefined ? undefined : numberParameter(given[name], `hyperparameters.${name}`));
  let lastReport = Date.now();
  const every = (line: () => string, last: boolean) => {
    if (!last && Date.now() - lastReport < PROGRESS_EVERY_MS) return;
    lastReport = Date.now();
    progress(line());
  };
  if (algorithm === 'gradient_boosting') {
    const options: GradientBoostingOptions = compact({
      learningRate: number('learning_rate'), maxIterations: number('max_iterations'), maxLeafNodes: number('max_leaf_nodes'), maxDepth: number('max_depth'),
      minSamplesLeaf: number('min_samples_leaf'), l2Regularization: number('l2_regularization'), maxBins: number('max_bins'),
      earlyStopping: earlyStopping(given.early_stopping), nIterNoChange: number('n_iter_no_change'), tol: number('tolerance'), seed: number('seed'),
    });
    const target = data.task === 'regression' ? data.values! : data.labels!;
    const fitted = fitGradientBoosting(data.features, target, data.task, data.classes?.length ?? 1, options, (p) =>
      every(() => `iteration ${p.iteration}/${p.maxIterations}: train loss ${p.trainLoss.toFixed(5)}${p.validationLoss === undefined ? '' : `, validation loss ${p.validationLoss.toFixed(5)}`}`,
        p.iteration === p.maxIterations));
    return { model: fitted.model, iterations: fitted.iterations, settings: { ...given } };
  }
  // Missing values were refused before (checkNoMissing): linear models need every value.
  if (algorithm === 'logistic_regression') {
    const fitted = fitLogisticRegression(data.features, data.labels!, data.classes!.length,
      compact({ regularization: number('regularization'), maxIterations: number('max_iterations'), tolerance: number('tolerance') }),
      (p) => every(() => `iteration ${p.iteration}: gradient norm ${p.gradientNorm.toExponential(2)}`, false));
    return { model: fitted.model, iterations: fitted.iterations, settings: { ...given } };
  }
  const fitted = fitRidge(data.features, data.values!, compact({ alpha: number('alpha') }));
  return { model: fitted.model, iterations: 1, settings: { ...given } };
}

function earlyStopping(value: unknown): 'auto' | boolean | undefined {
  if (value === undefined || value === 'auto' || typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new TaskInputError(`hyperparameters.early_stopping must be auto, true or false, not '${String(value)}'`);
}

/** Drops undefined entries, so that trainers apply their own defaults. */
function compact<T extends object>(options: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
