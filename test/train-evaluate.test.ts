// train and evaluate end to end on the reference datasets: the metrics that
// onnxruntime gives on the exported models equal scikit-learn's.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeCheckedModel } from '../tasks/train/model-check.js';
import { loadReferenceDataset, trainingPipeline } from './ml-fixtures.js';
import { workspace, type Workspace } from './ml-helpers.js';
import { runSluice } from './run-sluice.js';

const fixtures = fileURLToPath(new URL('./fixtures/datasets/', import.meta.url));

/** ingest → feature (split row_index % 5 == 0 → test, every feature standardized) → train → evaluate. */
function pipeline(name: string, algorithm: string, options: { steps?: string; target?: string; evaluate?: string; train?: string } = {}) {
  const { evaluate, ...rest } = options;
  return trainingPipeline(name, algorithm, {
    ...rest,
    tasks: `  - task_key: evaluate
    depends_on: [train]
    evaluate:
      model: "{{tasks.train.values.model}}"
      dataset: "{{tasks.features.values.dataset}}"
${evaluate ?? ''}`,
  });
}

describe('train and evaluate', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = workspace('train');
    for (const name of ['breast_cancer', 'iris', 'diabetes', 'fair']) copyFileSync(join(fixtures, `${name}.csv`), join(ws.root, `${name}.csv`));
  });

  it('logistic regression on breast_cancer scores scikit-learn\'s accuracy and ROC AUC through the ONNX model', () => {
    const result = ws.run(pipeline('breast_cancer', 'logistic_regression'));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const baseline = loadReferenceDataset('breast_cancer').reference.baselines.logreg;
    const values = ws.values('evaluate');
    expect(Number(values.accuracy)).toBeCloseTo(baseline.accuracy, 9);
    expect(Number(values.roc_auc)).toBeCloseTo(baseline.roc_auc, 9);
    expect(Number(values.log_loss)).toBeCloseTo(baseline.log_loss, 3);
    expect(JSON.parse(values.confusion_matrix!).flat().reduce((a: number, b: number) => a + b)).toBe(114);
    expect(ws.values('train')).toMatchObject({ algorithm: 'logistic_regression', task: 'binary', train_rows: '455', features: '30', classes: '["0","1"]' });
  });

  it('gradient boosting on iris (multiclass) is within 0.01 accuracy of scikit-learn', () => {
    const result = ws.run(pipeline('iris', 'gradient_boosting', { steps: '[]' }));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const baseline = loadReferenceDataset('iris').reference.baselines.hgb;
    expect(Math.abs(Number(ws.values('evaluate').accuracy) - baseline.accuracy)).toBeLessThanOrEqual(0.01);
    expect(ws.values('train').task).toBe('multiclass');
  });

  it('linear regression on diabetes equals scikit-learn\'s RMSE, MAE and R²', () => {
    const result = ws.run(pipeline('diabetes', 'linear_regression', { train: '      hyperparameters: { alpha: 0 }' }));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const baseline = loadReferenceDataset('diabetes').reference.baselines.linreg;
    const values = ws.values('evaluate');
    expect(Number(values.rmse)).toBeCloseTo(baseline.rmse, 4);
    expect(Number(values.mae)).toBeCloseTo(baseline.mae, 4);
    expect(Number(values.r2)).toBeCloseTo(baseline.r2, 6);
  });

  it('a missed gate fails the task, or sets passed=false when told to continue', () => {
    const gate = (onFailure: string) => `      gate: { min: { roc_auc: 0.999 }, max: { log_loss: 0.5 }, on_failure: ${onFailure} }`;
    expect(ws.run(pipeline('breast_cancer', 'logistic_regression', { evaluate: gate('fail') })).code).toBe(1);
    expect(ws.message('evaluate')).toMatch(/misses its gate on dataset:\/\/breast_cancer_features@1: roc_auc 0\.996\d < min 0\.999/);
    const continued = ws.run(pipeline('breast_cancer', 'logistic_regression', { evaluate: gate('continue') }));
    expect(continued.code).toBe(0);
    expect(ws.values('evaluate')).toMatchObject({ passed: 'false' });
    expect(ws.values('evaluate').failed_gates).toContain('roc_auc');
    // The log shows the confusion matrix and the verdict of every bound.
    const runId = /run (\d+) of/.exec(continued.stdout)![1]!;
    const log = runSluice(['logs', runId, 'evaluate', '--state', ws.state], ws.root).stdout;
    expect(log).toMatch(/confusion matrix \(rows: true class, columns: predicted class\):\n\s+0\s+1\n\s+0\s+\d+\s+\d+\n\s+1\s+\d+\s+\d+/);
    expect(log).toMatch(/gate missed: roc_auc 0\.996\d < min 0\.999 \(met: log_loss 0\.\d+ <= max 0\.5\); the task goes on with passed=false/);
  });

  it('a target with one class, a missing value for a linear model and unknown hyperparameters are clear errors', () => {
    ws.write('one_class.csv', 'x,y\n1,0\n2,0\n3,0\n4,0\n5,0\n6,0\n');
    const yaml = (train: string) => `name: bad_training
tasks:
  - task_key: ingest
    ingest: { source: one_class.csv, dataset: one_class }
  - task_key: train
    depends_on: [ingest]
    train:
      dataset: "{{tasks.ingest.values.dataset}}"
      target: y
${train}`;
    expect(ws.run(yaml('      algorithm: logistic_regression\n')).code).toBe(1);
    expect(ws.message('train')).toContain("target 'y' of dataset://one_class@1 has only one class (0)");
    ws.write('missing.csv', 'x,y\n1,0\n,1\n3,0\n4,1\n');
    expect(ws.run(yaml('      algorithm: logistic_regression\n').replaceAll('one_class', 'missing')).code).toBe(1);
    expect(ws.message('train')).toContain("feature 'x' is missing at row 2 of dataset://missing@1; logistic_regression needs every value: add {impute: median}");
    expect(ws.run(yaml('      algorithm: logistic_regression\n      hyperparameters: { max_depth: 3 }\n').replaceAll('one_class', 'missing')).code).toBe(1);
    expect(ws.message('train')).toContain('hyperparameter max_depth does not apply to logistic_regression (it is for gradient_boosting)');
  });

  it('an infinite feature value names the train row and the dataset row, and a clip step lets it train; scoring names the row of a text value or an empty label', () => {
    ws.write('inf.csv', 'id,x,label\n1,0.5,a\n2,1.5,b\n3,2.5,a\n4,inf,b\n5,3.5,a\n6,4.5,b\n7,-inf,a\n8,5.5,b\n9,1,a\n10,2,b\n11,3,a\n');
    const yaml = (steps: string) => `name: infinite_training
tasks:
  - task_key: ingest
    ingest: { source: inf.csv, dataset: inf }
  - task_key: features
    depends_on: [ingest]
    feature:
      inputs: { raw: "{{tasks.ingest.values.dataset}}" }
      dataset: inf_features
      target: label
      split: { by: row_index, modulo: 5 }
      features: { x: ${steps} }
  - task_key: train
    depends_on: [features]
    train: { dataset: "{{tasks.features.values.dataset}}", algorithm: logistic_regression }
`;
    expect(ws.run(yaml('[]')).code).toBe(1);
    const unclipped = ws.values('features').dataset;
    // Dataset row 1 is a test row, so dataset row 4 is the third train row.
    expect(ws.message('train')).toMatch(/column 'x' has an infinite value \(Infinity\) at row 3 of the train rows \(row 4 of dataset:\/\/inf_features@\d+\); add a \{clip: \{min, max\}\} step for it in the feature task/);
    const clipped = ws.run(yaml('[{clip: {min: 0, max: 10}}]'));
    expect(clipped.code, clipped.stdout + clipped.stderr).toBe(0);
    expect(ws.values('train').train_rows).toBe('8');
    // The same rows with another feature plan are another version: train reads the plan from it.
    expect(ws.values('features').dataset).not.toBe(unclipped);

    const model = ws.values('train').model!;
    const evaluate = (csv: string) => {
      ws.write('scored.csv', csv);
      return ws.run(`name: scoring
tasks:
  - task_key: ingest
    ingest: { source: scored.csv, dataset: scored, on_schema_change: allow }
  - task_key: evaluate
    depends_on: [ingest]
    evaluate: { model: ${model}, dataset: "{{tasks.ingest.values.dataset}}", split: all }
`);
    };
    expect(evaluate('id,x,label\n1,0.5,a\n2,n/a,b\n3,2,a\n').code).toBe(1);
    expect(ws.message('evaluate')).toMatch(/column 'x' of dataset:\/\/scored@\d+ holds string values, but the model reads it as a number: row 2 of dataset:\/\/scored@\d+ holds 'n\/a'/);
    expect(evaluate('id,x,label\n1,0.5,a\n2,1.5,\n3,2,a\n').code).toBe(1);
    expect(ws.message('evaluate')).toMatch(/target 'label' is empty at row 2 of dataset:\/\/scored@\d+; models learn from and are scored on labelled rows only: filter the others out in the feature SQL \(e\.g\. WHERE label IS NOT NULL\)/);
  });

  it('an empty dataset is named as such by train and by a feature task that passes it through', () => {
    ws.write('empty.csv', 'x,label\n');
    const result = ws.run(`name: empty
tasks:
  - task_key: ingest
    ingest: { source: empty.csv, dataset: empty0, checks: { min_rows: 0 } }
  - task_key: train
    depends_on: [ingest]
    train: { dataset: "{{tasks.ingest.values.dataset}}", algorithm: gradient_boosting, target: label }
  - task_key: features
    depends_on: [ingest]
    feature: { inputs: { raw: "{{tasks.ingest.values.dataset}}" }, dataset: empty_features }
`);
    expect(result.code).toBe(1);
    expect(ws.message('train')).toContain('dataset://empty0@1 has no rows; a model needs rows to learn from');
    expect(ws.message('features')).toContain('dataset://empty0@1 has no rows');
    expect(ws.message('features')).not.toContain('SQL');
  });

  it('an integer target with many distinct values needs task:, and evaluate lists at most 10 classes the model knows', () => {
    const result = ws.run(pipeline('diabetes', 'gradient_boosting', { steps: '[]' }));
    expect(result.code).toBe(1);
    expect(ws.message('train')).toMatch(new RegExp("target 'target' of dataset://diabetes_features@\\d+ holds integers with 191 distinct values in 353 train rows, " +
      'which looks like a quantity rather than classes: to predict the number set task: regression; to treat each value as a class, set task: classification'));
    expect(ws.run(pipeline('diabetes', 'gradient_boosting', { steps: '[]', train: '      task: regression' })).code).toBe(0);
    expect(ws.values('train').task).toBe('regression');

    expect(ws.run(pipeline('diabetes', 'gradient_boosting', { steps: '[]', train: '      task: classification\n      hyperparameters: { max_iterations: 1 }' })).code).toBe(1);
    const message = ws.message('evaluate');
    expect(message).toMatch(/has class '\d+' in target, which the model does not know \(its classes: 25, 31, 37, 39, 40, 42, 43, 44, 45, 47, … \d+ more\)/);
  });

  it('evaluating on data without a model feature names the column, and a file that is not ONNX is refused', () => {
    ws.write('narrow.csv', 'mean_radius,target\n14.1,1\n20.0,0\n');
    const first = ws.run(pipeline('breast_cancer', 'logistic_regression'));
    expect(first.code).toBe(0);
    const model = ws.values('train').model!;
    writeFileSync(join(ws.root, 'not-a-model.onnx'), 'hello');
    const evaluate = (file: string) => `name: evaluate_elsewhere
tasks:
  - task_key: ingest
    ingest: { source: narrow.csv, dataset: narrow }
  - task_key: evaluate
    depends_on: [ingest]
    evaluate: { model: ${file}, dataset: "{{tasks.ingest.values.dataset}}", split: all }
`;
    expect(ws.run(evaluate(model)).code).toBe(1);
    expect(ws.message('evaluate')).toContain("dataset://narrow@1 has no column 'mean_texture' (a model feature)");
    expect(ws.run(evaluate('not-a-model.onnx')).code).toBe(1);
    expect(ws.message('evaluate')).toMatch(/not-a-model\.onnx is not an ONNX model/);
  });
});

