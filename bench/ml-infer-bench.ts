// Batch inference benchmark (`npm run bench:ml` after `npm run build`, or
// `node dist/bench/ml-infer-bench.js` alone):
//  1. generates 1,000,000 × 20 rows (generated-data.ts, seeded) with a
//     customer_id and publishes them as a dataset in a scratch state home,
//     as a feature task would (zstd Parquet);
//  2. fits gradient boosting (100 trees, depth 6) and logistic regression
//     (standardized in the graph) on the first 100,000 rows with the
//     trainers and exports both as model.onnx;
//  3. runs the batch_infer task's code on all 1,000,000 rows, Parquet to
//     Parquet with customer_id carried, in a child process per run, and
//     prints rows/s end to end, the child's peak RSS, where the time went,
//     and the target with pass/fail; beside it, onnxruntime alone on the same
//     model (random rows in memory, batches of 65,536).
// Figures only: nothing asserts a time (the machines are shared).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { run } from '../tasks/batch-infer/run.js';
import { DatasetStore } from '../tasks/data/dataset-store.js';
import { openDuckDb } from '../tasks/data/duckdb.js';
import { fitGradientBoosting } from '../tasks/ml/gbdt/index.js';
import { fitLogisticRegression } from '../tasks/ml/linear/index.js';
import type { FeaturePlan, FittedModel, ModelMetadata } from '../tasks/ml/model-spec.js';
import { buildModelOnnx, openSession, readModelInfo, runModelOutputs } from '../tasks/ml/onnx/index.js';
import type { TaskContext } from '../tasks/runtime/task-context.js';
import { rowGenerator } from './generated-data.js';
import { median, progress, table, timedSpawn } from './measure.js';

const ROWS = 1_000_000;
const FEATURES = 20;
const TRAIN_ROWS = 100_000;
const SEED = 3;
/** Runs per model; the best counts (others' load on the machine only ever slows a run down). */
const REPEATS = 3;
const MODELS = [
  { key: 'gbdt', label: 'gradient boosting (100 trees, depth 6)', target: 300_000 },
  { key: 'logreg', label: 'logistic regression', target: 2_000_000 },
] as const;
const DATASET = 'dataset://bench_rows';

interface ChildReport {
  seconds: number;
  rows: number;
  rows_per_second: number;
  peak_rss_kib: number;
  rss_before_kib: number;
  /** The task's last progress line: where the time went. */
  summary: string;
}

// ----------------------------------------------------------------- setup ---

const featureNames = Array.from({ length: FEATURES }, (_, f) => `x${f}`);

