// ML training benchmark (`npm run bench:ml` after `npm run build`):
//  1. every reference dataset (test/fixtures/datasets, test = row % 5 == 0)
//     with gradient boosting and a linear model (logistic regression, or
//     least squares for diabetes) on standardized features: our metrics and
//     fit time beside scikit-learn's from datasets.json;
//  2. generated data (a seeded, nonlinear but learnable binary target):
//     gradient boosting on 100,000 × 20 rows (100 iterations, max depth 6)
//     and logistic regression on 1,000,000 × 20, each fitted in a child
//     process that reports its fit time and peak RSS; when a Python with
//     scikit-learn is found, HistGradientBoostingClassifier and
//     LogisticRegression fit the same file in the same run, for the ratios.
// It prints figures only; nothing here asserts a timing (shared machines).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { fitGradientBoosting, treeEnsembleScores } from '../tasks/ml/gbdt/index.js';
import { fitLogisticRegression, fitRidge, linearScores } from '../tasks/ml/linear/index.js';
import { classificationMetrics, regressionMetrics } from '../tasks/ml/metrics.js';
import type { FittedModel, LearningTask } from '../tasks/ml/model-spec.js';
import { scoresToProbabilities } from '../tasks/ml/predict.js';
import { rowGenerator } from './generated-data.js';
import { median, table } from './measure.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const datasetsFolder = resolve(here, '..', '..', 'test', 'fixtures', 'datasets');
const sklearnScript = resolve(here, '..', '..', 'bench', 'python', 'sklearn_fit.py');
const progress = (line: string) => process.stderr.write(`${line}\n`);

const GENERATED_FEATURES = 20;
const GBDT_ROWS = { train: 100_000, test: 20_000 };
const LOGISTIC_ROWS = { train: 1_000_000, test: 100_000 };
const GBDT_OPTIONS = { maxIterations: 100, maxDepth: 6, earlyStopping: false } as const;
/** Fits per measurement; the best counts (others' load on the machine only ever slows a fit down). */
const REPEATS = 3;

// ---------------------------------------------------------------- data ---

interface Split {
  columns: Float64Array[];
  target: Float64Array;
}

interface Dataset {
  name: string;
  task: LearningTask;
  classes: number[] | undefined;
  train: Split;
  test: Split;
  reference: any;
}

/** A reference dataset split as its README says: test rows are those with index % 5 == 0. */
function loadDataset(name: string, entry: any): Dataset {
  const lines = readFileSync(join(datasetsFolder, entry.file), 'utf8').trimEnd().split('\n');
  const header = lines[0]!.split(',');
  const featureIndex = (entry.features as string[]).map((feature) => header.indexOf(feature));
  const targetIndex = header.indexOf(entry.target);
  const rows = lines.slice(1).map((line) => line.split(',').map(Number));
  const part = (keep: (row: number) => boolean): Split => {
    const picked = rows.filter((_, index) => keep(index));
    return {
      columns: featureIndex.map((column) => Float64Array.from(picked, (row) => row[column]!)),
      target: Float64Array.from(picked, (row) => row[targetIndex]!),
    };
  };
  const task: LearningTask = entry.task;
  return { name, task, classes: entry.classes, train: part((row) => row % 5 !== 0), test: part((row) => row % 5 === 0), reference: entry };
}

const classIndices = (target: Float64Array, classes: number[]) => Int32Array.from(target, (label) => classes.indexOf(label));

/** StandardScaler: the train split's mean and population standard deviation (1 for a constant column). */
function standardize(train: Float64Array[], ...others: Float64Array[][]): Float64Array[][] {
  const scalers = train.map((column) => {
    let mean = 0;
    for (const value of column) mean += value;
    mean /= column.length;
    let variance = 0;
    for (const value of column) variance += (value - mean) ** 2;
    variance /= column.length;
    return { mean, scale: variance > 0 ? Math.sqrt(variance) : 1 };
  });
  const apply = (columns: Float64Array[]) => columns.map((column, f) => column.map((value) => (value - scalers[f]!.mean) / scalers[f]!.scale));
  return [apply(train), ...others.map(apply)];
}