describe('regression targets of realistic size', () => {
  // Diabetes with its target scaled to house prices (~2e5) and to a centered
  // ±2e8: onnxruntime returns float32, which rounds such outputs by far more
  // than any fixed tolerance, and must still pass the export check.
  const diabetes = loadReferenceDataset('diabetes');
  const scaled = (scale: (y: number) => number) => {
    const rows = readFileSync(join(fixtures, 'diabetes.csv'), 'utf8').trimEnd().split('\n');
    const target = rows[0]!.split(',').indexOf('target');
    return [rows[0], ...rows.slice(1).map((line) => line.split(',').map((cell, i) => (i === target ? String(scale(Number(cell))) : cell)).join(','))].join('\n') + '\n';
  };
  for (const [name, scale] of [['prices', (y: number) => y * 1000], ['centered', (y: number) => (y - 152) * 1e6]] as const) {
    it(`linear_regression and gradient_boosting train and score a target of ${name === 'prices' ? '~2e5' : '±2e8'}`, () => {
      const ws = workspace(`scaled-${name}`);
      ws.write(`${name}.csv`, scaled(scale));
      for (const algorithm of ['linear_regression', 'gradient_boosting']) {
        const result = ws.run(pipeline('diabetes', algorithm, { train: algorithm === 'gradient_boosting' ? '      task: regression' : '      hyperparameters: { alpha: 0 }' })
          .replaceAll('diabetes.csv', `${name}.csv`));
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(ws.values('train').task).toBe('regression');
        expect(existsSync(ws.values('train').model!)).toBe(true);
        expect(readdirSync(dirname(ws.values('train').model!))).toEqual(['model.onnx']);
        // R² does not depend on the target's units: the scaled fit scores like the original.
        if (algorithm === 'linear_regression') expect(Number(ws.values('evaluate').r2)).toBeCloseTo(diabetes.reference.baselines.linreg.r2, 5);
        else expect(Number(ws.values('evaluate').r2)).toBeGreaterThan(0.3);
      }
    });
  }

  it('a model that fails its onnxruntime check is not left as model.onnx', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sluice-check-'));
    const modelFile = join(folder, 'model.onnx');
    await expect(writeCheckedModel(modelFile, new Uint8Array([1, 2, 3]), async () => {
      throw new Error('disagrees');
    })).rejects.toThrow('disagrees');
    expect(readdirSync(folder)).toEqual([]);
    await writeCheckedModel(modelFile, new Uint8Array([1, 2, 3]), async (file) => expect(readFileSync(file)).toHaveLength(3));
    expect(readdirSync(folder)).toEqual(['model.onnx']);
  });
});

