// The two ends of batch_infer on their own: readBatches (rows out of a
// Parquet file, in file order, in batches) and PredictionWriter (scored rows
// into a Parquet file from a thread of its own).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBatches, type BatchColumn, type ColumnBatch } from '../tasks/data/batch-reader.js';
import { PredictionWriter, SCORED_ROWS_FUNCTION } from '../tasks/batch-infer/prediction-writer.js';
import { parquetCopySql } from '../tasks/data/dataset-store.js';
import { openDuckDb, queryRows, sqlString, type DuckDBConnection } from '../tasks/data/duckdb.js';

const folder = mkdtempSync(join(tmpdir(), 'sluice-batch-io-'));
let connection: DuckDBConnection;

beforeAll(async () => {
  connection = await openDuckDb();
});
afterAll(() => {
  connection.closeSync();
  rmSync(folder, { recursive: true, force: true });
});

async function collect(request: Parameters<typeof readBatches>[1]): Promise<ColumnBatch[]> {
  const batches: ColumnBatch[] = [];
  for await (const batch of readBatches(connection, request)) batches.push(batch);
  return batches;
}

describe('readBatches', () => {
  // 300,000 rows in three row groups of 100,000; every 7th row is in the test split.
  const file = join(folder, 'rows.parquet');
  beforeAll(async () => {
    await connection.run(`COPY (SELECT range AS n, range * 0.5 AS x, CASE WHEN range % 1000 = 3 THEN NULL ELSE range END AS sparse,
      'r' || range AS name, CASE WHEN range % 7 = 0 THEN 'test' ELSE 'train' END AS split FROM range(300000))
      TO ${sqlString(file)} (FORMAT parquet, ROW_GROUP_SIZE 100000)`);
  });
  const columns: BatchColumn[] = [
    { name: 'x', kind: 'double' }, { name: 'sparse', kind: 'copy' }, { name: 'name', kind: 'text' }, { name: 'x', kind: 'float', key: 'x32' },
  ];

  it('gives every row once, in file order, in batches of the asked size that cross row groups, with NULLs marked', async () => {
    const batches = await collect({ file, columns, batchSize: 65_536 });
    expect(batches.map((batch) => batch.rows)).toEqual([65_536, 65_536, 65_536, 65_536, 37_856]);
    let n = 0;
    let wrong = 0;
    for (const batch of batches) {
      expect(batch.start).toBe(n);
      const x = batch.columns.x as Float64Array;
      const x32 = batch.columns.x32 as Float32Array;
      const sparse = batch.columns.sparse as BigInt64Array;
      const names = batch.columns.name as string[];
      for (let row = 0; row < batch.rows; row += 1, n += 1) {
        const isNull = n % 1000 === 3;
        if (x[row] !== n * 0.5 || x32[row] !== Math.fround(n * 0.5) || names[row] !== `r${n}`
          || (batch.nulls.sparse?.[row] === 1) !== isNull || (!isNull && sparse[row] !== BigInt(n))) wrong += 1;
      }
    }
    expect(n).toBe(300_000);
    expect(wrong).toBe(0);
  });

  it('keeps file order among the rows a condition selects', async () => {
    const batches = await collect({ file, columns: [{ name: 'n', kind: 'copy' }], where: `split = 'test'`, batchSize: 10_000 });
    const seen = batches.flatMap((batch) => Array.from((batch.columns.n as BigInt64Array).subarray(0, batch.rows), Number));
    expect(seen.length).toBe(Math.ceil(300_000 / 7));
    expect(seen.every((n, i) => n === 7 * i)).toBe(true);
  });

  it('rounds numbers to float32 as JavaScript does: beyond its range to ±infinity, NULL to NaN', async () => {
    const edge = join(folder, 'edge.parquet');
    await connection.run(`COPY (SELECT * FROM (VALUES (1, 1e39), (2, -1e39), (3, NULL), (4, 0.1), (5, 'nan'::DOUBLE), (6, 3.4e38), (7, 'inf'::DOUBLE)) AS t(i, v))
      TO ${sqlString(edge)} (FORMAT parquet)`);
    const [batch] = await collect({ file: edge, columns: [{ name: 'v', kind: 'float' }, { name: 'v', kind: 'double', key: 'v64' }], batchSize: 100 });
    expect(Array.from(batch!.columns.v as Float32Array)).toEqual([Infinity, -Infinity, NaN, Math.fround(0.1), NaN, Math.fround(3.4e38), Infinity]);
    expect(Array.from(batch!.columns.v64 as Float64Array)).toEqual([1e39, -1e39, NaN, 0.1, NaN, 3.4e38, Infinity]);
  });

  it('stops its query when the reader stops early, so the connection can close', async () => {
    for await (const batch of readBatches(connection, { file, columns, batchSize: 1000 })) {
      expect(batch.rows).toBe(1000);
      break;
    }
    expect((await queryRows(connection, 'SELECT 42 AS answer'))[0]!.answer).toBe(42);
  });
});

