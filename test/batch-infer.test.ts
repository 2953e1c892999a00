// batch_infer end to end: train on a reference dataset, score it through
// `sluice run`, and compare the predictions dataset with what the evaluate
// path (loadModelTable + runModel) predicts for the same rows.
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { datasetsDirFor } from '../engine/state/state-home.js';
import { DatasetStore } from '../tasks/data/dataset-store.js';
import { openDuckDb, queryRows, sqlString } from '../tasks/data/duckdb.js';
import { loadModelTable, rawColumns, type SplitChoice } from '../tasks/data/model-table.js';
import { openSession, readModelInfo, runModel, type ModelPredictions } from '../tasks/ml/onnx/index.js';
import { loadReferenceDataset, trainingPipeline } from './ml-fixtures.js';
import { workspace, type Workspace } from './ml-helpers.js';
import { runSluice } from './run-sluice.js';

const fixtures = fileURLToPath(new URL('./fixtures/datasets/', import.meta.url));

interface Dataset {
  uri: string;
  file: string;
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
}

/** A dataset version's file, columns and rows, read from the workspace's state. */
async function readDataset(ws: Workspace, uri: string): Promise<Dataset> {
  const store = DatasetStore.open({ stateDatabase: ws.state, datasetsDir: datasetsDirFor(ws.state) });
  const connection = await openDuckDb();
  try {
    const version = store.resolve(uri, 'test');
    const rows = await queryRows(connection, `SELECT * FROM read_parquet(${sqlString(version.file)})`);
    return { uri, file: version.file, columns: version.columns, rows };
  } finally {
    store.close();
    connection.closeSync();
  }
}

/** What evaluate computes for the same rows: the model table, its raw columns, onnxruntime. */
async function evaluatePath(ws: Workspace, uri: string, modelFile: string, split: SplitChoice): Promise<ModelPredictions & { rows: number }> {
  const store = DatasetStore.open({ stateDatabase: ws.state, datasetsDir: datasetsDirFor(ws.state) });
  const connection = await openDuckDb();
  const session = await openSession(modelFile);
  try {
    const info = readModelInfo(readFileSync(modelFile));
    const table = await loadModelTable(connection, store.resolve(uri, 'test'), info.metadata!.plan, { split });
    return { ...(await runModel(session, info, rawColumns(table), table.rows)), rows: table.rows };
  } finally {
    await session.release();
    store.close();
    connection.closeSync();
  }
}

function featurePipeline(name: string, algorithm: string, options: { sql: string; steps: string; tasks: string; train?: string; features?: string[] }): string {
  return trainingPipeline(name, algorithm, {
    pipeline: `${name}_batch_infer`, sql: options.sql, steps: options.steps, tasks: options.tasks,
    ...(options.train ? { train: options.train } : {}), ...(options.features ? { extraFeatures: options.features } : {}),
  });
}

const column = (dataset: Dataset, name: string) => dataset.rows.map((row) => row[name]);

