// batch_infer: score a dataset with a model in batches and publish the
// predictions as a dataset. Four stages overlap, each on threads of its own:
// DuckDB's threads decode the next range of rows while this thread copies
// the current one into batches, onnxruntime's threads score batches, and a
// writer thread's DuckDB encodes scored rows into the Parquet file. The file
// is written under a temporary name and published only when every row is in
// it, so a failure leaves no predictions dataset.
import { performance } from 'node:perf_hooks';
import { COPYABLE_TYPES, readBatches, type BatchColumn, type ColumnBatch, type TypedValues } from '../data/batch-reader.js';
import { DatasetStore, parquetCopySql } from '../data/dataset-store.js';
import { formatDatasetUri } from '../data/dataset-uri.js';
import { openDuckDb, queryRows, sqlName, sqlString, type DuckDBConnection } from '../data/duckdb.js';
import type { SplitChoice } from '../data/model-table.js';
import type { InputColumn, RawModelOutputs } from '../ml/onnx/index.js';
import { numberParameter } from '../runtime/parameter-values.js';
import { TaskInputError, type TaskContext, type TaskValues } from '../runtime/task-context.js';
import { DEFAULT_BATCH_SIZE } from './definition.js';
import { checkIdColumns, modelColumns, splitCondition } from './input-columns.js';
import { loadModel, openScorer, type Scorer } from './model-source.js';
import { predictionsSql, scoredColumns, scoredValues, type CarriedColumn } from './prediction-columns.js';
import { PredictionWriter, SCORED_ROWS_FUNCTION } from './prediction-writer.js';

export interface BatchInferParams {
  model: string;
  dataset: string;
  split?: SplitChoice;
  id_columns?: string[];
  batch_size?: number | string;
  output: string;
}

const PROGRESS_EVERY_MS = 1000;

export async function run(params: BatchInferParams, context: TaskContext): Promise<TaskValues> {
  const started = performance.now();
  const batchSize = batchSizeParameter(params.batch_size);
  const model = loadModel(context, params.model);
  // onnxruntime's threads load the model, and the writer's thread DuckDB, while this thread opens the data.
  const opening = openScorer(model);
  opening.catch(() => undefined);
  const writer = PredictionWriter.start();
  let store: DatasetStore | undefined;
  let connection: DuckDBConnection | undefined;
  try {
    connection = await openDuckDb();
    const reading = connection;
    store = DatasetStore.open(context);
    const dataset = store.resolve(params.dataset, 'dataset');
    const uri = formatDatasetUri(dataset.name, dataset.version);
    const ids = params.id_columns ?? [];
    const columns = modelColumns(dataset, uri, model.info, model.source.uri);
    checkIdColumns(dataset, uri, ids, model.metadata);
    const split = params.split ?? 'all';
    const where = splitCondition(dataset, uri, split);
    const total = where
      ? Number((await queryRows(reading, `SELECT count(*) AS n FROM read_parquet(${sqlString(dataset.file)}) WHERE ${where}`))[0]!.n)
      : dataset.rowCount;
    if (total === 0) throw new TaskInputError(`${uri} has no ${split === 'all' ? '' : `${split} `}rows to score`);
    context.progress(`scoring ${count(total)} ${split === 'all' ? '' : `${split} `}rows of ${uri} with ${model.source.uri} (${model.metadata.algorithm}, ${model.metadata.task}), ${count(batchSize)} rows a batch`);

    const carried = await carriedColumns(reading, dataset.file, ids);
    const classes = model.metadata.classes?.length ?? 0;
    const read: BatchColumn[] = [...columns, ...carried.map((id): BatchColumn => ({ name: id.name, kind: 'copy', key: id.key }))];
    const sql = predictionsSql({
      scored: `${SCORED_ROWS_FUNCTION}()`, carried, metadata: model.metadata, modelName: model.source.name, modelVersion: model.source.version, ids,
      source: { file: dataset.file, ...(where ? { where } : {}) },
    });
    const clock = new StageClock();
    const published = await store.publishWritten(reading, async (file) => {
      writer.begin(parquetCopySql(sql, file), scoredColumns(classes, carried));
      try {
        clock.add('setup', started);
        const progress = throttledProgress(context, total, started);
        let written = 0;
        // Reading starts while onnxruntime's threads may still be loading the model.
        await scoreAll(readBatches(reading, { file: dataset.file, columns: read, ...(where ? { where } : {}), batchSize }), opening, uri, clock, async (outputs, batch) => {
          const values = [...carried.map((column) => batch.columns[column.key] as TypedValues), ...scoredValues(outputs, batch.rows, classes)];
          await writer.write(values, carried.map((column) => batch.nulls[column.key]), batch.rows);
          written += batch.rows;
          progress(written);
        });
        if (written !== total) throw new Error(`scored ${written} rows of ${uri} but it has ${total}`);
        const finishing = performance.now();
        await writer.finish();
        clock.add('write', finishing);
      } catch (error) {
        // The file is removed once this returns: the writer must have let go of it.
        await writer.abort(`batch_infer stopped: ${(error as Error).message}`);
        throw error;
      }
    }, { name: params.output, source: `batch_infer of ${uri} with ${model.source.uri}`, runId: context.runId, taskKey: context.taskKey });
    const seconds = (performance.now() - started) / 1000;
    const rowsPerSecond = Math.round(total / seconds);
    context.progress(`${published.created ? 'wrote' : 'unchanged:'} ${published.uri}: ${count(total)} predictions in ${seconds.toFixed(2)} s (${count(rowsPerSecond)} rows/s; ${clock.summary()})`);
    return { dataset: published.uri, file: published.version.file, rows: total, rows_per_second: rowsPerSecond, model: model.source.uri };
  } finally {
    // The threads would keep the process alive. (A writer that finished has stopped already.)
    await writer.abort('batch_infer stopped before it began writing');
    await opening.then((scorer) => scorer.release(), () => undefined);
    store?.close();
    connection?.closeSync();
  }
}