describe('PredictionWriter', () => {
  const columns = [{ name: 'id0', type: 'BIGINT' }, { name: 'label', type: 'BIGINT' }, { name: 'p0', type: 'FLOAT' }];
  const batch = (from: number, rows: number) => [
    BigInt64Array.from({ length: rows }, (_, i) => BigInt(from + i)),
    BigInt64Array.from({ length: rows }, (_, i) => BigInt((from + i) % 3)),
    Float32Array.from({ length: rows }, (_, i) => (from + i) / 1e6),
  ];

  it('writes the batches it is given in order, NULLs included, while more are still coming', async () => {
    const file = join(folder, 'written.parquet');
    const writer = PredictionWriter.start();
    writer.begin(parquetCopySql(`SELECT id0 AS n, label, p0 FROM ${SCORED_ROWS_FUNCTION}()`, file), columns);
    const sizes = [5000, 1, 65_536, 2047, 30_000];
    let from = 0;
    for (const size of sizes) {
      const nulls = [undefined, size > 1 ? Uint8Array.from({ length: size }, (_, i) => Number(i === 1)) : undefined, undefined];
      await writer.write(batch(from, size), nulls, size);
      from += size;
    }
    await writer.finish();
    const rows = await queryRows(connection, `SELECT n, label, p0 FROM read_parquet(${sqlString(file)})`);
    expect(rows.length).toBe(from);
    let offset = 0;
    let wrong = 0;
    for (const size of sizes) {
      for (let i = 0; i < size; i += 1) {
        const row = rows[offset + i]!;
        const label = size > 1 && i === 1 ? null : (offset + i) % 3;
        if (Number(row.n) !== offset + i || (row.label === null ? null : Number(row.label)) !== label || row.p0 !== Math.fround((offset + i) / 1e6)) wrong += 1;
      }
      offset += size;
    }
    expect(wrong).toBe(0);
  });

  it('reports a COPY that fails, with DuckDB\'s reason, instead of waiting forever', async () => {
    const writer = PredictionWriter.start();
    writer.begin(parquetCopySql(`SELECT * FROM ${SCORED_ROWS_FUNCTION}()`, join(folder, 'no-such-folder', 'x.parquet')), columns);
    let failure: unknown;
    try {
      for (let from = 0; from < 1_000_000; from += 10_000) await writer.write(batch(from, 10_000), [], 10_000);
      await writer.finish();
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).toMatch(/no-such-folder/);
    await writer.abort('test over');
  });

  it('stops the COPY on abort, mid-way, with the reason as the failure', async () => {
    const file = join(folder, 'aborted.parquet');
    const writer = PredictionWriter.start();
    writer.begin(parquetCopySql(`SELECT * FROM ${SCORED_ROWS_FUNCTION}()`, file), columns);
    await writer.write(batch(0, 10_000), [], 10_000);
    await writer.abort('scoring failed on rows 10001–20000');
    await expect(writer.finish()).rejects.toThrow(/scoring failed on rows 10001–20000/);
  });

  it('can be aborted before it began, which ends its thread', async () => {
    const writer = PredictionWriter.start();
    await writer.abort('the input was refused');
    await expect(writer.finish()).rejects.toThrow(/the input was refused/);
  });
});
