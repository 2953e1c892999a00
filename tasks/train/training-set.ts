// Everything a trainer needs from a dataset version: the feature plan (the
// feature task's, or a default one), the target as class indices or numbers,
// and the model features with bad values reported by column and row.
import type { DatasetVersion } from '../../engine/state/dataset-catalog.js';
import { isNumericType } from '../data/column-types.js';
import { formatDatasetUri } from '../data/dataset-uri.js';
import { queryRows, sqlName, sqlString, type DuckDBConnection } from '../data/duckdb.js';
import { defaultFeatureSteps, loadModelTable, rawColumns, SPLIT_COLUMN, type SplitChoice } from '../data/model-table.js';
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
}

export async function resolvePlan(connection: DuckDBConnection, dataset: DatasetVersion, target: string): Promise<FeaturePlan> {
  if (dataset.featurePlan) return dataset.featurePlan as FeaturePlan;
  const trainRows = dataset.columns.some((column) => column.name === SPLIT_COLUMN) ? `${SPLIT_COLUMN} = 'train'` : 'true';
  const view = `read_parquet('${dataset.file.replaceAll("'", "''")}')`;
  const plan = await fitFeaturePlan(connection, view, trainRows, dataset.columns, defaultFeatureSteps(dataset, target));
  if (plan.columns.length === 0) throw new TaskInputError(`${formatDatasetUri(dataset.name, dataset.version)} has no columns besides the target to learn from`);
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
  const raw = rawColumns(table);
  const features = modelFeatures(plan, raw, uri);
  if (kind === 'regression') {
    const values = table.targetNumbers!;
    const bad = values.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) throw new TaskInputError(`target '${target}' of ${uri} has ${describeBad(values[bad]!)} at row ${bad + 1} of the ${split} rows; drop or fill such rows in the feature SQL`);
    return { plan, task: 'regression', target, raw, features, values, rows: table.rows };
  }
  const text = table.targetText!;
  const missing = text.indexOf(null);
  if (missing >= 0) throw new TaskInputError(`target '${target}' of ${uri} is empty at row ${missing + 1} of the ${split} rows; drop such rows in the feature SQL`);
  const classes = sortLabels([...new Set(text as string[])]);
  if (classes.length < 2) throw new TaskInputError(`target '${target}' of ${uri} has only one class (${classes[0]}) in the ${split} rows; a classifier needs at least two`);
  const index = new Map(classes.map((label, i) => [label, i]));
  const labels = Int32Array.from(text as string[], (label) => index.get(label)!);
  return { plan, task: classes.length === 2 ? 'binary' : 'multiclass', target, classes, raw, features, labels, rows: table.rows };
}

/** The plan applied to the raw columns; an infinite value is an error naming its column and row. */
export function modelFeatures(plan: FeaturePlan, columns: Record<string, Float64Array | string[]>, uri: string): Float64Array[] {
  for (const transform of plan.columns) {
    const values = columns[transform.column];
    if (transform.kind !== 'numeric' || !(values instanceof Float64Array)) continue;
    for (let row = 0; row < values.length; row++) {
      if (values[row] === Infinity || values[row] === -Infinity) {
        throw new TaskInputError(`column '${transform.column}' of ${uri} has ${describeBad(values[row]!)} at row ${row + 1}; clip it or filter it out in the feature SQL`);
      }
    }
  }
  return applyFeaturePlan(plan, columns);
}

/** The first feature with a missing value, for models that cannot take one. */
export function firstMissing(plan: FeaturePlan, features: Float64Array[]): { feature: string; row: number } | undefined {
  const names = featureNames(plan);
  for (const [index, values] of features.entries()) {
    const row = values.findIndex(Number.isNaN);
    if (row >= 0) return { feature: names[index]!, row: row + 1 };
  }
  return undefined;
}

function describeBad(value: number): string {
  return Number.isNaN(value) ? 'a missing value (NaN)' : `an infinite value (${value})`;
}

/** Numbers in numeric order, anything else as text. */
function sortLabels(labels: string[]): string[] {
  const numeric = labels.every((label) => label.trim() !== '' && Number.isFinite(Number(label)));
  return numeric ? labels.sort((a, b) => Number(a) - Number(b)) : labels.sort();
}
