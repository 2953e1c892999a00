// Reads columns of a Parquet file in batches of typed arrays, for scoring
// more rows than fit in memory at once. What decides the design (measured on
// 1,000,000 rows of 20 DOUBLE columns; see also bench/ml-infer-bench.ts):
//  - Rows reach JavaScript through a scalar function of ours that DuckDB
//    calls with each 2,048-row chunk of a scan, in its own pipeline. The
//    plain way, a materialized result read chunk by chunk, stores every
//    chunk and then copies it once more when it is fetched (0.18 s); through
//    the function, decoding and copying out took 0.2 s in all. Chunks come
//    from DuckDB's threads in any order; each carries its file row numbers,
//    so sorting the chunks restores file order.
//  - A query per range of whole row groups: the next range is decoded while
//    this one is scored, and a range bounds the memory a read takes.
//  - The chunk's vectors are copied with @duckdb/node-bindings' two calls
//    (get the vector, copy its data) instead of node-api's vector objects,
//    which also build a validity mask per vector: NULLs are replaced in SQL
//    (NaN for numbers, '' for text), so numeric vectors never have one.
//  - A column the model takes as float32 leaves DuckDB as FLOAT: half the
//    bytes to copy. DuckDB refuses a value beyond float32's range, which
//    JavaScript (and so evaluate) rounds to ±infinity; the SQL does the same.
import duckdb from '@duckdb/node-bindings';
import { BIGINT, BOOLEAN, DuckDBScalarFunction, DuckDBVector, type DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api';
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

/** Rows a range of row groups may hold beyond the batch size: two of DuckDB's default row groups, one for each of two threads. */
const RANGE_ROWS = 2 * 122_880;

/** One chunk as DuckDB handed it over: its first file row number, and a copy of each column. */
interface CapturedChunk {
  firstRow: number;
  rows: number;
  values: (TypedValues | string[])[];
  /** Per column: 1 marks a NULL row; absent when the chunk has none. */
  nulls: (Uint8Array | undefined)[];
}

let readersRegistered = 0;

/** The rows of `request.file` (those meeting `where`), in file order, `batchSize` at a time. */
export async function* readBatches(connection: DuckDBConnection, request: BatchRequest): AsyncGenerator<ColumnBatch> {
  // The first range is small, so that scoring starts soon.
  const ranges = await rowGroupRanges(connection, request.file, request.batchSize, Math.max(request.batchSize, RANGE_ROWS));
  if (ranges.length === 0) return;
  const expressions = request.columns.map(selectExpression);
  const source = `read_parquet(${sqlString(request.file)}, file_row_number = true)`;
  const types = (await connection.run(`SELECT ${expressions.join(', ')} FROM ${source} LIMIT 0`)).columnTypes();
  let captured: CapturedChunk[] = [];
  readersRegistered += 1;
  const capture = `sluice_read_batches_${readersRegistered}`;
  connection.registerScalarFunction(DuckDBScalarFunction.create({
    name: capture, returnType: BOOLEAN, parameterTypes: [BIGINT, ...types], volatile: true,
    mainFunction: (_info, input) => { captured.push(captureChunk(input, request.columns, types)); },
  }));
  const read = ([from, to]: RowRange) => connection.run(
    `SELECT count(${capture}(file_row_number, ${expressions.join(', ')})) FROM ${source} ` +
    `WHERE file_row_number >= ${from} AND file_row_number < ${to}${request.where ? ` AND (${request.where})` : ''}`);
  // No batch holds more rows than the file: a huge batch_size on a small file allocates no more.
  const filler = new BatchFiller(request.columns, Math.min(request.batchSize, ranges.at(-1)![1]));
  let pending: Promise<unknown> | undefined = read(ranges[0]!);
  try {
    for (let index = 0; pending; index += 1) {
      await pending;
      const chunks = captured.sort((a, b) => a.firstRow - b.firstRow);
      captured = [];
      const next = ranges[index + 1];
      pending = next ? read(next) : undefined;
      // Awaited on the next turn, or in `finally` when the caller stops early.
      pending?.catch(() => undefined);
      for (const chunk of chunks) {
        for (let offset = 0; offset < chunk.rows;) {
          offset += filler.copy(chunk, offset, chunk.rows - offset);
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

function selectExpression({ name, kind }: BatchColumn): string {
  if (kind === 'copy') return sqlName(name);
  if (kind === 'text') return `coalesce(CAST(${sqlName(name)} AS VARCHAR), '')`;
  const double = `CAST(${sqlName(name)} AS DOUBLE)`;
  if (kind === 'double') return `coalesce(${double}, 'NaN'::DOUBLE)`;
  // DuckDB refuses a value beyond float32's range, which JavaScript rounds to ±infinity (as onnxruntime would see it); NULL is NaN.
  return `coalesce(TRY_CAST(${double} AS FLOAT), CASE WHEN ${double} > 0 THEN 'inf'::FLOAT WHEN ${double} < 0 THEN '-inf'::FLOAT ELSE 'NaN'::FLOAT END)`;
}

/** Copies one chunk's vectors; called by DuckDB, on this thread, for every chunk the scan produces. */
function captureChunk(input: DuckDBDataChunk, columns: readonly BatchColumn[], types: readonly DuckDBType[]): CapturedChunk {
  const chunk = input.chunk;
  const rows = duckdb.data_chunk_get_size(chunk);
  const rowNumbers = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk, 0), BigInt64Array.BYTES_PER_ELEMENT);
  const firstRow = Number(new BigInt64Array(rowNumbers.buffer, rowNumbers.byteOffset, 1)[0]);
  const values: CapturedChunk['values'] = [];
  const nulls: CapturedChunk['nulls'] = [];
  columns.forEach(({ kind }, index) => {
    const vector = duckdb.data_chunk_get_vector(chunk, index + 1);
    if (kind === 'float' || kind === 'double') {
      const type = kind === 'float' ? Float32Array : Float64Array;
      const data = duckdb.vector_get_data(vector, rows * type.BYTES_PER_ELEMENT);
      values.push(new type(data.buffer as ArrayBuffer, data.byteOffset, rows));
      nulls.push(undefined);
      return;
    }
    const view = DuckDBVector.create(vector, rows, types[index]) as unknown as VectorView;
    if (kind === 'text') {
      values.push(Array.from({ length: rows }, (_, row) => view.getItem(row) as string));
      nulls.push(undefined);
      return;
    }
    values.push(view.items);
    let missing: Uint8Array | undefined;
    if (view.validity.data) {
      for (let row = 0; row < rows; row += 1) if (!view.validity.itemValid(row)) (missing ??= new Uint8Array(rows))[row] = 1;
    }
    nulls.push(missing);
  });
  return { firstRow, rows, values, nulls };
}

type RowRange = [from: number, to: number];

/** Consecutive row groups of at most `firstRows` rows together, then of at most `rangeRows` (one group when a group alone is bigger). */
async function rowGroupRanges(connection: DuckDBConnection, file: string, firstRows: number, rangeRows: number): Promise<RowRange[]> {
  const groups = await queryRows(connection,
    `SELECT row_group_id, max(row_group_num_rows) AS rows FROM parquet_metadata(${sqlString(file)}) GROUP BY row_group_id ORDER BY row_group_id`);
  const ranges: RowRange[] = [];
  let from = 0;
  let to = 0;
  for (const group of groups) {
    const rows = Number(group.rows);
    if (to > from && to - from + rows > (ranges.length === 0 ? firstRows : rangeRows)) {
      ranges.push([from, to]);
      from = to;
    }
    to += rows;
  }
  if (to > from) ranges.push([from, to]);
  return ranges;
}

/** node-api's vector, typed as far as this module reads it (its `items` and `validity` are public in fact, not in its types). */
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
  copy(chunk: CapturedChunk, offset: number, count: number): number {
    if (this.rows === 0) this.allocate();
    const taken = Math.min(count, this.size - this.rows);
    const at = this.rows;
    this.spec.forEach(({ name: column, kind, key }, index) => {
      const name = key ?? column;
      const values = chunk.values[index]!;
      if (kind === 'text') {
        const strings = this.columns[name] as string[];
        for (let row = 0; row < taken; row += 1) strings[at + row] = (values as string[])[offset + row]!;
        return;
      }
      // A copy column's array takes the type of DuckDB's, known once its first chunk is seen.
      const target = (this.columns[name] ??= new (values.constructor as TypedArrayClass)(this.size)) as TypedValues;
      // A Float64Array set into a Float32Array rounds each value to nearest, as Math.fround does.
      (target as Float64Array).set((values as Float64Array).subarray(offset, offset + taken), at);
      const missing = chunk.nulls[index];
      if (missing) (this.nulls[name] ??= new Uint8Array(this.size)).set(missing.subarray(offset, offset + taken), at);
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