/** Scores to probabilities (row-major) for classification, or the predictions for regression. */
function outputs(model: FittedModel, columns: Float64Array[]): Float64Array {
  const scores = model.type === 'linear' ? linearScores(model, columns) : treeEnsembleScores(model, columns);
  const width = model.type === 'linear' ? model.weights.length : model.baseScores.length;
  return scoresToProbabilities(model.task, scores, width);
}

// ------------------------------------------------- reference datasets ---

interface ReferenceRow {
  dataset: string;
  model: string;
  ours: Record<string, number>;
  sklearn: Record<string, number>;
}

function timeFits<T>(fit: () => T, runs: number): { result: T; ms: number } {
  const times: number[] = [];
  let result: T | undefined;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    result = fit();
    times.push(performance.now() - start);
  }
  return { result: result!, ms: median(times) };
}

function referenceRows(dataset: Dataset): ReferenceRow[] {
  const { task, train, test, classes, reference } = dataset;
  const runs = train.target.length < 10_000 ? 3 : 1;
  const boosted = timeFits(() => task === 'regression'
    ? fitGradientBoosting(train.columns, train.target, 'regression', 1)
    : fitGradientBoosting(train.columns, classIndices(train.target, classes!), task, classes!.length), runs);
  const linear = timeFits(() => {
    const [trainColumns, testColumns] = standardize(train.columns, test.columns);
    const model = task === 'regression'
      ? fitRidge(trainColumns!, train.target, { alpha: 0 }).model
      : fitLogisticRegression(trainColumns!, classIndices(train.target, classes!), classes!.length, { regularization: 1 }).model;
    return { model, testColumns: testColumns! };
  }, runs);
  const evaluate = (model: FittedModel, columns: Float64Array[]): Record<string, number> => {
    const predicted = outputs(model, columns);
    if (task === 'regression') return { ...regressionMetrics(test.target, predicted) };
    const { accuracy, roc_auc, log_loss } = classificationMetrics(classIndices(test.target, classes!), predicted, classes!.length);
    return { accuracy, roc_auc, log_loss };
  };
  const sklearnOf = (baseline: any): Record<string, number> => ({ ...baseline, roc_auc: baseline.roc_auc ?? baseline.roc_auc_ovr_macro, fit_ms: baseline.fit_seconds * 1000 });
  const linearName = task === 'regression' ? 'least squares' : 'logistic regression';
  return [
    { dataset: dataset.name, model: 'gradient boosting', ours: { ...evaluate(boosted.result.model, test.columns), fit_ms: boosted.ms }, sklearn: sklearnOf(reference.baselines.hgb) },
    { dataset: dataset.name, model: linearName, ours: { ...evaluate(linear.result.model, linear.result.testColumns), fit_ms: linear.ms }, sklearn: sklearnOf(reference.baselines.logreg ?? reference.baselines.linreg) },
  ];
}

const fixed = (value: number | undefined, digits: number) => (value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits));

function printReferenceTables(rows: ReferenceRow[]): void {
  const classification = rows.filter((row) => row.ours.accuracy !== undefined);
  const regression = rows.filter((row) => row.ours.rmse !== undefined);
  console.log('Reference datasets (test rows = index % 5 == 0): ours / scikit-learn 1.2 (from datasets.json)\n');
  console.log(table([
    ['dataset', 'model', 'accuracy', 'sklearn', 'ROC AUC', 'sklearn', 'log loss', 'sklearn', 'fit ms', 'sklearn ms'],
    ...classification.map(({ dataset, model, ours, sklearn }) => [
      dataset, model, fixed(ours.accuracy, 4), fixed(sklearn.accuracy, 4), fixed(ours.roc_auc, 4), fixed(sklearn.roc_auc, 4),
      fixed(ours.log_loss, 4), fixed(sklearn.log_loss, 4), fixed(ours.fit_ms, 1), fixed(sklearn.fit_ms, 1),
    ]),
  ]));
  console.log('');
  console.log(table([
    ['dataset', 'model', 'RMSE', 'sklearn', 'MAE', 'sklearn', 'R²', 'sklearn', 'fit ms', 'sklearn ms'],
    ...regression.map(({ dataset, model, ours, sklearn }) => [
      dataset, model, fixed(ours.rmse, 3), fixed(sklearn.rmse, 3), fixed(ours.mae, 3), fixed(sklearn.mae, 3),
      fixed(ours.r2, 4), fixed(sklearn.r2, 4), fixed(ours.fit_ms, 1), fixed(sklearn.fit_ms, 1),
    ]),
  ]));
  console.log('');
}

