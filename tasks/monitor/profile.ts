// A reference profile: what the monitor task needs to know of a dataset to
// measure drift against it later, as plain JSON. The registry stores one when
// a model is registered; the monitor task also makes one on the fly when its
// reference is a dataset.
import type { DatasetVersion } from '../../engine/state/dataset-catalog.js';
import { closest } from '../../engine/suggest.js';
import { readColumns } from '../data/column-reader.js';
import { isNumericType } from '../data/column-types.js';
import { formatDatasetUri } from '../data/dataset-uri.js';
import { sqlName, type DuckDBConnection } from '../data/duckdb.js';
import { SPLIT_COLUMN, type SplitChoice } from '../data/model-table.js';
import type { FeaturePlan } from '../ml/model-spec.js';
import { TaskInputError } from '../runtime/task-context.js';
import { binCounts, compareText, countCategories, isPresent, presentSorted, psiEdges } from './drift-stats.js';

export const PROFILE_FORMAT = 1;

/**
 * KS and Wasserstein compare whole distributions, so the profile must keep
 * reference values, not only bins. Keeping all of them would make a profile
 * as large as the data; this many keeps it under ~200 kB a column. A larger
 * reference keeps the values at evenly spaced ranks of its sorted values
 * (quantiles), which holds its distribution function within 1/20,000 of the
 * full one — closer than a random sample of the same size (≈1/100), and the
 * same on every run.
 */
export const MAX_SKETCH_VALUES = 10_000;

/** A text column with more distinct values than this is an identifier or free text, not a category. */
export const MAX_CATEGORIES = 1_000;

export interface NumericColumnProfile {
  name: string;
  kind: 'numeric';
  /** Rows, missing ones included. */
  rows: number;
  /** Rows without a value: NULL, NaN or ±∞. */
  missing: number;
  /** Of the present values; null when there are none. */
  min: number | null;
  max: number | null;
  mean: number | null;
  /** PSI bins: the distinct deciles of the values (NumPy's linear quantiles); bins are right-closed. */
  edges: number[];
  /** How many values fall in each PSI bin (edges.length + 1 bins), from all values. */
  binCounts: number[];
  /** Sorted values: all of them up to MAX_SKETCH_VALUES, else that many at evenly spaced ranks. */
  sketch: number[];
}

export interface CategoricalColumnProfile {
  name: string;
  kind: 'categorical';
  rows: number;
  /** Rows without a value (NULL). */
  missing: number;
  /** Counts per category, sorted by category. */
  categories: { value: string; count: number }[];
}

export type ColumnProfile = NumericColumnProfile | CategoricalColumnProfile;

/** A dataset's reference profile, JSON-serializable (JSON.stringify / JSON.parse give it back unchanged). */
export interface DatasetProfile {
  format: typeof PROFILE_FORMAT;
  /** What was profiled, e.g. `dataset://churn_features@3 (train rows)`. */
  source: string;
  /** Rows profiled. */
  rows: number;
  /** The label column, when known; it is not among the columns. */
  target?: string;
  /** The feature columns, in the dataset's order. */
  columns: ColumnProfile[];
  /** The model's output column, compared apart from the features. */
  prediction?: ColumnProfile;
  /** Columns left out of the default features, and why. */
  skipped?: { column: string; reason: string }[];
}

export interface ProfileOptions {
  /** Columns to profile; by default the dataset's feature plan, else every number, text and boolean column except ids, the target and _split. */
  features?: readonly string[];
  /** A column of model outputs to profile as `prediction`. */
  predictionColumn?: string;
  /** Which rows; by default the train rows when the dataset has a split (what the model learned from), else all. */
  split?: SplitChoice;
}

/** Columns named like identifiers (`id`, `customer_id`, `order_uuid`) are not features by default. */
const ID_PATTERN = /^(id|uuid)$|_(id|uuid)$/i;

/**
 * Profiles a dataset version: reads its feature columns (and prediction
 * column) with DuckDB and summarises each. Errors are TaskInputErrors that
 * name the column.
 */