describe('batch_infer', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = workspace('infer');
    for (const name of ['breast_cancer', 'iris', 'diabetes']) copyFileSync(join(fixtures, `${name}.csv`), join(ws.root, `${name}.csv`));
  });

  it('writes id columns, the predicted class and a probability per class equal to the evaluate path, the same in one batch or many', async () => {
    const score = (key: string, extra: string) => `  - task_key: ${key}
    depends_on: [train]
    batch_infer:
      model: "{{tasks.train.values.model}}"
      dataset: "{{tasks.features.values.dataset}}"
      split: test
      id_columns: [customer, row_id]
      output: breast_cancer_predictions
${extra}`;
    const result = ws.run(featurePipeline('breast_cancer', 'logistic_regression', {
      sql: `"SELECT row_number() OVER () - 1 AS row_id, 'c' || lpad(CAST(row_number() OVER () AS VARCHAR), 4, '0') AS customer, * FROM raw"`,
      steps: '[standardize]',
      tasks: `${score('score', '')}\n${score('score_in_small_batches', '      batch_size: 7')}`,
    }));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const values = ws.values('score');
    expect(values).toMatchObject({ dataset: 'dataset://breast_cancer_predictions@1', rows: '114', model: ws.values('train').model });
    expect(Number(values.rows_per_second)).toBeGreaterThan(0);
    // 114 rows in batches of 7: the same content, so the same version.
    expect(ws.values('score_in_small_batches')).toMatchObject({ dataset: 'dataset://breast_cancer_predictions@1', rows: '114' });
    // Both ran at once; whichever published second found the same content.
    const logs = ['score', 'score_in_small_batches'].map((task) => runSluice(['logs', '1', task, '--stdout', '--state', ws.state], ws.root).stdout).join('\n');
    expect(logs).toMatch(/scoring 114 test rows of dataset:\/\/breast_cancer_features@1 with .*model\.onnx \(logistic_regression, binary\), 65,536 rows a batch/);
    expect(logs).toMatch(/, 7 rows a batch/);
    expect(logs).toMatch(/(wrote|unchanged:) dataset:\/\/breast_cancer_predictions@1: 114 predictions in [\d.]+ s \([\d,]+ rows\/s; setup [\d.]+ s, read [\d.]+ s, score [\d.]+ s, write [\d.]+ s\)/);

    const predictions = await readDataset(ws, values.dataset!);
    expect(predictions.columns).toEqual([
      { name: 'customer', type: 'string' }, { name: 'row_id', type: 'integer' }, { name: 'prediction', type: 'integer' },
      { name: 'probability_0', type: 'number' }, { name: 'probability_1', type: 'number' },
      { name: 'model_name', type: 'string' }, { name: 'model_version', type: 'integer' },
    ]);
    // Test rows are those whose 0-based number is a multiple of 5, in file order.
    expect(column(predictions, 'row_id').map(Number)).toEqual(Array.from({ length: 114 }, (_, i) => 5 * i));
    expect(column(predictions, 'customer')).toEqual(Array.from({ length: 114 }, (_, i) => `c${String(5 * i + 1).padStart(4, '0')}`));
    expect(new Set(column(predictions, 'model_name'))).toEqual(new Set(['model']));
    expect(new Set(column(predictions, 'model_version'))).toEqual(new Set([null]));

    const expected = await evaluatePath(ws, ws.values('features').dataset!, ws.values('train').model!, 'test');
    expect(expected.rows).toBe(114);
    predictions.rows.forEach((row, i) => {
      const p0 = Number(row.probability_0);
      const p1 = Number(row.probability_1);
      expect(Math.abs(p0 - expected.probabilities![2 * i]!)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(p1 - expected.probabilities![2 * i + 1]!)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(p0 + p1 - 1)).toBeLessThanOrEqual(1e-6);
      expect(Number(row.prediction)).toBe(expected.labels![i]);
    });
  });

  it('scores every row of a multiclass model with missing values and a one-hot column, giving one probability column per class', async () => {
    // Every 7th sepal length is NULL: gradient boosting sends it down each tree's missing-value branch.
    // petal_size is text, one-hot encoded inside the model; every 11th is NULL (no category).
    const sql = '"SELECT row_number() OVER () - 1 AS flower, CASE WHEN (row_number() OVER ()) % 7 = 0 THEN NULL ELSE sepal_length_cm END AS sepal_length_cm, ' +
      "CASE WHEN (row_number() OVER ()) % 11 = 0 THEN NULL WHEN petal_width_cm < 0.8 THEN 'narrow' WHEN petal_width_cm < 1.7 THEN 'medium' ELSE 'wide' END AS petal_size, " +
      '* EXCLUDE (sepal_length_cm) FROM raw"';
    const score = (key: string, extra: string) => `  - task_key: ${key}
    depends_on: [train]
    batch_infer: { model: "{{tasks.train.values.model}}", dataset: "{{tasks.features.values.dataset}}", id_columns: [flower, petal_width_cm], output: iris_predictions${extra} }`;
    const result = ws.run(featurePipeline('iris', 'gradient_boosting', {
      sql, steps: '[]', train: '      hyperparameters: { max_iterations: 30 }', features: ['petal_size: [one_hot]'],
      tasks: `${score('score', '')}\n${score('score_in_small_batches', ', batch_size: 16')}`,
    }));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(ws.values('score')).toMatchObject({ dataset: 'dataset://iris_predictions@1', rows: '150' });
    expect(ws.values('score_in_small_batches').dataset).toBe('dataset://iris_predictions@1');

    const predictions = await readDataset(ws, 'dataset://iris_predictions@1');
    // An id column may be a model input too.
    expect(predictions.columns.map((c) => c.name)).toEqual(['flower', 'petal_width_cm', 'prediction', 'probability_0', 'probability_1', 'probability_2', 'model_name', 'model_version']);
    const expected = await evaluatePath(ws, ws.values('features').dataset!, ws.values('train').model!, 'all');
    expect(column(predictions, 'flower').map(Number)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(column(predictions, 'petal_width_cm')).toEqual(column(await readDataset(ws, ws.values('features').dataset!), 'petal_width_cm'));
    predictions.rows.forEach((row, i) => {
      const probabilities = [0, 1, 2].map((k) => Number(row[`probability_${k}`]));
      probabilities.forEach((p, k) => expect(Math.abs(p - expected.probabilities![3 * i + k]!)).toBeLessThanOrEqual(1e-6));
      expect(Math.abs(probabilities.reduce((a, b) => a + b) - 1)).toBeLessThanOrEqual(1e-6);
      expect(Number(row.prediction)).toBe(expected.labels![i]);
    });
  });

  it('reads a dataset of several row groups in batches that cross them, keeping ids (with NULLs) beside their rows', async () => {
    // 150,000 rows: two Parquet row groups (122,880 rows each at most).
    const sql = '"SELECT row_number() OVER () - 1 AS n, CASE WHEN (row_number() OVER ()) % 1000 = 0 THEN NULL ELSE row_number() OVER () END AS sparse_id, ' +
      "'f' || CAST(row_number() OVER () AS VARCHAR) AS label_text, raw.* FROM raw, range(1000) AS copies(c)\"";
    const score = (key: string, extra: string) => `  - task_key: ${key}
    depends_on: [train]
    batch_infer: { model: "{{tasks.train.values.model}}", dataset: "{{tasks.features.values.dataset}}", id_columns: [n, sparse_id, label_text], output: many_${key}${extra} }`;
    const result = ws.run(featurePipeline('iris', 'logistic_regression', {
      sql, steps: '[standardize]', tasks: `${score('all', '')}\n${score('test', ', split: test, batch_size: 10000')}`,
    }).replace('iris_batch_infer', 'iris_many_rows').replace('dataset: iris_features', 'dataset: iris_many'));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const features = await readDataset(ws, ws.values('features').dataset!);
    const groups = await (async () => {
      const connection = await openDuckDb();
      try {
        return Number((await queryRows(connection, `SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata(${sqlString(features.file)})`))[0]!.n);
      } finally {
        connection.closeSync();
      }
    })();
    expect(groups).toBeGreaterThan(1);

    for (const [task, split] of [['all', 'all'], ['test', 'test']] as const) {
      const predictions = await readDataset(ws, ws.values(task).dataset!);
      const expected = await evaluatePath(ws, ws.values('features').dataset!, ws.values('train').model!, split);
      expect(predictions.rows.length).toBe(split === 'all' ? 150_000 : 30_000);
      expect(expected.rows).toBe(predictions.rows.length);
      let mismatches = 0;
      predictions.rows.forEach((row, i) => {
        const n = Number(row.n);
        const expectedN = split === 'all' ? i : 5 * i;
        const sparse = (n + 1) % 1000 === 0 ? null : n + 1;
        const close = [0, 1, 2].every((k) => Math.abs(Number(row[`probability_${k}`]) - expected.probabilities![3 * i + k]!) <= 1e-6);
        if (n !== expectedN || (row.sparse_id === null ? null : Number(row.sparse_id)) !== sparse || row.label_text !== `f${n + 1}` || !close) mismatches += 1;
      });
      expect(mismatches, `${task}: rows whose ids or probabilities differ`).toBe(0);
    }
  });

  it('writes a regression model\'s prediction and no probability columns', async () => {
    const result = ws.run(featurePipeline('diabetes', 'linear_regression', {
      sql: 'SELECT * FROM raw', steps: '[standardize]', train: '      hyperparameters: { alpha: 0 }',
      tasks: `  - task_key: score
    depends_on: [train]
    batch_infer: { model: "{{tasks.train.values.model}}", dataset: "{{tasks.features.values.dataset}}", split: train, output: diabetes_predictions }`,
    }));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const predictions = await readDataset(ws, ws.values('score').dataset!);
    expect(predictions.columns).toEqual([
      { name: 'prediction', type: 'number' }, { name: 'model_name', type: 'string' }, { name: 'model_version', type: 'integer' },
    ]);
    const expected = await evaluatePath(ws, ws.values('features').dataset!, ws.values('train').model!, 'train');
    expect(predictions.rows.length).toBe(expected.rows);
    expect(expected.rows).toBe(353);
    predictions.rows.forEach((row, i) => expect(Math.abs(Number(row.prediction) - expected.values![i]!)).toBeLessThanOrEqual(1e-6));
  });
});