// ------------------------------------------------------ generated data ---

/** Writes train + test rows of generated-data.ts: float64, row-major, label last (the layout sklearn_fit.py reads). */
function writeGeneratedData(file: string, rows: number, features: number, seed: number): void {
  const next = rowGenerator(seed);
  const width = features + 1;
  const values = new Float64Array(rows * width);
  for (let row = 0; row < rows; row++) values[row * width + features] = next(values.subarray(row * width, row * width + features));
  writeFileSync(file, new Uint8Array(values.buffer));
}

interface FitReport {
  fit_seconds: number;
  accuracy: number;
  roc_auc: number;
  rss_before_fit_kib: number;
  peak_rss_kib: number;
  iterations?: number;
}

/** Child process: reads the file, fits `repeats` times, reports the best time, test metrics and memory. */
function runChild(model: string, file: string, features: number, trainRows: number, repeats: number): void {
  const bytes = readFileSync(file);
  // A big file gets a buffer of its own (offset 0); copy only if it is not 8-byte aligned.
  const values = bytes.byteOffset % 8 === 0
    ? new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8)
    : new Float64Array(new Uint8Array(bytes).buffer);
  const width = features + 1;
  const rows = values.length / width;
  const part = (from: number, to: number): Split => ({
    columns: Array.from({ length: features }, (_, f) => Float64Array.from({ length: to - from }, (_, i) => values[(from + i) * width + f]!)),
    target: Float64Array.from({ length: to - from }, (_, i) => values[(from + i) * width + features]!),
  });
  const train = part(0, trainRows);
  const test = part(trainRows, rows);
  const labels = Int32Array.from(train.target);
  const rssBefore = process.memoryUsage().rss / 1024;
  const times: number[] = [];
  let fitted: { model: FittedModel; testColumns: Float64Array[]; iterations: number } | undefined;
  for (let run = 0; run < repeats; run++) {
    const start = performance.now();
    if (model === 'gbdt') {
      const fit = fitGradientBoosting(train.columns, labels, 'binary', 2, GBDT_OPTIONS);
      fitted = { model: fit.model, testColumns: test.columns, iterations: fit.iterations };
    } else {
      const [trainColumns, testColumns] = standardize(train.columns, test.columns);
      const fit = fitLogisticRegression(trainColumns!, labels, 2, { regularization: 1 });
      fitted = { model: fit.model, testColumns: testColumns!, iterations: fit.iterations };
    }
    times.push((performance.now() - start) / 1000);
  }
  const metrics = classificationMetrics(Int32Array.from(test.target), outputs(fitted!.model, fitted!.testColumns), 2);
  const report: FitReport = {
    fit_seconds: Math.min(...times), accuracy: metrics.accuracy, roc_auc: metrics.roc_auc,
    rss_before_fit_kib: rssBefore, peak_rss_kib: process.resourceUsage().maxRSS, iterations: fitted!.iterations,
  };
  console.log(JSON.stringify(report));
}