export async function buildProfile(connection: DuckDBConnection, dataset: DatasetVersion, options: ProfileOptions = {}): Promise<DatasetProfile> {
  const uri = formatDatasetUri(dataset.name, dataset.version);
  const hasSplit = dataset.columns.some((column) => column.name === SPLIT_COLUMN);
  const split = options.split ?? (hasSplit ? 'train' : 'all');
  if (split !== 'all' && !hasSplit) throw new TaskInputError(`${uri} has no ${SPLIT_COLUMN} column, so it has no ${split} rows; profile all rows`);
  const skipped: { column: string; reason: string }[] = [];
  const features = options.features ? options.features.map((name) => columnOf(dataset, name, 'a feature')) : defaultFeatures(dataset, options.predictionColumn, skipped);
  const prediction = options.predictionColumn === undefined ? undefined : columnOf(dataset, options.predictionColumn, 'the prediction column');
  const wanted = prediction ? [...features, prediction] : features;
  const numeric = wanted.filter((column) => column.kind === 'numeric').map((column) => column.name);
  const text = wanted.filter((column) => column.kind === 'categorical').map((column) => column.name);
  const table = await readColumns(connection, dataset.file, { numeric, text, ...(split === 'all' ? {} : { where: `${sqlName(SPLIT_COLUMN)} = '${split}'` }) });
  if (table.rows === 0) throw new TaskInputError(`${uri} has no ${split === 'all' ? '' : `${split} `}rows to profile`);
  const profileOf = (column: TypedColumn) => column.kind === 'numeric'
    ? profileNumericColumn(column.name, table.numeric[column.name]!)
    : profileCategoricalColumn(column.name, table.text[column.name]!);
  const columns: ColumnProfile[] = [];
  for (const column of features) {
    const profile = profileOf(column);
    if (profile.kind === 'categorical' && profile.categories.length > MAX_CATEGORIES) {
      const reason = `${profile.categories.length} distinct values, more than the ${MAX_CATEGORIES} a category column may have`;
      if (options.features) throw new TaskInputError(`column '${column.name}' of ${uri} has ${reason}: it looks like an identifier or free text; leave it out of features`);
      skipped.push({ column: column.name, reason });
      continue;
    }
    columns.push(profile);
  }
  if (columns.length === 0) throw new TaskInputError(`${uri} has no column to monitor${skipped.length ? ` (left out: ${skipped.map((s) => `${s.column}: ${s.reason}`).join('; ')})` : ''}; name them in features`);
  return {
    format: PROFILE_FORMAT,
    source: `${uri}${split === 'all' ? '' : ` (${split} rows)`}`,
    rows: table.rows,
    ...(dataset.target ? { target: dataset.target } : {}),
    columns,
    ...(prediction ? { prediction: profileOf(prediction) } : {}),
    ...(skipped.length ? { skipped } : {}),
  };
}

interface TypedColumn {
  name: string;
  kind: 'numeric' | 'categorical';
}

/** Numbers are numeric; text and booleans are categories; other types (dates, timestamps) are not monitored. */
export function columnKind(type: string): 'numeric' | 'categorical' | undefined {
  if (isNumericType(type)) return 'numeric';
  if (type === 'string' || type === 'boolean') return 'categorical';
  return undefined;
}

function columnOf(dataset: DatasetVersion, name: string, role: string): TypedColumn {
  const uri = formatDatasetUri(dataset.name, dataset.version);
  const found = dataset.columns.find((column) => column.name === name);
  if (!found) {
    const names = dataset.columns.map((column) => column.name);
    const guess = closest(name, names);
    throw new TaskInputError(`${uri} has no column '${name}' (${role})${guess ? `; did you mean '${guess}'?` : `; its columns: ${names.join(', ')}`}`);
  }
  const kind = columnKind(found.type);
  if (!kind) throw new TaskInputError(`column '${name}' of ${uri} holds ${found.type} values; drift is measured on number, string and boolean columns`);
  return { name, kind };
}

function defaultFeatures(dataset: DatasetVersion, predictionColumn: string | undefined, skipped: { column: string; reason: string }[]): TypedColumn[] {
  const plan = dataset.featurePlan as FeaturePlan | undefined;
  if (plan?.columns?.length) return plan.columns.map((column) => columnOf(dataset, column.column, 'a column of its feature plan'));
  const features: TypedColumn[] = [];
  for (const column of dataset.columns) {
    if (column.name === SPLIT_COLUMN || column.name === dataset.target || column.name === predictionColumn) continue;
    const kind = columnKind(column.type);
    if (!kind) skipped.push({ column: column.name, reason: `a ${column.type} column` });
    else if (ID_PATTERN.test(column.name)) skipped.push({ column: column.name, reason: 'named like an identifier' });
    else features.push({ name: column.name, kind });
  }
  return features;
}