/**
 * Keeps up to `scorer.parallel` batches in onnxruntime's threads while the
 * next one is copied out of DuckDB and finished ones go to the writer, in
 * row order.
 */
async function scoreAll(
  batches: AsyncGenerator<ColumnBatch>, opening: Promise<Scorer>, uri: string, clock: StageClock,
  write: (outputs: RawModelOutputs, batch: ColumnBatch) => Promise<void>,
): Promise<void> {
  const inFlight: { scoring: Promise<RawModelOutputs>; batch: ColumnBatch }[] = [];
  const finishOldest = async () => {
    const { scoring, batch } = inFlight.shift()!;
    const waited = performance.now();
    const outputs = await scoring;
    clock.add('score', waited);
    const handing = performance.now();
    await write(outputs, batch);
    clock.add('write', handing);
  };
  try {
    for (let reading = performance.now(), next = await batches.next(); !next.done; reading = performance.now(), next = await batches.next()) {
      clock.add('read', reading);
      const scorer = await opening;
      const scoring = score(scorer, next.value, uri);
      // Awaited in turn or in `finally`; until then a failure must not count as unhandled.
      scoring.catch(() => undefined);
      inFlight.push({ scoring, batch: next.value });
      if (inFlight.length > scorer.parallel) await finishOldest();
    }
    while (inFlight.length > 0) await finishOldest();
  } finally {
    // onnxruntime must be done with the session before it is released, and
    // DuckDB with its query before the connection closes.
    await Promise.all(inFlight.map(({ scoring }) => scoring.catch(() => undefined)));
    await batches.return(undefined);
  }
}

async function score(scorer: Scorer, batch: ColumnBatch, uri: string): Promise<RawModelOutputs> {
  try {
    return await scorer.score(batch.columns as Record<string, InputColumn>, batch.rows);
  } catch (error) {
    throw new TaskInputError(`onnxruntime failed on rows ${batch.start + 1}–${batch.start + batch.rows} of ${uri}: ${(error as Error).message}`);
  }
}

/** 1234567 as 1,234,567. Not toLocaleString: loading Intl's data on first use took 26 ms, a tenth of a million rows' budget. */
function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function batchSizeParameter(value: number | string | undefined): number {
  if (value === undefined) return DEFAULT_BATCH_SIZE;
  const size = numberParameter(value, 'batch_size');
  if (!Number.isInteger(size) || size < 1) throw new TaskInputError(`batch_size must be a whole number of rows, at least 1, not ${value}`);
  return size;
}

function throttledProgress(context: TaskContext, total: number, started: number): (done: number) => void {
  let last = performance.now();
  return (done) => {
    const now = performance.now();
    if (now - last < PROGRESS_EVERY_MS || done === total) return;
    last = now;
    const rate = Math.round(done / ((now - started) / 1000));
    context.progress(`scored ${count(done)} of ${count(total)} rows (${count(rate)} rows/s)`);
  };
}

/** The id columns of fixed-width types, which travel with the rows; the others are read again when the predictions are written. */
async function carriedColumns(connection: DuckDBConnection, file: string, ids: readonly string[]): Promise<CarriedColumn[]> {
  if (ids.length === 0) return [];
  const described = await queryRows(connection, `DESCRIBE SELECT ${ids.map(sqlName).join(', ')} FROM read_parquet(${sqlString(file)})`);
  return described
    .map((row, index) => ({ name: ids[index]!, type: String(row.column_type), key: `id ${index}` }))
    .filter((column) => COPYABLE_TYPES.has(column.type));
}

/**
 * Where the main thread's time goes: opening the model and the data (setup),
 * getting rows out of DuckDB (read), waiting for onnxruntime beyond what
 * overlapped with reading (score), and waiting for the writer thread to take
 * a batch or, at the end, to finish the file (write).
 */
class StageClock {
  private readonly totals = new Map<string, number>();

  add(stage: string, since: number): void {
    this.totals.set(stage, (this.totals.get(stage) ?? 0) + performance.now() - since);
  }

  summary(): string {
    return [...this.totals].map(([stage, ms]) => `${stage} ${(ms / 1000).toFixed(2)} s`).join(', ');
  }
}
