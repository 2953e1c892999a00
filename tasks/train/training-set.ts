// Everything a trainer needs from a dataset version: the feature plan (the
// feature task's, or a default one), the target as class indices or numbers,
// and the model features with bad values reported by column and row.
import type { DatasetVersion } from '../../engine/state/dataset-catalog.js';
import { isNumericType } from '../data/column-types.js';
import { formatDatasetUri } from '../data/dataset-uri.js';
import { queryRows, sqlName, sqlString, type DuckDBConnection } from '../data/duckdb.js';
import { defaultFeatureSteps, describeRow, loadModelTable, rawColumns, SPLIT_COLUMN, type SplitChoice } from '../data/model-table.js';
import { fitFeaturePlan } from '../feature/fit-plan.js';
import { featureNames, type FeaturePlan, type LearningTask } from '../ml/model-spec.js';
import { applyFeaturePlan } from '../ml/predict.js';
import { TaskInputError } from '../runtime/task-context.js';

export interface TrainingSet {
  plan: FeaturePlan;
  task: LearningTask;
  target: string;
  /** Sorted class labels (classification). */
  classes?: string[];
  /** The raw columns the model's ONNX graph takes, by column name. */
  raw: Record<string, Float64Array | string[]>;
  features: Float64Array[];
  labels?: Int32Array;
  values?: Float64Array;
  rows: number;
  /** Where the rows come from, for messages that name a row. */
  dataset: DatasetVersion;
  split: SplitChoice;
  /** Each row's 0-based index among the split's rows (a validation holdout takes some of them). */
  splitRows: Int32Array;
}

/** No rows, or no train rows, is said first: the plan and the target have nothing to say about either. */
export async function checkHasTrainRows(connection: DuckDBConnection, dataset: DatasetVersion): Promise<void> {
  const uri = formatDatasetUri(dataset.name, dataset.version);
  if (dataset.rowCount === 0) throw new TaskInputError(`${uri} has no rows; a model needs rows to learn from`);
  if (!dataset.columns.some((column) => column.name === SPLIT_COLUMN)) return;
  const counted = await queryRows(connection, `SELECT count(*) FILTER (WHERE ${sqlName(SPLIT_COLUMN)} = 'train') AS n FROM read_parquet(${sqlString(dataset.file)})`);
  if (Number(counted[0]!.n) === 0) throw new TaskInputError(`${uri} has no train rows (all ${dataset.rowCount} are test rows); change the feature task's split:`);
}

export async function resolvePlan(connection: DuckDBConnection, dataset: DatasetVersion, target: string): Promise<FeaturePlan> {
  if (dataset.featurePlan) return dataset.featurePlan as FeaturePlan;
  const trainRows = dataset.columns.some((column) => column.name === SPLIT_COLUMN) ? `${SPLIT_COLUMN} = 'train'` : 'true';
  const view = `read_parquet('${dataset.file.replaceAll("'", "''")}')`;
  const uri = formatDatasetUri(dataset.name, dataset.version);
  const plan = await fitFeaturePlan(connection, view, trainRows, dataset.columns, defaultFeatureSteps(dataset, target), { column: (name) => `column '${name}' of ${uri}`, rows: uri });
  if (plan.columns.length === 0) throw new TaskInputError(`${uri} has no columns besides the target to learn from`);
  return plan;
}

/**
 * An integer target is read as classes unless it has more than this many
 * distinct values which are also more than MANY_VALUES_SHARE of the rows:
 * then it looks like a quantity (a count, a price, a score), and guessing
 * wrong would train a classifier with hundreds of classes, or a regressor
 * over labels. The user says which with `task:`.
 */
export const MANY_VALUES = 20;
export const MANY_VALUES_SHARE = 0.05;

/** Regression for linear regression and for non-integer numbers; otherwise classification (see MANY_VALUES). */
export async function learningKind(
  connection: DuckDBConnection, dataset: DatasetVersion, target: string, algorithm: string, declared?: 'classification' | 'regression',
): Promise<'classification' | 'regression'> {
  if (algorithm === 'linear_regression') {
    if (declared === 'classification') throw new TaskInputError('linear_regression predicts numbers; use logistic_regression or gradient_boosting for classification');
    return 'regression';
  }
  if (algorithm === 'logistic_regression' && declared === 'regression') {
    throw new TaskInputError('logistic_regression classifies; use linear_regression or gradient_boosting for regression');
  }
  if (declared) return declared;
  const type = dataset.columns.find((column) => column.name === target)?.type;
  if (type === 'number' && algorithm !== 'logistic_regression') return 'regression';
  if (type === 'integer') {
    const trainRows = dataset.columns.some((column) => column.name === SPLIT_COLUMN) ? `${sqlName(SPLIT_COLUMN)} = 'train'` : 'true';
    const counted = await queryRows(connection, `SELECT count(DISTINCT ${sqlName(target)}) AS n, count(*) AS rows FROM read_parquet(${sqlString(dataset.file)}) WHERE ${trainRows}`);
    const [distinct, rows] = [Number(counted[0]!.n), Number(counted[0]!.rows)];
    if (distinct > MANY_VALUES && distinct > MANY_VALUES_SHARE * rows) {
      const uri = formatDatasetUri(dataset.name, dataset.version);
      const regression = algorithm === 'logistic_regression' ? 'use linear_regression, or gradient_boosting with task: regression,' : 'set task: regression';
      throw new TaskInputError(`target '${target}' of ${uri} holds integers with ${distinct} distinct values in ${rows} train rows, which looks like a quantity rather than classes: ` +
        `to predict the number ${regression}; to treat each value as a class, set task: classification`);
    }
  }
  return 'classification';
}