const sklearnPython = ['python3', '/usr/bin/python3'].find((python) =>
  spawnSync(python, ['-c', 'import sklearn, onnx'], { stdio: 'ignore' }).status === 0);

describe('bring your own model', () => {
  it.runIf(sklearnPython !== undefined || process.env.CI === 'true')('a command task that writes model.onnx from scikit-learn is evaluated like a built-in model (needs python3-sklearn and python3-onnx)', () => {
    expect(sklearnPython, 'CI installs python3-sklearn and python3-onnx (apt-get)').toBeDefined();
    const ws = workspace('byo');
    copyFileSync(join(fixtures, 'breast_cancer.csv'), join(ws.root, 'breast_cancer.csv'));
    copyFileSync(fileURLToPath(new URL('../pipelines/ml/train_sklearn.py', import.meta.url)), join(ws.root, 'train_sklearn.py'));
    const features = loadReferenceDataset('breast_cancer').featureNames;
    const result = ws.run(`name: byo
tasks:
  - task_key: ingest
    ingest: { source: breast_cancer.csv, dataset: breast_cancer }
  - task_key: train
    depends_on: [ingest]
    command: [${sklearnPython}, train_sklearn.py, breast_cancer.csv, target]
  - task_key: evaluate
    depends_on: [train]
    evaluate:
      model: "{{tasks.train.values.model}}"
      dataset: "{{tasks.ingest.values.dataset}}"
      split: all
      target: target
      features: [${features.join(', ')}]
`);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(Number(ws.values('evaluate').accuracy)).toBeGreaterThan(0.95);
    expect(ws.values('evaluate').rows).toBe('569');
  });
});