describe('batch_infer on bad input', () => {
  let ws: Workspace;
  let model: string;
  const datasetsDir = () => datasetsDirFor(ws.state);

  beforeAll(() => {
    ws = workspace('infer-bad');
    copyFileSync(join(fixtures, 'breast_cancer.csv'), join(ws.root, 'breast_cancer.csv'));
    const trained = ws.run(`name: train_model
tasks:
  - task_key: ingest
    ingest: { source: breast_cancer.csv, dataset: breast_cancer }
  - task_key: train
    depends_on: [ingest]
    train: { dataset: "{{tasks.ingest.values.dataset}}", target: target, algorithm: logistic_regression }
`);
    expect(trained.code, trained.stdout + trained.stderr).toBe(0);
    model = ws.values('train').model!;
    ws.write('narrow.csv', 'mean_radius,mean_area,target\n14.1,600,1\n20.0,1200,0\n');
    writeFileSync(join(ws.root, 'random.onnx'), Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
  });

  /** Runs batch_infer after an ingest; the task must fail and leave no predictions dataset. */
  let inputs = 0;
  async function expectRefused(options: { source?: string; model: string; ingest?: string; extra?: string }): Promise<string> {
    // Each call ingests a dataset of its own: another file under the same name would be a schema change.
    inputs += 1;
    const before = readdirSync(datasetsDir()).sort();
    const result = ws.run(`name: bad_batch_infer
tasks:
  - task_key: ingest
    ingest: { source: ${options.source ?? 'breast_cancer.csv'}, dataset: input${inputs}${options.ingest ?? ''} }
  - task_key: score
    depends_on: [ingest]
    batch_infer: { model: "${options.model}", dataset: "{{tasks.ingest.values.dataset}}", output: predictions${options.extra ?? ''} }
`);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(ws.values('ingest').dataset).toBe(`dataset://input${inputs}@1`);
    const message = ws.message('score');
    // The ingest may add an input version; nothing else appears, half-written or not.
    const added = readdirSync(datasetsDir()).sort().filter((file) => !before.includes(file));
    const inputFile = (await readDataset(ws, ws.values('ingest').dataset!)).file;
    expect(added.filter((file) => join(datasetsDir(), file) !== inputFile)).toEqual([]);
    const store = DatasetStore.open({ stateDatabase: ws.state, datasetsDir: datasetsDir() });
    try {
      expect(store.latest('predictions')).toBeUndefined();
    } finally {
      store.close();
    }
    return message;
  }

  it('names every column the model needs that the dataset lacks, and the dataset', async () => {
    const message = await expectRefused({ source: 'narrow.csv', model });
    expect(message).toMatch(/error: dataset:\/\/input\d+@1 lacks 28 columns the model .*model\.onnx needs: 'mean_texture', 'mean_perimeter', 'mean_smoothness',/);
    expect(message).toContain("'worst_fractal_dimension'");
    expect(message).not.toContain("'mean_radius'");
  });

  it('refuses a file that is not an ONNX model, and a model file that does not exist', async () => {
    expect(await expectRefused({ model: 'random.onnx' })).toMatch(/random\.onnx is not an ONNX model/);
    expect(await expectRefused({ model: 'no-such-model.onnx' })).toMatch(/cannot read the model .*no-such-model\.onnx: no such file/);
  });

  it('refuses id columns the dataset lacks, and a split of a dataset that has none', async () => {
    expect(await expectRefused({ model, extra: ', id_columns: [customer_id, mean_radius]' }))
      .toMatch(/id_columns: dataset:\/\/input\d+@1 has no column 'customer_id'; its columns: mean_radius, /);
    expect(await expectRefused({ model, extra: ', split: test' }))
      .toMatch(/split: test needs a dataset split by the feature task, but dataset:\/\/input\d+@1 has no _split column; set split: all/);
  });

  it('refuses a dataset with no rows', async () => {
    ws.write('empty_full.csv', `${loadReferenceDataset('breast_cancer').featureNames.join(',')},target\n`);
    const schema = loadReferenceDataset('breast_cancer').featureNames.map((name) => `${name}: number`).join(', ');
    const empty = await expectRefused({ source: 'empty_full.csv', model, ingest: `, schema: { ${schema}, target: integer }, checks: { min_rows: 0 }` });
    expect(empty).toMatch(/error: dataset:\/\/input\d+@1 has no rows to score$/);
  });
});
