// train: a dataset version → model.onnx (feature transform + estimator),
// checked by running it with onnxruntime against the in-memory predictions.
import { join } from 'node:path';
import { DatasetStore } from '../data/dataset-store.js';
import { formatDatasetUri } from '../data/dataset-uri.js';
import { openDuckDb } from '../data/duckdb.js';
import { SPLIT_COLUMN } from '../data/model-table.js';
import { featureNames, type ModelMetadata } from '../ml/model-spec.js';
import { buildModelOnnx } from '../ml/onnx/index.js';
import { numberParameter } from '../runtime/parameter-values.js';
import { TaskInputError, type TaskContext, type TaskValues } from '../runtime/task-context.js';
import { closest } from '../../engine/suggest.js';
import { ALGORITHMS, type Algorithm } from './definition.js';
import { checkHyperparameterNames, fitModel, type Hyperparameters } from './fit-model.js';
import { splitHoldout } from './holdout.js';
import { checkOnnxAgainstMemory, predictionMetrics, writeCheckedModel } from './model-check.js';
import { checkHasTrainRows, checkNoMissing, learningKind, loadTrainingSet, resolvePlan } from './training-set.js';

export interface TrainParams {
  dataset: string;
  algorithm: Algorithm;
  target?: string;
  task?: 'classification' | 'regression';
  validation_fraction?: number | string;
  hyperparameters?: Hyperparameters;
}

const HOLDOUT_SEED = 20240611;

export async function run(given: TrainParams, context: TaskContext): Promise<TaskValues> {
  const params = { ...given, algorithm: algorithmParameter(given.algorithm) };
  const connection = await openDuckDb();
  const store = DatasetStore.open(context);
  try {
    checkHyperparameterNames(params.algorithm, params.hyperparameters ?? {});
    const dataset = store.resolve(params.dataset, 'dataset');
    const uri = formatDatasetUri(dataset.name, dataset.version);
    const target = params.target ?? dataset.target;
    if (!target) throw new TaskInputError(`${uri} names no target column; give target: here or in the feature task`);
    await checkHasTrainRows(connection, dataset);
    const kind = await learningKind(connection, dataset, target, params.algorithm, params.task);
    const plan = await resolvePlan(connection, dataset, target);
    const split = dataset.columns.some((column) => column.name === SPLIT_COLUMN) ? 'train' : 'all';
    const all = await loadTrainingSet(connection, dataset, plan, target, kind, split);
    const fraction = params.validation_fraction === undefined ? 0 : numberParameter(params.validation_fraction, 'validation_fraction');
    const { fit, validation } = fraction > 0 ? splitHoldout(all, fraction, HOLDOUT_SEED) : { fit: all, validation: undefined };
    context.progress(`training ${params.algorithm} (${all.task}) on ${fit.rows} rows × ${featureNames(plan).length} features of ${uri}` +
      (validation ? `, ${validation.rows} held out for validation` : ''));

    if (params.algorithm !== 'gradient_boosting') await checkNoMissing(connection, fit, params.algorithm);
    const started = performance.now();
    const fitted = fitModel(params.algorithm, fit, params.hyperparameters ?? {}, context.progress);
    const fitSeconds = (performance.now() - started) / 1000;
    const metadata: ModelMetadata = {
      task: all.task, ...(all.classes ? { classes: all.classes } : {}), target, plan, algorithm: params.algorithm, hyperparameters: fitted.settings, dataset: uri,
    };
    const modelFile = join(context.artifactsDir, 'model.onnx');
    const difference = await writeCheckedModel(modelFile, buildModelOnnx(fitted.model, metadata), (file) => checkOnnxAgainstMemory(file, fitted.model, fit));
    context.progress(`wrote ${modelFile} in ${fitSeconds.toFixed(2)} s (${fitted.iterations} iterations); onnxruntime agrees within ${difference.toExponential(1)} of each output's size`);

    const values: TaskValues = {
      model: modelFile, algorithm: params.algorithm, task: all.task, target, dataset: uri, train_rows: fit.rows,
      features: featureNames(plan).length, iterations: fitted.iterations, fit_seconds: Number(fitSeconds.toFixed(3)),
      ...(all.classes ? { classes: JSON.stringify(all.classes) } : {}),
    };
    if (validation) {
      for (const [name, value] of Object.entries(predictionMetrics(fitted.model, validation))) values[`validation_${name}`] = value;
    }
    return values;
  } finally {
    store.close();
    connection.closeSync();
  }
}

/** The algorithm, which may have been a reference (a for_each over algorithms) and is only known now. */
function algorithmParameter(value: unknown): Algorithm {
  if ((ALGORITHMS as readonly unknown[]).includes(value)) return value as Algorithm;
  const guess = typeof value === 'string' ? closest(value, ALGORITHMS) : undefined;
  throw new TaskInputError(`algorithm '${String(value)}' is not one Sluice trains${guess ? `; did you mean '${guess}'?` : ''} (known: ${ALGORITHMS.join(', ')})`);
}
