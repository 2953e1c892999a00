// Reads columns of a Parquet file in batches of typed arrays, for scoring
// more rows than fit in memory at once. Three costs decide the design (see
// bench/ml-infer-bench.ts for the figures):
//  - A query per range of whole row groups: a range that ends inside a row
//    group makes DuckDB decode that group twice, and a streaming result pays
//    an asynchronous round trip per 2,048-row chunk, which costs more than
//    DuckDB's decoding itself. A materialized range hands its chunks over
//    synchronously, and the next range is decoded by DuckDB's threads while
//    this one is copied out and scored.
//  - Numbers come out of DuckDB as DOUBLE and are rounded to float32 here
//    when the model takes float32 (as evaluate does): DuckDB's own cast to
//    FLOAT costs more than the bytes it saves, and refuses values beyond
//    float32's range, which JavaScript rounds to infinity.
//  - A vector's values arrive as one typed array per chunk: one copy per
//    value, and a look at the validity mask only when the chunk has a NULL.
import type { DuckDBDataChunk, DuckDBMaterializedResult } from '@duckdb/node-api';
import { queryRows, sqlName, sqlString, type DuckDBConnection } from './duckdb.js';

/**
 * float: a Float32Array (NULL becomes NaN); double: a Float64Array; text:
 * strings ('' for NULL); copy: the values as DuckDB holds them, for a column
 * of a fixed-width type (see COPYABLE_TYPES), with its NULLs in `nulls`.
 */
export type BatchColumnKind = 'float' | 'double' | 'text' | 'copy';

/** DuckDB types whose vectors are plain typed arrays, so a column of one can be copied out and appended back as it is. */
export const COPYABLE_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'FLOAT', 'DOUBLE',
  'DATE', 'TIME', 'TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'TIMESTAMP WITH TIME ZONE']);

export type TypedValues = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

export interface BatchColumn {
  name: string;
  kind: BatchColumnKind;
  /** Its key in a batch's columns, when not its name (a column read twice, as two kinds). */
  key?: string;
}

export type BatchValues = TypedValues | string[];

export interface ColumnBatch {
  /** Rows in this batch; typed arrays may be longer (the last batch reuses the full size). */
  rows: number;
  /** How many rows came before this batch. */
  start: number;
  columns: Record<string, BatchValues>;
  /** For copy columns with a NULL in this batch: 1 marks a NULL row. */
  nulls: Record<string, Uint8Array>;
}

export interface BatchRequest {
  file: string;
  columns: readonly BatchColumn[];
  /** A SQL condition on the rows, e.g. the split. */
  where?: string;
  batchSize: number;
}

/** The rows of `request.file` (those meeting `where`), in file order, `batchSize` at a time. */
export async function* readBatches(connection: DuckDBConnection, request: BatchRequest): AsyncGenerator<ColumnBatch> {
  const ranges = await rowGroupRanges(connection, request.file, request.batchSize);
  const reader = new RangeReader(connection, request, ranges.length > 1);
  // No batch holds more rows than the file: a huge batch_size on a small file allocates no more.
  const filler = new BatchFiller(request.columns, Math.min(request.batchSize, ranges.at(-1)?.[1] ?? 0));
  let pending: Promise<DuckDBMaterializedResult> | undefined = ranges[0] ? reader.read(ranges[0]) : undefined;
  try {
    for (let index = 0; pending; index += 1) {
      const result = await pending;
      const next = ranges[index + 1];
      pending = next ? reader.read(next) : undefined;
      // Awaited on the next turn, or in `finally` when the caller stops early.
      pending?.catch(() => undefined);
      for (let chunkIndex = 0; chunkIndex < result.chunkCount; chunkIndex += 1) {
        const chunk = result.getChunk(chunkIndex);
        const size = chunk.rowCount;
        for (let offset = 0; offset < size;) {
          offset += filler.copy(chunk, offset, size - offset);
          if (filler.full) yield filler.take();
        }
      }
    }
    if (filler.rows > 0) yield filler.take();
  } finally {
    // Closing the connection under a running query would crash DuckDB.
    await pending?.catch(() => undefined);
  }
}

type RowRange = [from: number, to: number];