/** The profile of one numeric column (NaN and ±∞ are missing). */
export function profileNumericColumn(name: string, values: ArrayLike<number>): NumericColumnProfile {
  const sorted = presentSorted(values);
  const count = sorted.length;
  const base = { name, kind: 'numeric' as const, rows: values.length, missing: values.length - count };
  if (count === 0) return { ...base, min: null, max: null, mean: null, edges: [], binCounts: [0], sketch: [] };
  let total = 0;
  for (const value of sorted) total += value;
  const edges = psiEdges(sorted);
  return {
    ...base, min: sorted[0]!, max: sorted[count - 1]!, mean: total / count,
    edges, binCounts: binCounts(sorted, edges), sketch: sketchOf(sorted),
  };
}

/** All sorted values, or MAX_SKETCH_VALUES of them: the middle value of each of that many equal-count slices. */
function sketchOf(sorted: Float64Array): number[] {
  const n = sorted.length;
  if (n <= MAX_SKETCH_VALUES) return Array.from(sorted);
  return Array.from({ length: MAX_SKETCH_VALUES }, (_, i) => sorted[Math.floor(((i + 0.5) * n) / MAX_SKETCH_VALUES)]!);
}

/** The profile of one text column (NULL is missing; the empty string is a category). */
export function profileCategoricalColumn(name: string, values: readonly (string | null)[]): CategoricalColumnProfile {
  const counts = countCategories(values);
  let present = 0;
  for (const count of counts.values()) present += count;
  return {
    name, kind: 'categorical', rows: values.length, missing: values.length - present,
    categories: [...counts].sort(([a], [b]) => compareText(a, b)).map(([value, count]) => ({ value, count })),
  };
}

/** The counts of a categorical profile as a map. */
export function categoryCounts(profile: CategoricalColumnProfile): Map<string, number> {
  return new Map(profile.categories.map((category) => [category.value, category.count]));
}

/**
 * Checks a profile that comes from outside this process (a pipeline
 * parameter, the registry) before it is used, so that a wrong one fails
 * with where it is wrong rather than with NaN statistics.
 */
export function checkProfile(value: unknown, where: string): DatasetProfile {
  const fail = (path: string, problem: string): never => {
    throw new TaskInputError(`${where}${path}: ${problem}; a reference profile is made by buildProfile (format ${PROFILE_FORMAT})`);
  };
  if (!isObject(value)) return fail('', 'is not a profile object');
  if (value.format !== PROFILE_FORMAT) fail('.format', `is ${JSON.stringify(value.format)}, not ${PROFILE_FORMAT}`);
  if (typeof value.source !== 'string') fail('.source', 'is not a string');
  if (!isCount(value.rows)) fail('.rows', 'is not a row count');
  if (!Array.isArray(value.columns) || value.columns.length === 0) fail('.columns', 'is not a list of column profiles');
  (value.columns as unknown[]).forEach((column, index) => checkColumn(column, `.columns[${index}]`, fail));
  if (value.prediction !== undefined) checkColumn(value.prediction, '.prediction', fail);
  return value as unknown as DatasetProfile;
}

function checkColumn(column: unknown, path: string, fail: (path: string, problem: string) => never): void {
  if (!isObject(column) || typeof column.name !== 'string' || column.name === '') return fail(path, 'has no name');
  const at = `${path} (${column.name})`;
  if (!isCount(column.rows) || !isCount(column.missing) || column.missing > column.rows) fail(at, 'has no valid rows and missing counts');
  if (column.kind === 'numeric') {
    const numbers = (list: unknown) => Array.isArray(list) && list.every((item) => typeof item === 'number' && isPresent(item));
    if (!numbers(column.edges) || !numbers(column.binCounts) || !numbers(column.sketch)) fail(at, 'needs edges, binCounts and sketch as lists of numbers');
    const edges = column.edges as number[];
    const sketch = column.sketch as number[];
    if ((column.binCounts as number[]).length !== edges.length + 1) fail(at, 'needs one more bin count than edges');
    if (edges.some((edge, i) => i > 0 && edge <= edges[i - 1]!)) fail(`${at}.edges`, 'are not increasing');
    if (sketch.some((item, i) => i > 0 && item < sketch[i - 1]!)) fail(`${at}.sketch`, 'is not sorted');
    if ((sketch.length === 0) !== (column.missing === column.rows)) fail(`${at}.sketch`, 'does not match the number of present values');
  } else if (column.kind === 'categorical') {
    const categories = column.categories;
    if (!Array.isArray(categories) || !categories.every((item) => isObject(item) && typeof item.value === 'string' && isCount(item.count))) {
      fail(at, 'needs categories as a list of { value, count }');
    }
  } else {
    fail(`${at}.kind`, `is ${JSON.stringify(column.kind)}, not numeric or categorical`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