export async function loadTrainingSet(
  connection: DuckDBConnection, dataset: DatasetVersion, plan: FeaturePlan, target: string, kind: 'classification' | 'regression', split: SplitChoice,
): Promise<TrainingSet> {
  const uri = formatDatasetUri(dataset.name, dataset.version);
  const targetType = dataset.columns.find((column) => column.name === target)?.type;
  if (kind === 'regression' && targetType !== undefined && !isNumericType(targetType)) {
    throw new TaskInputError(`target '${target}' of ${uri} holds ${targetType} values; regression needs numbers`);
  }
  const table = await loadModelTable(connection, dataset, plan, { split, target: { column: target, numeric: kind === 'regression' } });
  const where = (row: number) => describeRow(connection, dataset, split, row);
  const raw = rawColumns(table);
  const features = applyFeaturePlan(plan, raw);
  const infinite = firstInfinite(plan, features);
  if (infinite) {
    const value = (raw[infinite.column] as Float64Array)[infinite.row]!;
    const what = Number.isFinite(value) ? `${value}, which is infinite as the model's float32 input` : `an infinite value (${value})`;
    const steps = infinite.steps > 0 ? ' (and its feature steps leave it so)' : '';
    throw new TaskInputError(`column '${infinite.column}' has ${what} at ${await where(infinite.row)}${steps}; ` +
      'add a {clip: {min, max}} step for it in the feature task, or filter such rows out in the feature SQL');
  }
  const base = { plan, target, raw, features, rows: table.rows, dataset, split, splitRows: Int32Array.from({ length: table.rows }, (_, row) => row) };
  if (kind === 'regression') {
    const values = table.targetNumbers!;
    // An empty target was refused by loadModelTable.
    const bad = values.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) throw new TaskInputError(`target '${target}' is ${values[bad]} at ${await where(bad)}; a regression target needs a finite number in every row: filter such rows out in the feature SQL`);
    return { ...base, task: 'regression', values };
  }
  const text = table.targetText!;
  const classes = sortLabels([...new Set(text as string[])]);
  if (classes.length < 2) throw new TaskInputError(`target '${target}' of ${uri} has only one class (${classes[0]}) in the ${split} rows; a classifier needs at least two`);
  const index = new Map(classes.map((label, i) => [label, i]));
  const labels = Int32Array.from(text as string[], (label) => index.get(label)!);
  return { ...base, task: classes.length === 2 ? 'binary' : 'multiclass', classes, labels };
}

/**
 * The first infinite model feature. Checked after the plan, so that a clip
 * step (or a row filtered out) deals with infinities; the trainers and
 * ONNX would otherwise turn them into NaN scores.
 */
function firstInfinite(plan: FeaturePlan, features: Float64Array[]): { column: string; steps: number; row: number } | undefined {
  let feature = 0;
  for (const transform of plan.columns) {
    if (transform.kind === 'one_hot') {
      feature += transform.categories.length;
      continue;
    }
    const row = features[feature]!.findIndex((value) => value === Infinity || value === -Infinity);
    if (row >= 0) return { column: transform.column, steps: transform.steps.length, row };
    feature += 1;
  }
  return undefined;
}

/** For models that cannot take a missing value: an error naming the first one's feature and row. */
export async function checkNoMissing(connection: DuckDBConnection, data: TrainingSet, algorithm: string): Promise<void> {
  const names = featureNames(data.plan);
  for (const [index, values] of data.features.entries()) {
    const row = values.findIndex(Number.isNaN);
    if (row < 0) continue;
    const at = await describeRow(connection, data.dataset, data.split, data.splitRows[row]!);
    throw new TaskInputError(`feature '${names[index]}' is missing at ${at}; ${algorithm} needs every value: ` +
      'add {impute: median} to its steps in the feature task (gradient_boosting handles missing values itself)');
  }
}

/** Numbers in numeric order, anything else as text. */
function sortLabels(labels: string[]): string[] {
  const numeric = labels.every((label) => label.trim() !== '' && Number.isFinite(Number(label)));
  return numeric ? labels.sort((a, b) => Number(a) - Number(b)) : labels.sort();
}
