// The rows a model reads, loaded from a dataset version: the raw columns of
// its feature plan (numbers and categories) and, when asked, the target.
import type { DatasetVersion } from '../../engine/state/dataset-catalog.js';
import { closest } from '../../engine/suggest.js';
import type { FeaturePlan } from '../ml/model-spec.js';
import { TaskInputError } from '../runtime/task-context.js';
import { isNumericType } from './column-types.js';
import { readColumns, type ColumnTable } from './column-reader.js';
import { formatDatasetUri } from './dataset-uri.js';
import { queryRows, sqlName, sqlString, type DuckDBConnection } from './duckdb.js';

export const SPLIT_COLUMN = '_split';

export type SplitChoice = 'train' | 'test' | 'all';

export interface ModelTable extends ColumnTable {
  /** The target as text (classification) … */
  targetText?: (string | null)[];
  /** … or as numbers (regression). */
  targetNumbers?: Float64Array;
}

/** Rows of `split` (or all rows when the dataset has no split) with the plan's columns and the target. */
export async function loadModelTable(
  connection: DuckDBConnection, dataset: DatasetVersion, plan: FeaturePlan, options: { split: SplitChoice; target?: { column: string; numeric: boolean } },
): Promise<ModelTable> {
  const uri = formatDatasetUri(dataset.name, dataset.version);
  const names = dataset.columns.map((column) => column.name);
  const need = (column: string, role: string) => {
    const found = dataset.columns.find((candidate) => candidate.name === column);
    if (found) return found;
    const guess = closest(column, names);
    throw new TaskInputError(`${uri} has no column '${column}' (${role})${guess ? `; did you mean '${guess}'?` : `; its columns: ${names.join(', ')}`}`);
  };
  const hasSplit = names.includes(SPLIT_COLUMN);
  const numeric: string[] = [];
  const text: string[] = [];
  for (const column of plan.columns) {
    const found = need(column.column, 'a model feature');
    if (column.kind === 'one_hot') text.push(column.column);
    else if (isNumericType(found.type) || found.type === 'boolean') numeric.push(column.column);
    else {
      const example = await firstNonNumber(connection, dataset, column.column, hasSplit && options.split !== 'all' ? options.split : undefined);
      throw new TaskInputError(`column '${column.column}' of ${uri} holds ${found.type} values, but the model reads it as a number${example}`);
    }
  }
  const target = options.target;
  if (target) need(target.column, 'the target');
  if (options.split === 'test' && !hasSplit) {
    throw new TaskInputError(`${uri} has no train/test split (no ${SPLIT_COLUMN} column); give the feature task a split:, or set split: all`);
  }
  const where = options.split !== 'all' && hasSplit ? `${sqlName(SPLIT_COLUMN)} = '${options.split}'` : undefined;
  const targetNumeric = target?.numeric ? [target.column].filter((column) => !numeric.includes(column)) : [];
  const targetText = target && !target.numeric ? [target.column].filter((column) => !text.includes(column)) : [];
  const table = await readColumns(connection, dataset.file, { numeric: [...numeric, ...targetNumeric], text: [...text, ...targetText], ...(where ? { where } : {}) });
  if (table.rows === 0) throw new TaskInputError(`${uri} has no ${options.split === 'all' || !hasSplit ? '' : `${options.split} `}rows`);
  if (!target) return table;
  const missing = target.numeric ? table.numeric[target.column]!.findIndex(Number.isNaN) : table.text[target.column]!.indexOf(null);
  if (missing >= 0) {
    throw new TaskInputError(`target '${target.column}' is empty at ${await describeRow(connection, dataset, options.split, missing)}; ` +
      `models learn from and are scored on labelled rows only: filter the others out in the feature SQL (e.g. WHERE ${target.column} IS NOT NULL)`);
  }
  return target.numeric
    ? { ...table, targetNumbers: table.numeric[target.column]! }
    : { ...table, targetText: table.text[target.column]! };
}

/** The first value of a text column that is not a number, as ": row 12 of dataset://x@1 holds 'n/a'…". */
async function firstNonNumber(connection: DuckDBConnection, dataset: DatasetVersion, column: string, split: SplitChoice | undefined): Promise<string> {
  const uri = formatDatasetUri(dataset.name, dataset.version);
  const rows = await queryRows(connection, `SELECT n, v, TRY_CAST(v AS DOUBLE) IS NULL AS bad FROM (SELECT row_number() OVER () AS n, CAST(${sqlName(column)} AS VARCHAR) AS v
    ${split ? `, ${sqlName(SPLIT_COLUMN)} AS part` : ''} FROM read_parquet(${sqlString(dataset.file)})) WHERE v IS NOT NULL ${split ? `AND part = ${sqlString(split)}` : ''}
    ORDER BY bad DESC, n LIMIT 1`);
  const first = rows[0];
  if (!first) return '';
  if (first.bad) return `: row ${first.n} of ${uri} holds '${first.v}'; give the model numbers (CAST or a CASE in the feature SQL), or one-hot encode the column`;
  return `: its values are numbers written as text (e.g. '${first.v}' at row ${first.n}); convert it with CAST(${column} AS DOUBLE) in the feature SQL`;
}

/**
 * Where the `index`-th (0-based) row of a split is, for messages: "row 3 of
 * the train rows (row 4 of dataset://x@1)". Dataset rows are counted from 1
 * in the dataset's order, which for an ingested CSV is its data lines (the
 * header is not a row). Found only when an error needs it.
 */
export async function describeRow(connection: DuckDBConnection, dataset: DatasetVersion, split: SplitChoice, index: number): Promise<string> {
  const uri = formatDatasetUri(dataset.name, dataset.version);
  if (split === 'all' || !dataset.columns.some((column) => column.name === SPLIT_COLUMN)) return `row ${index + 1} of ${uri}`;
  const found = await queryRows(connection, `SELECT n FROM (SELECT row_number() OVER () AS n, ${sqlName(SPLIT_COLUMN)} AS part FROM read_parquet(${sqlString(dataset.file)}))
    WHERE part = ${sqlString(split)} ORDER BY n LIMIT 1 OFFSET ${index}`);
  return `row ${index + 1} of the ${split} rows (row ${Number(found[0]?.n)} of ${uri})`;
}

/** Columns as the model takes them: numbers, and categories as text (an empty value is no category). */
export function rawColumns(table: ModelTable): Record<string, Float64Array | string[]> {
  const columns: Record<string, Float64Array | string[]> = { ...table.numeric };
  for (const [name, values] of Object.entries(table.text)) columns[name] = values.map((value) => value ?? '');
  return columns;
}

/** Feature-plan columns for a dataset that has none: numbers as they are, text one-hot encoded. */
export function defaultFeatureSteps(dataset: DatasetVersion, target: string): Record<string, ['one_hot'] | []> {
  const steps: Record<string, ['one_hot'] | []> = {};
  for (const column of dataset.columns) {
    if (column.name === target || column.name === SPLIT_COLUMN) continue;
    if (isNumericType(column.type) || column.type === 'boolean') steps[column.name] = [];
    else if (column.type === 'string') steps[column.name] = ['one_hot'];
  }
  return steps;
}