function parseReport(who: string, result: { status: number | null; stdout: string; stderr: string }): FitReport | string {
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || !line.startsWith('{')) return `${who} failed (exit ${result.status}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  return JSON.parse(line) as FitReport;
}

function oursOn(model: string, file: string, trainRows: number): FitReport | string {
  const args = [fileURLToPath(import.meta.url), '--child', model, file, String(GENERATED_FEATURES), String(trainRows), String(REPEATS)];
  return parseReport('ours', spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 }));
}

/** `python3`, else Debian's /usr/bin/python3: the first that imports scikit-learn. */
function findSklearnPython(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    const check = spawnSync(python, ['-c', 'import sklearn, numpy'], { encoding: 'utf8' });
    if (check.status === 0) return python;
  }
  return undefined;
}

function sklearnOn(python: string, model: string, file: string, trainRows: number): FitReport | string {
  const args = [sklearnScript, '--model', model, '--data', file, '--features', String(GENERATED_FEATURES), '--train', String(trainRows), '--repeats', String(REPEATS)];
  return parseReport('scikit-learn', spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24 }));
}

function generatedRows(python: string | undefined): string[][] {
  const folder = mkdtempSync(join(tmpdir(), 'sluice-ml-bench-'));
  const rows: string[][] = [];
  try {
    const cases = [
      { label: 'gradient boosting', ours: 'gbdt', sklearn: 'hgb', sizes: GBDT_ROWS, seed: 1 },
      { label: 'logistic regression', ours: 'logreg', sklearn: 'logreg', sizes: LOGISTIC_ROWS, seed: 2 },
    ];
    for (const { label, ours, sklearn, sizes, seed } of cases) {
      const file = join(folder, `${ours}.f64`);
      progress(`generating ${sizes.train + sizes.test} rows for ${label}…`);
      writeGeneratedData(file, sizes.train + sizes.test, GENERATED_FEATURES, seed);
      progress(`fitting ${label} (ours, best of ${REPEATS})…`);
      const mine = oursOn(ours, file, sizes.train);
      progress(python ? `fitting ${label} (scikit-learn, best of ${REPEATS})…` : 'no Python with scikit-learn: skipping it');
      const theirs = python ? sklearnOn(python, sklearn, file, sizes.train) : 'no Python with scikit-learn found';
      rows.push(generatedRow(`${label}, ${sizes.train.toLocaleString('en')} × ${GENERATED_FEATURES}`, mine, theirs));
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  return rows;
}

function generatedRow(label: string, mine: FitReport | string, theirs: FitReport | string): string[] {
  const ours = typeof mine === 'string' ? undefined : mine;
  const sk = typeof theirs === 'string' ? undefined : theirs;
  for (const failure of [mine, theirs]) if (typeof failure === 'string') progress(`${label}: ${failure}`);
  const mib = (kib: number | undefined) => (kib === undefined ? '-' : (kib / 1024).toFixed(0));
  return [
    label,
    fixed(ours?.fit_seconds, 2), fixed(sk?.fit_seconds, 2), ours && sk ? `${(ours.fit_seconds / sk.fit_seconds).toFixed(2)}×` : '-',
    fixed(ours?.accuracy, 4), fixed(sk?.accuracy, 4), fixed(ours?.roc_auc, 4), fixed(sk?.roc_auc, 4),
    mib(ours?.peak_rss_kib), mib(ours?.rss_before_fit_kib), mib(sk?.peak_rss_kib), mib(sk?.rss_before_fit_kib),
  ];
}

function main(): void {
  if (process.argv[2] === '--child') {
    const [model, file, features, train, repeats] = process.argv.slice(3);
    runChild(model!, file!, Number(features), Number(train), Number(repeats));
    return;
  }
  const manifest = JSON.parse(readFileSync(join(datasetsFolder, 'datasets.json'), 'utf8'));
  const reference = Object.entries(manifest.datasets).flatMap(([name, entry]) => {
    progress(`reference dataset ${name}…`);
    return referenceRows(loadDataset(name, entry));
  });
  printReferenceTables(reference);
  const python = findSklearnPython();
  const generated = generatedRows(python);
  console.log(`Generated data (test rows held out; fit = best of ${REPEATS}; ratio = ours / scikit-learn; RSS in MiB: peak, and before the fit with the data loaded)\n`);
  console.log(table([
    ['model, train rows × features', 'fit s', 'sklearn s', 'ratio', 'accuracy', 'sklearn', 'ROC AUC', 'sklearn', 'peak RSS', 'before fit', 'sklearn peak', 'before fit'],
    ...generated,
  ]));
  if (!python) console.log('\nscikit-learn: not found (tried python3 and /usr/bin/python3)');
}

main();
