// The columns of a predictions dataset and the query that produces them.
// Scored rows leave JavaScript as onnxruntime returns them (class index as
// int64, probabilities and values as float32) beside the id columns of
// fixed-width types as DuckDB gave them; one SQL query over those rows maps
// class indices to labels and adds the other id columns and the model's name
// and version. Probabilities and regression predictions stay float32 (REAL),
// the precision onnxruntime computes them in: widening them to DOUBLE would
// add no information and cost time (writing 1,000,000 binary predictions
// took 0.24 s instead of 0.14 s).
import type { TypedValues } from '../data/batch-reader.js';
import type { ModelMetadata } from '../ml/model-spec.js';
import type { RawModelOutputs } from '../ml/onnx/index.js';
import { sqlName, sqlString } from '../data/duckdb.js';

export const PREDICTION_COLUMN = 'prediction';
export const MODEL_NAME_COLUMN = 'model_name';
export const MODEL_VERSION_COLUMN = 'model_version';

export function probabilityColumn(label: string): string {
  return `probability_${label}`;
}

/** Names of the columns batch_infer adds after the id columns. */
export function outputColumns(metadata: ModelMetadata): string[] {
  return [PREDICTION_COLUMN, ...(metadata.classes ?? []).map(probabilityColumn), MODEL_NAME_COLUMN, MODEL_VERSION_COLUMN];
}

/** An id column that travels with the rows through JavaScript (a fixed-width type, see COPYABLE_TYPES). */
export interface CarriedColumn {
  name: string;
  /** Its DuckDB type, e.g. BIGINT. */
  type: string;
  /** Its key in a batch's columns. */
  key: string;
}

/** A column of the scored rows as they leave JavaScript, and its DuckDB type. */
export interface ScoredColumn {
  name: string;
  type: string;
}

/**
 * The scored rows' columns: the carried id columns, then the class index and
 * a probability per class, or the predicted value. Positional names: an id
 * column may be called label or value.
 */
export function scoredColumns(classes: number, carried: readonly CarriedColumn[]): ScoredColumn[] {
  return [
    ...carried.map((column, index) => ({ name: `id${index}`, type: column.type })),
    ...(classes > 0
      ? [{ name: 'label', type: 'BIGINT' }, ...Array.from({ length: classes }, (_, k) => ({ name: `p${k}`, type: 'FLOAT' }))]
      : [{ name: 'value', type: 'FLOAT' }]),
  ];
}

/** A batch's values for scoredColumns(), in that order: onnxruntime's row-major probabilities become a column per class. */
export function scoredValues(outputs: RawModelOutputs, rows: number, classes: number): TypedValues[] {
  if (classes === 0) {
    if (!outputs.variable) throw new Error('the model gave no numeric prediction (no output named variable)');
    return [outputs.variable];
  }
  const { label, probabilities } = outputs;
  if (!label || !probabilities) throw new Error('the classifier gave no label or no probabilities output');
  if (probabilities.length < rows * classes) throw new Error(`the model gave ${probabilities.length / rows} probabilities per row, not one per class (${classes})`);
  const perClass = Array.from({ length: classes }, () => new Float32Array(rows));
  for (let c = 0; c < classes; c += 1) {
    const column = perClass[c]!;
    for (let row = 0, at = c; row < rows; row += 1, at += classes) column[row] = probabilities[at]!;
  }
  return [label, ...perClass];
}

export interface PredictionsQuery {
  /** The FROM item that yields the scored rows (see scoredColumns). */
  scored: string;
  carried: readonly CarriedColumn[];
  metadata: ModelMetadata;
  /** Id columns in output order; those not carried are read again from `source`. */
  ids: readonly string[];
  /** The scored rows' file and condition. */
  source: { file: string; where?: string };
  modelName: string;
  modelVersion: number | null;
}

/** The SELECT whose rows are the predictions dataset. */
export function predictionsSql(query: PredictionsQuery): string {
  const { metadata, source } = query;
  const classes = metadata.classes ?? [];
  const carried = new Map(query.carried.map((column, index) => [column.name, index]));
  const joined = query.ids.filter((id) => !carried.has(id));
  const columns = [
    ...query.ids.map((id) => (carried.has(id) ? `scored.id${carried.get(id)} AS ${sqlName(id)}` : `source.${sqlName(id)}`)),
    `${classes.length ? labelExpression(classes) : 'scored.value'} AS ${PREDICTION_COLUMN}`,
    ...classes.map((label, k) => `scored.p${k} AS ${sqlName(probabilityColumn(label))}`),
    `${sqlString(query.modelName)} AS ${MODEL_NAME_COLUMN}`,
    `CAST(${query.modelVersion ?? 'NULL'} AS BIGINT) AS ${MODEL_VERSION_COLUMN}`,
  ];
  const scored = `${query.scored} AS scored`;
  // Id columns of other types (text, decimals, …) are read again: DuckDB
  // keeps a scan's rows in file order (preserve_insertion_order), the order
  // they were scored in, so position identifies the row.
  const from = joined.length > 0
    ? `(SELECT ${joined.map(sqlName).join(', ')} FROM read_parquet(${sqlString(source.file)})${source.where ? ` WHERE ${source.where}` : ''}) AS source POSITIONAL JOIN ${scored}`
    : scored;
  return `SELECT ${columns.join(', ')} FROM ${from}`;
}

/**
 * Class index to label, typed like the labels: integers when every class is
 * one (a 0/1 target stays 0/1), booleans for true/false, else text.
 */
function labelExpression(classes: string[]): string {
  const literal = classes.every((label) => /^(0|-?[1-9]\d{0,14})$/.test(label))
    ? (label: string) => `CAST(${label} AS BIGINT)`
    : classes.every((label) => label === 'true' || label === 'false')
      ? (label: string) => label
      : sqlString;
  return `CASE scored.label ${classes.map((label, k) => `WHEN ${k} THEN ${literal(label)}`).join(' ')} END`;
}