/** Generates the rows into a DuckDB table (appended chunk by chunk) and publishes them as DATASET. */
async function publishRows(home: string, columns: Float64Array[], labels: Float64Array): Promise<void> {
  const { BIGINT, DOUBLE, DuckDBDataChunk } = await import('@duckdb/node-api');
  const connection = await openDuckDb();
  const store = DatasetStore.open(contextFor(home));
  try {
    await connection.run(`CREATE TABLE rows (customer_id BIGINT, ${featureNames.map((name) => `${name} DOUBLE`).join(', ')}, churned DOUBLE)`);
    const appender = await connection.createAppender('rows');
    const chunk = DuckDBDataChunk.create([BIGINT, ...featureNames.map(() => DOUBLE), DOUBLE]);
    for (let from = 0; from < ROWS; from += 2048) {
      const size = Math.min(2048, ROWS - from);
      chunk.rowCount = size;
      const ids = chunk.getColumnVector(0) as unknown as { items: BigInt64Array; flush(): void };
      for (let row = 0; row < size; row++) ids.items[row] = BigInt(1_000_000_000 + from + row);
      ids.flush();
      [...columns, labels].forEach((values, index) => {
        const vector = chunk.getColumnVector(index + 1) as unknown as { items: Float64Array; flush(): void };
        vector.items.set(values.subarray(from, from + size));
        vector.flush();
      });
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
    await store.publish(connection, 'SELECT * FROM rows', { name: 'bench_rows', source: 'ml-infer-bench', target: 'churned' });
  } finally {
    store.close();
    connection.closeSync();
  }
}

function writeModel(file: string, model: FittedModel, plan: FeaturePlan, algorithm: string): void {
  const metadata: ModelMetadata = { task: 'binary', classes: ['0', '1'], target: 'churned', plan, algorithm, hyperparameters: {} };
  writeFileSync(file, buildModelOnnx(model, metadata));
}

/** Both models, fitted on the first TRAIN_ROWS rows. */
function trainModels(folder: string, columns: Float64Array[], labels: Float64Array): void {
  const train = columns.map((column) => column.slice(0, TRAIN_ROWS));
  const classes = Int32Array.from(labels.subarray(0, TRAIN_ROWS));
  progress(`fitting gradient boosting on ${TRAIN_ROWS.toLocaleString('en')} rows…`);
  const boosted = fitGradientBoosting(train, classes, 'binary', 2, { maxIterations: 100, maxDepth: 6, earlyStopping: false });
  writeModel(join(folder, 'gbdt.onnx'), boosted.model, { columns: featureNames.map((column) => ({ kind: 'numeric', column, steps: [] })) }, 'gradient_boosting');
  progress('fitting logistic regression…');
  // Standardized as the feature task would: the scaling is part of the graph.
  const scalers = train.map((column) => {
    const mean = column.reduce((sum, value) => sum + value, 0) / column.length;
    const std = Math.sqrt(column.reduce((sum, value) => sum + (value - mean) ** 2, 0) / column.length) || 1;
    return { mean, std };
  });
  const scaled = train.map((column, f) => column.map((value) => (value - scalers[f]!.mean) / scalers[f]!.std));
  const linear = fitLogisticRegression(scaled, classes, 2, { regularization: 1 });
  writeModel(join(folder, 'logreg.onnx'), linear.model, {
    columns: featureNames.map((column, f) => ({ kind: 'numeric', column, steps: [{ op: 'scale', offset: scalers[f]!.mean, scale: 1 / scalers[f]!.std }] })),
  }, 'logistic_regression');
}

function contextFor(home: string, lines: string[] = []): TaskContext {
  return {
    runId: 1, taskKey: 'score', attempt: 1, workingDir: home, artifactsDir: join(home, 'artifacts'),
    stateDatabase: join(home, 'state.db'), datasetsDir: join(home, 'datasets'), progress: (line) => lines.push(line),
  };
}

// ----------------------------------------------------------------- child ---

/** One batch_infer run, as the task's process does it (minus starting Node). */
async function childRun(home: string, model: string): Promise<void> {
  const lines: string[] = [];
  const rssBefore = process.memoryUsage().rss / 1024;
  const started = performance.now();
  const values = await run({ model, dataset: DATASET, id_columns: ['customer_id'], output: `predictions_${model.replace(/\W/g, '_')}` }, contextFor(home, lines));
  const report: ChildReport = {
    seconds: (performance.now() - started) / 1000, rows: Number(values.rows), rows_per_second: Number(values.rows_per_second),
    peak_rss_kib: process.resourceUsage().maxRSS, rss_before_kib: rssBefore, summary: lines.at(-1) ?? '',
  };
  console.log(JSON.stringify(report));
}

/** onnxruntime alone: ROWS random rows in batches of 65,536, one session with its default threads (all CPUs). */
async function childRaw(file: string): Promise<void> {
  const bytes = readFileSync(file);
  const info = readModelInfo(bytes, file);
  const session = await openSession(bytes);
  const batch = 65_536;
  const random = rowGenerator(SEED + 1);
  const row = new Float64Array(FEATURES);
  const columns = featureNames.map(() => new Float32Array(batch));
  for (let r = 0; r < batch; r++) {
    random(row);
    row.forEach((value, f) => { columns[f]![r] = value; });
  }
  const table = Object.fromEntries(featureNames.map((name, f) => [name, columns[f]!]));
  await runModelOutputs(session, info, table, batch);
  const started = performance.now();
  for (let done = 0; done < ROWS; done += batch) await runModelOutputs(session, info, table, Math.min(batch, ROWS - done));
  console.log(JSON.stringify({ rows_per_second: ROWS / ((performance.now() - started) / 1000) }));
  await session.release();
}

// ---------------------------------------------------------------- parent ---

function spawnChild(args: string[]): { report: any; ms: number } | string {
  const result = timedSpawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { maxBuffer: 1 << 24 });
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || !line.startsWith('{')) return `failed (exit ${result.status}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  return { report: JSON.parse(line), ms: result.ms };
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === '--child') return childRun(rest[0]!, rest[1]!);
  if (mode === '--raw') return childRaw(rest[0]!);

  const home = mkdtempSync(join(tmpdir(), 'sluice-infer-bench-'));
  try {
    mkdirSync(join(home, 'artifacts'), { recursive: true });
    progress(`generating ${ROWS.toLocaleString('en')} × ${FEATURES} rows (seed ${SEED})…`);
    const next = rowGenerator(SEED);
    const columns = featureNames.map(() => new Float64Array(ROWS));
    const labels = new Float64Array(ROWS);
    const x = new Float64Array(FEATURES);
    for (let row = 0; row < ROWS; row++) {
      labels[row] = next(x);
      for (let f = 0; f < FEATURES; f++) columns[f]![row] = x[f]!;
    }
    progress('writing them as a dataset (Parquet, zstd)…');
    await publishRows(home, columns, labels);
    trainModels(home, columns, labels);

    const rows: string[][] = [];
    const details: string[] = [];
    const loadBefore = loadavg()[0]!;
    for (const { key, label, target } of MODELS) {
      const file = join(home, `${key}.onnx`);
      const runs: { report: ChildReport; ms: number }[] = [];
      for (let attempt = 1; attempt <= REPEATS; attempt++) {
        progress(`${label}: batch_infer run ${attempt} of ${REPEATS}…`);
        const outcome = spawnChild(['--child', home, file]);
        if (typeof outcome === 'string') {
          progress(`${label}: ${outcome}`);
          break;
        }
        runs.push(outcome);
      }
      const raw = spawnChild(['--raw', file]);
      if (runs.length === 0) {
        rows.push([label, '-', '-', '-', '-', '-', '-', '-', target.toLocaleString('en'), 'FAIL (did not run)']);
        continue;
      }
      const best = runs.reduce((a, b) => (b.report.rows_per_second > a.report.rows_per_second ? b : a));
      const rates = runs.map((r) => r.report.rows_per_second);
      rows.push([
        label, best.report.rows.toLocaleString('en'), best.report.seconds.toFixed(2), Math.round(best.report.rows_per_second).toLocaleString('en'),
        Math.round(median(rates)).toLocaleString('en'), typeof raw === 'string' ? '-' : Math.round(raw.report.rows_per_second).toLocaleString('en'),
        (Math.max(...runs.map((r) => r.report.peak_rss_kib)) / 1024).toFixed(0), (best.report.rss_before_kib / 1024).toFixed(0),
        target.toLocaleString('en'), best.report.rows_per_second >= target ? 'pass' : 'FAIL',
      ]);
      details.push(`${label}: ${best.report.summary.replace(/^.*\(/, '(')} — child process ${(best.ms / 1000).toFixed(2)} s with Node's start`);
    }
    console.log(`Batch inference, ${ROWS.toLocaleString('en')} × ${FEATURES} rows, Parquet → Parquet (customer_id carried), best of ${REPEATS} runs; RSS in MiB`);
    // Other processes on the machine slow every figure down; the load says how busy it was.
    console.log(`load average (1 min) on ${availableParallelism()} CPUs: ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after\n`);
    console.log(table([
      ['model', 'rows', 'seconds', 'rows/s', 'median rows/s', 'onnxruntime alone', 'peak RSS', 'RSS at start', 'target rows/s', 'result'],
      ...rows,
    ]));
    console.log(`\nWhere the time went (best run; stages on the main thread):\n${details.map((line) => `  ${line}`).join('\n')}`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
