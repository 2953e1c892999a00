// Reads dataset columns into typed arrays for training and scoring: numbers
// as Float64Array (NULL becomes NaN, the trainers' "missing"), everything
// else as strings. DuckDB hands each 2048-row chunk of a DOUBLE column over as
// a Float64Array, so this costs one copy per value.
import type { DuckDBDoubleVector, DuckDBVarCharVector } from '@duckdb/node-api';
import { sqlName, sqlString, type DuckDBConnection } from './duckdb.js';

export interface ColumnRequest {
  /** Columns to read as numbers. */
  numeric: readonly string[];
  /** Columns to read as text (categories, labels). */
  text: readonly string[];
  /** A SQL condition on the rows, e.g. the split. */
  where?: string;
}

export interface ColumnTable {
  rows: number;
  numeric: Record<string, Float64Array>;
  text: Record<string, (string | null)[]>;
}

export async function readColumns(connection: DuckDBConnection, parquetFile: string, request: ColumnRequest): Promise<ColumnTable> {
  const from = `FROM read_parquet(${sqlString(parquetFile)})${request.where ? ` WHERE ${request.where}` : ''}`;
  const counted = await connection.runAndReadAll(`SELECT count(*) ${from}`);
  const rows = Number(counted.getRows()[0]![0]);
  const numeric = Object.fromEntries(request.numeric.map((name) => [name, new Float64Array(rows)]));
  const text = Object.fromEntries(request.text.map((name) => [name, new Array<string | null>(rows)]));
  const selected = [
    ...request.numeric.map((name) => `CAST(${sqlName(name)} AS DOUBLE)`),
    ...request.text.map((name) => `CAST(${sqlName(name)} AS VARCHAR)`),
  ];
  if (selected.length === 0) return { rows, numeric, text };
  const result = await connection.run(`SELECT ${selected.join(', ')} ${from}`);
  let offset = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const count = chunk.rowCount;
    request.numeric.forEach((name, index) => {
      const vector = chunk.getColumnVector(index) as DuckDBDoubleVector;
      const target = numeric[name]!;
      // The vector's backing Float64Array (typed private, but the public getItem costs a call and a validity check per value).
      const items = (vector as unknown as { items: Float64Array }).items;
      target.set(items.subarray(0, count), offset);
      // No validity mask means no NULL in the chunk; checking each item costs a BigInt operation.
      const validity = (vector as unknown as { validity: { data: unknown; itemValid(row: number): boolean } }).validity;
      if (validity.data) for (let row = 0; row < count; row++) if (!validity.itemValid(row)) target[offset + row] = Number.NaN;
    });
    request.text.forEach((name, index) => {
      const vector = chunk.getColumnVector(request.numeric.length + index) as DuckDBVarCharVector;
      const target = text[name]!;
      for (let row = 0; row < count; row++) target[offset + row] = vector.getItem(row);
    });
    offset += count;
  }
  return { rows, numeric, text };
}
