// batch_infer: score a dataset with a model in batches and publish the
// predictions as a dataset. onnxruntime scores batches in threads of its own
// while the main thread copies the next batch out of DuckDB (whose threads
// decode the range after it) and appends finished ones; the predictions
// dataset is written once, when every row is scored, so a failure leaves none.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { COPYABLE_TYPES, readBatches, type BatchColumn, type ColumnBatch } from '../data/batch-reader.js';
import { DatasetStore } from '../data/dataset-store.js';
import { formatDatasetUri } from '../data/dataset-uri.js';
import { openDuckDbConnections, queryRows, sqlName, sqlString, type DuckDBConnection } from '../data/duckdb.js';
import type { SplitChoice } from '../data/model-table.js';
import type { InputColumn, RawModelOutputs } from '../ml/onnx/index.js';
import { numberParameter } from '../runtime/parameter-values.js';
import { TaskInputError, type TaskContext, type TaskValues } from '../runtime/task-context.js';
import { DEFAULT_BATCH_SIZE } from './definition.js';
import { checkIdColumns, modelColumns, splitCondition } from './input-columns.js';
import { locateModel, openScorer, readModel, type Scorer } from './model-source.js';
import { PredictionTable, predictionsSql, type CarriedColumn } from './prediction-table.js';

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
  const model = readModel(await locateModel(context, params.model));
  // onnxruntime's threads load the model while DuckDB opens the data.
  const opening = openScorer(model);
  opening.catch(() => undefined);
  let store: DatasetStore | undefined;
  const connections: DuckDBConnection[] = [];
  try {
    const [reading, writing] = await openDuckDbConnections(2);
    connections.push(reading!, writing!);
    // A predictions table that outgrows memory spills to the system's temporary
    // folder (an in-memory database's default is .tmp in the pipeline's folder).
    await reading!.run(`SET temp_directory = ${sqlString(join(tmpdir(), `sluice-duckdb-${process.pid}`))}`);
    store = DatasetStore.open(context);
    const dataset = store.resolve(params.dataset, 'dataset');
    const uri = formatDatasetUri(dataset.name, dataset.version);
    const ids = params.id_columns ?? [];
    const columns = modelColumns(dataset, uri, model.info, model.source.uri);
    checkIdColumns(dataset, uri, ids, model.metadata);
    const split = params.split ?? 'all';
    const where = splitCondition(dataset, uri, split);
    const counted = await queryRows(reading!, `SELECT count(*) AS n FROM read_parquet(${sqlString(dataset.file)})${where ? ` WHERE ${where}` : ''}`);
    const total = Number(counted[0]!.n);
    if (total === 0) throw new TaskInputError(`${uri} has no ${split === 'all' ? '' : `${split} `}rows to score`);
    context.progress(`scoring ${total.toLocaleString('en')} ${split === 'all' ? '' : `${split} `}rows of ${uri} with ${model.source.uri} (${model.metadata.algorithm}, ${model.metadata.task}), ${batchSize.toLocaleString('en')} rows a batch`);

    const carried = await carriedColumns(reading!, dataset.file, ids);
    const table = await PredictionTable.create(writing!, 'predictions', model.metadata.classes?.length ?? 0, carried);
    const read: BatchColumn[] = [...columns, ...carried.map((id): BatchColumn => ({ name: id.name, kind: 'copy', key: id.key }))];
    const scorer = await opening;
    const clock = new StageClock();
    clock.add('setup', started);
    const progress = throttledProgress(context, total, started);
    await scoreAll(readBatches(reading!, { file: dataset.file, columns: read, ...(where ? { where } : {}), batchSize }), scorer, uri, clock, (outputs, batch) => {
      table.append(outputs, batch);
      progress(table.rowCount);
    });
    table.close();
    if (table.rowCount !== total) throw new Error(`scored ${table.rowCount} rows of ${uri} but it has ${total}`);

    const sql = predictionsSql({
      table, metadata: model.metadata, modelName: model.source.name, modelVersion: model.source.version, ids,
      source: { file: dataset.file, ...(where ? { where } : {}) },
    });
    const writeStarted = performance.now();
    const published = await store.publish(writing!, sql, {
      name: params.output, source: `batch_infer of ${uri} with ${model.source.uri}`, runId: context.runId, taskKey: context.taskKey,
    });
    clock.add('write', writeStarted);
    const seconds = (performance.now() - started) / 1000;
    const rowsPerSecond = Math.round(total / seconds);
    context.progress(`${published.created ? 'wrote' : 'unchanged:'} ${published.uri}: ${total.toLocaleString('en')} predictions in ${seconds.toFixed(2)} s (${rowsPerSecond.toLocaleString('en')} rows/s; ${clock.summary()})`);
    return { dataset: published.uri, file: published.version.file, rows: total, rows_per_second: rowsPerSecond, model: model.source.uri };
  } finally {
    // The threads would keep the process alive.
    await opening.then((scorer) => scorer.release(), () => undefined);
    store?.close();
    for (const connection of connections) connection.closeSync();
  }
}

/**
 * Keeps up to `scorer.parallel` batches in onnxruntime's threads while the
 * next one is copied out of DuckDB and finished ones are appended, in row
 * order.
 */
async function scoreAll(
  batches: AsyncGenerator<ColumnBatch>, scorer: Scorer, uri: string, clock: StageClock,
  write: (outputs: RawModelOutputs, batch: ColumnBatch) => void,
): Promise<void> {
  const inFlight: { scoring: Promise<RawModelOutputs>; batch: ColumnBatch }[] = [];
  const finishOldest = async () => {
    const { scoring, batch } = inFlight.shift()!;
    const waited = performance.now();
    const outputs = await scoring;
    clock.add('score', waited);
    const appending = performance.now();
    write(outputs, batch);
    clock.add('append', appending);
  };
  try {
    for (let reading = performance.now(), next = await batches.next(); !next.done; reading = performance.now(), next = await batches.next()) {
      clock.add('read', reading);
      const scoring = score(scorer, next.value, uri);
      // Awaited in turn or in `finally`; until then a failure must not count as unhandled.
      scoring.catch(() => undefined);
      inFlight.push({ scoring, batch: next.value });
      if (inFlight.length > scorer.parallel) await finishOldest();
    }
    while (inFlight.length > 0) await finishOldest();
  } finally {
    // onnxruntime must be done with the session before it is released.
    await Promise.all(inFlight.map(({ scoring }) => scoring.catch(() => undefined)));
  }
}

async function score(scorer: Scorer, batch: ColumnBatch, uri: string): Promise<RawModelOutputs> {
  try {
    return await scorer.score(batch.columns as Record<string, InputColumn>, batch.rows);
  } catch (error) {
    throw new TaskInputError(`onnxruntime failed on rows ${batch.start + 1}–${batch.start + batch.rows} of ${uri}: ${(error as Error).message}`);
  }
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
    context.progress(`scored ${done.toLocaleString('en')} of ${total.toLocaleString('en')} rows (${rate.toLocaleString('en')} rows/s)`);
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
 * getting rows out of DuckDB (read),
 * waiting for onnxruntime beyond what overlapped with reading (score),
 * appending predictions, and writing the Parquet file.
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