/** Consecutive row groups of at most `batchSize` rows together (one group when a group alone is bigger). */
async function rowGroupRanges(connection: DuckDBConnection, file: string, batchSize: number): Promise<RowRange[]> {
  const groups = await queryRows(connection,
    `SELECT row_group_id, max(row_group_num_rows) AS rows FROM parquet_metadata(${sqlString(file)}) GROUP BY row_group_id ORDER BY row_group_id`);
  const ranges: RowRange[] = [];
  let from = 0;
  let to = 0;
  for (const group of groups) {
    const rows = Number(group.rows);
    if (to > from && to - from + rows > batchSize) {
      ranges.push([from, to]);
      from = to;
    }
    to += rows;
  }
  if (to > from) ranges.push([from, to]);
  return ranges;
}

class RangeReader {
  constructor(private readonly connection: DuckDBConnection, private readonly request: BatchRequest, private readonly ranged: boolean) {}

  read([from, to]: RowRange): Promise<DuckDBMaterializedResult> {
    const select = this.request.columns.map(({ name, kind }) =>
      kind === 'copy' ? sqlName(name) : `CAST(${sqlName(name)} AS ${kind === 'text' ? 'VARCHAR' : 'DOUBLE'})`);
    const conditions = [
      ...(this.ranged ? [`file_row_number >= ${from} AND file_row_number < ${to}`] : []),
      ...(this.request.where ? [`(${this.request.where})`] : []),
    ];
    return this.connection.run(`SELECT ${select.join(', ')} FROM read_parquet(${sqlString(this.request.file)}${this.ranged ? ', file_row_number = true' : ''})` +
      (conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''));
  }
}

interface VectorView {
  items: TypedValues;
  validity: { data: unknown; itemValid(row: number): boolean };
  getItem(row: number): unknown;
}

type TypedArrayClass = new (length: number) => TypedValues;

class BatchFiller {
  private columns: Record<string, BatchValues> = {};
  private nulls: Record<string, Uint8Array> = {};
  rows = 0;
  private start = 0;

  constructor(private readonly spec: readonly BatchColumn[], private readonly size: number) {}

  get full(): boolean {
    return this.rows === this.size;
  }

  /** Copies up to `count` rows of `chunk` from `offset`; returns how many fitted. */
  copy(chunk: DuckDBDataChunk, offset: number, count: number): number {
    if (this.rows === 0) this.allocate();
    const taken = Math.min(count, this.size - this.rows);
    const at = this.rows;
    this.spec.forEach(({ name: column, kind, key }, index) => {
      const name = key ?? column;
      // The vector's typed array and validity (typed private; the public getItem costs a call and a check per value).
      const vector = chunk.getColumnVector(index) as unknown as VectorView;
      if (kind === 'text') {
        const strings = this.columns[name] as string[];
        for (let row = 0; row < taken; row += 1) strings[at + row] = (vector.getItem(offset + row) as string | null) ?? '';
        return;
      }
      // A copy column's array takes the type of DuckDB's, known once its first vector is seen.
      const target = (this.columns[name] ??= new (vector.items.constructor as TypedArrayClass)(this.size)) as TypedValues;
      // A Float64Array set into a Float32Array rounds each value to nearest, as Math.fround does.
      (target as Float64Array).set(vector.items.subarray(offset, offset + taken) as Float64Array, at);
      if (!vector.validity.data) return;
      for (let row = 0; row < taken; row += 1) {
        if (vector.validity.itemValid(offset + row)) continue;
        if (kind === 'copy') (this.nulls[name] ??= new Uint8Array(this.size))[at + row] = 1;
        else target[at + row] = Number.NaN;
      }
    });
    this.rows += taken;
    return taken;
  }

  take(): ColumnBatch {
    const batch: ColumnBatch = { rows: this.rows, start: this.start, columns: this.columns, nulls: this.nulls };
    this.start += this.rows;
    // The next copy allocates fresh arrays: onnxruntime may still be reading these.
    this.rows = 0;
    return batch;
  }

  private allocate(): void {
    this.nulls = {};
    this.columns = {};
    for (const { name: column, kind, key } of this.spec) {
      const name = key ?? column;
      if (kind === 'text') this.columns[name] = new Array<string>(this.size);
      else if (kind === 'float') this.columns[name] = new Float32Array(this.size);
      else if (kind === 'double') this.columns[name] = new Float64Array(this.size);
    }
  }
}
