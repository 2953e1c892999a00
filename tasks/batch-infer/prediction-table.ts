// Predictions land in a DuckDB table as onnxruntime returns them (class
// index as int64, probabilities and values as float32), beside the id
// columns of fixed-width types as DuckDB gave them, copied a typed array per
// 2,048-row chunk through the appender: no value is converted one by one.
// The published dataset is then one SQL query over that table, which maps
// class indices to labels and adds the other id columns and the model's name
// and version. Probabilities and regression predictions stay float32 (REAL),
// the precision onnxruntime computes them in: widening them to DOUBLE would
// add no information and cost time (writing 1,000,000 binary predictions
// took 0.24 s instead of 0.14 s).
import { DuckDBDataChunk, type DuckDBAppender } from '@duckdb/node-api';
import type { ColumnBatch, TypedValues } from '../data/batch-reader.js';
import type { ModelMetadata } from '../ml/model-spec.js';
import type { RawModelOutputs } from '../ml/onnx/index.js';
import { sqlName, sqlString, type DuckDBConnection } from '../data/duckdb.js';

/** DuckDB's vector size: the most rows a data chunk holds. */
const CHUNK_ROWS = 2048;

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

interface WritableVector {
  items: TypedValues;
  validity: { setItemValid(row: number, valid: boolean): void };
  flush(): void;
}

/** An id column that travels with the rows through JavaScript (a fixed-width type, see COPYABLE_TYPES). */
export interface CarriedColumn {
  name: string;
  /** Its DuckDB type, e.g. BIGINT. */
  type: string;
  /** Its key in a batch's columns. */
  key: string;
}

export class PredictionTable {
  private rows = 0;

  private constructor(
    readonly name: string,
    readonly carried: readonly CarriedColumn[],
    private readonly appender: DuckDBAppender,
    private readonly chunk: DuckDBDataChunk,
    private readonly classes: number,
  ) {}

  /** An empty table for the carried id columns and the predictions of a model with `classes` classes (0 for regression). */
  static async create(connection: DuckDBConnection, name: string, classes: number, carried: readonly CarriedColumn[]): Promise<PredictionTable> {
    // Positional names: an id column may be called label or value.
    const columns = [
      ...carried.map((column, index) => `id${index} ${column.type}`),
      ...(classes > 0 ? ['label BIGINT', ...Array.from({ length: classes }, (_, k) => `p${k} FLOAT`)] : ['value FLOAT']),
    ];
    await connection.run(`CREATE TABLE ${sqlName(name)} (${columns.join(', ')})`);
    const appender = await connection.createAppender(name);
    const types = Array.from({ length: appender.columnCount }, (_, index) => appender.columnType(index));
    return new PredictionTable(name, carried, appender, DuckDBDataChunk.create(types), classes);
  }

  get rowCount(): number {
    return this.rows;
  }

  /** Appends a batch's predictions with the carried columns of the same rows. */
  append(outputs: RawModelOutputs, batch: ColumnBatch): void {
    const rows = batch.rows;
    const columns = [...this.carried.map((column) => batch.columns[column.key] as TypedValues), ...this.predictionColumns(outputs, rows)];
    const nulls = this.carried.map((column) => batch.nulls[column.key]);
    for (let from = 0; from < rows; from += CHUNK_ROWS) {
      const size = Math.min(CHUNK_ROWS, rows - from);
      // Reset clears the last chunk's NULLs; setting the size drops the cached vectors, so each is fetched at the new length.
      this.chunk.reset();
      this.chunk.rowCount = size;
      columns.forEach((values, index) => {
        const vector = this.chunk.getColumnVector(index) as unknown as WritableVector;
        (vector.items as Float64Array).set(values.subarray(from, from + size) as Float64Array);
        const missing = nulls[index];
        if (missing) for (let row = 0; row < size; row += 1) if (missing[from + row]) vector.validity.setItemValid(row, false);
        vector.flush();
      });
      this.appender.appendDataChunk(this.chunk);
    }
    this.rows += rows;
  }

  /** Makes the appended rows visible to queries. */
  close(): void {
    this.appender.closeSync();
  }

  private predictionColumns(outputs: RawModelOutputs, rows: number): TypedValues[] {
    if (this.classes === 0) {
      if (!outputs.variable) throw new Error('the model gave no numeric prediction (no output named variable)');
      return [outputs.variable];
    }
    const { label, probabilities } = outputs;
    if (!label || !probabilities) throw new Error('the classifier gave no label or no probabilities output');
    const k = this.classes;
    if (probabilities.length < rows * k) throw new Error(`the model gave ${probabilities.length / rows} probabilities per row, not one per class (${k})`);
    // onnxruntime's probabilities are row-major; the table wants a column per class.
    const perClass = Array.from({ length: k }, () => new Float32Array(rows));
    for (let c = 0; c < k; c += 1) {
      const column = perClass[c]!;
      for (let row = 0, at = c; row < rows; row += 1, at += k) column[row] = probabilities[at]!;
    }
    return [label, ...perClass];
  }
}

export interface PredictionsQuery {
  table: PredictionTable;
  metadata: ModelMetadata;
  /** Id columns in output order; those the table does not carry are read again from `source`. */
  ids: readonly string[];
  /** The scored rows' file and condition. */
  source: { file: string; where?: string };
  modelName: string;
  modelVersion: number | null;
}

/** The SELECT whose rows are the predictions dataset. */
export function predictionsSql(query: PredictionsQuery): string {
  const { metadata, source, table } = query;
  const classes = metadata.classes ?? [];
  const carried = new Map(table.carried.map((column, index) => [column.name, index]));
  const joined = query.ids.filter((id) => !carried.has(id));
  const columns = [
    ...query.ids.map((id) => (carried.has(id) ? `scored.id${carried.get(id)} AS ${sqlName(id)}` : `source.${sqlName(id)}`)),
    `${classes.length ? labelExpression(classes) : 'scored.value'} AS ${PREDICTION_COLUMN}`,
    ...classes.map((label, k) => `scored.p${k} AS ${sqlName(probabilityColumn(label))}`),
    `${sqlString(query.modelName)} AS ${MODEL_NAME_COLUMN}`,
    `CAST(${query.modelVersion ?? 'NULL'} AS BIGINT) AS ${MODEL_VERSION_COLUMN}`,
  ];
  const scored = `${sqlName(table.name)} AS scored`;
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
