// The ONNX writer checked three ways: against the reference models' outputs
// in test/fixtures/onnx/golden.json, against the in-memory predictor on
// random rows (NaN, unseen categories, thresholds at float32 edges), and by
// onnx.checker when Debian's python3-onnx is installed.
import { seededRandom } from '../tasks/ml/gbdt/seeded-random.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { FeaturePlan, FittedModel, LearningTask, ModelMetadata, RegressionTree } from '../tasks/ml/model-spec.js';
import { buildModelOnnx, openSession, readModelInfo, runModel, writeModelFile, type ModelPredictions } from '../tasks/ml/onnx/index.js';
import { applyFeaturePlan, predictScores, scoresToProbabilities } from '../tasks/ml/predict.js';

const fixtures = fileURLToPath(new URL('./fixtures/onnx/', import.meta.url));
const golden = JSON.parse(readFileSync(join(fixtures, 'golden.json'), 'utf8'));
const scratch = mkdtempSync(join(tmpdir(), 'sluice-onnx-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Table = Record<string, Float64Array | string[]>;

function metadataFor(task: LearningTask, plan: FeaturePlan, classes?: string[]): ModelMetadata {
  return { task, classes, target: 'outcome', plan, algorithm: 'hand_made', hyperparameters: { learning_rate: 0.1, note: 'test' } };
}

function classesFor(task: LearningTask): string[] | undefined {
  return task === 'multiclass' ? ['a', 'b', 'c'] : task === 'binary' ? ['no', 'yes'] : undefined;
}

function buildWithPlan(model: FittedModel, plan: FeaturePlan): Uint8Array {
  return buildModelOnnx(model, metadataFor(model.task, plan, classesFor(model.task)));
}

async function runOnnx(bytes: Uint8Array, table: Table, rows: number): Promise<ModelPredictions> {
  return runModel(await openSession(bytes), readModelInfo(bytes), table, rows);
}

function outputCount(model: FittedModel): number {
  return model.type === 'linear' ? model.weights.length : model.baseScores.length;
}

function reference(model: FittedModel, plan: FeaturePlan, table: Table): Float64Array {
  const scores = predictScores(model, applyFeaturePlan(plan, table));
  return scoresToProbabilities(model.task, scores, outputCount(model));
}

/** |actual - expected| <= 1e-6 (relative above 1), NaN only where NaN is expected. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let index = 0; index < expected.length; index += 1) {
    const [got, want] = [actual[index]!, expected[index]!];
    if (Number.isNaN(want)) {
      expect(got, `${what}[${index}]`).toBeNaN();
    } else if (Math.abs(got - want) > 1e-6 * Math.max(1, Math.abs(want))) {
      expect.fail(`${what}[${index}] = ${got}, expected ${want} within 1e-6`);
    }
  }
}

/** Labels must be the most probable class wherever that class is clear. */
function expectLabelsFollowProbabilities(labels: Int32Array, probabilities: Float64Array, classes: number): void {
  let checked = 0;
  for (let row = 0; row < labels.length; row += 1) {
    const ranked = Array.from(probabilities.subarray(row * classes, (row + 1) * classes)).map((p, k) => [p, k] as const)
      .sort((a, b) => b[0] - a[0]);
    const [best, second] = [ranked[0]!, ranked[1]!];
    if (Number.isNaN(best[0]) || best[0] - second[0] < 1e-5) continue;
    expect(labels[row], `label of row ${row}`).toBe(best[1]);
    checked += 1;
  }
  expect(checked).toBeGreaterThan(labels.length / 2);
}

function goldenColumns(rows: (number | null)[][]): Table {
  return Object.fromEntries(rows[0]!.map((_, f) => [`x${f}`, Float64Array.from(rows, (row) => row[f] ?? Number.NaN)]));
}

function treeFromGolden(nodes: any[]): RegressionTree {
  const tree: RegressionTree = { output: 0, feature: [], threshold: [], left: [], right: [], missingGoesLeft: [], value: [] };
  for (const node of nodes) {
    tree.feature[node.id] = node.leaf ? -1 : node.feature;
    tree.threshold[node.id] = node.leaf ? 0 : node.threshold;
    tree.left[node.id] = node.leaf ? -1 : node.left;
    tree.right[node.id] = node.leaf ? -1 : node.right;
    tree.missingGoesLeft[node.id] = node.missingLeft === true;
    tree.value[node.id] = node.leaf ? node.value : 0;
  }
  return tree;
}

/** The golden models as FittedModel + FeaturePlan, one raw column per feature (x0, x1, …). */
const goldenCases: { name: string; model: FittedModel; plan: FeaturePlan }[] = [];
const pipeline = golden.cases.logreg_pipeline.params;
goldenCases.push({
  name: 'logreg_pipeline',
  model: { type: 'linear', task: 'binary', weights: [pipeline.coef], intercepts: [pipeline.intercept] },
  plan: {
    columns: pipeline.coef.map((_: number, f: number) => ({
      kind: 'numeric',
      column: `x${f}`,
      steps: [{ op: 'impute', value: pipeline.impute[f] }, { op: 'scale', offset: pipeline.offset[f], scale: pipeline.scale[f] }],
    })),
  },
});
for (const [name, task] of [['tree_classifier_binary', 'binary'], ['tree_regressor', 'regression']] as const) {
  const params = golden.cases[name].params;
  goldenCases.push({
    name,
    model: { type: 'tree_ensemble', task, baseScores: [params.base], trees: params.trees.map((tree: any) => treeFromGolden(tree.nodes)) },
    plan: { columns: [0, 1].map((f) => ({ kind: 'numeric', column: `x${f}`, steps: [] })) },
  });
}

describe('models built from the reference parameters reproduce golden.json', () => {
  for (const { name, model, plan } of goldenCases) {
    it(`${name}: onnxruntime and the in-memory predictor give golden.json's outputs`, async () => {
      const expected = golden.cases[name];
      const table = goldenColumns(expected.input.rows);
      const rows = expected.input.rows.length;
      const predictions = await runOnnx(buildWithPlan(model, plan), table, rows);
      if (model.task === 'regression') {
        expectClose(predictions.values!, expected.outputs.variable.data, `${name} variable`);
      } else {
        expect(Array.from(predictions.labels!)).toEqual(expected.outputs.label.data);
        expectClose(predictions.probabilities!, expected.outputs.probabilities.data, `${name} probabilities`);
      }
      const inMemory = reference(model, plan, table);
      expectClose(inMemory, (expected.outputs.probabilities ?? expected.outputs.variable).data, `${name} predictor`);
    });
  }

  it('the reference files themselves read back as IR 8 with opsets ai.onnx 17 and ai.onnx.ml 3', () => {
    const plain = readModelInfo(readFileSync(join(fixtures, 'plain_logistic.onnx')), 'plain_logistic.onnx');
    expect(plain).toMatchObject({
      irVersion: 8,
      opsets: { 'ai.onnx': 17 },
      inputs: [{ name: 'X', elementType: 'float', shape: ['N', 3] }],
      outputs: [{ name: 'p', elementType: 'float', shape: ['N', 1] }],
    });
    expect(plain.metadata).toBeUndefined();
    const pipelineInfo = readModelInfo(readFileSync(join(fixtures, 'logreg_pipeline.onnx')));
    expect(pipelineInfo.opsets).toEqual({ 'ai.onnx': 17, 'ai.onnx.ml': 3 });
    expect(pipelineInfo.outputs.map((output) => [output.name, output.elementType])).toEqual([['label', 'int64'], ['probabilities', 'float']]);
  });
});

/** The float32 next to `value` (a float32) in the direction of `step` (+1 or -1). */
function float32Neighbour(value: number, step: 1 | -1): number {
  const bits = new Int32Array(new Float32Array([value]).buffer);
  if (value === 0) return step * 2 ** -149;
  bits[0]! += (value > 0 ? step : -step);
  return new Float32Array(bits.buffer)[0]!;
}

/** The largest float32 <= value: how trainers store thresholds. */
function float32Below(value: number): number {
  const rounded = Math.fround(value);
  return rounded > value ? float32Neighbour(rounded, -1) : rounded;
}

/** Five raw columns through every step kind and a one-hot column: 7 model features. */
const plan: FeaturePlan = {
  columns: [
    { kind: 'numeric', column: 'age', steps: [{ op: 'impute', value: 40 }, { op: 'clip', min: 0, max: 90 }, { op: 'log1p' }, { op: 'scale', offset: 3.5, scale: 1.25 }] },
    { kind: 'numeric', column: 'income', steps: [{ op: 'clip', min: 0 }, { op: 'scale', offset: 50, scale: 0.02 }] },
    { kind: 'numeric', column: 'edge', steps: [] },
    { kind: 'one_hot', column: 'city', categories: ['lyon', 'oslo', 'quito'] },
    { kind: 'numeric', column: 'ratio', steps: [{ op: 'impute', value: 0.5 }, { op: 'clip', max: 1 }] },
  ],
};
const EDGE_FEATURE = 2;
/** Thresholds where float32 rounding matters, for the raw `edge` column. */
const edgeThresholds = [float32Below(0.1), float32Below(-2.7), 2 ** 24, float32Below(1e30), 0, float32Below(1 / 3)];

function randomTable(random: () => number, rows: number): Table {
  const maybeMissing = (value: number) => (random() < 0.1 ? Number.NaN : value);
  const edgeValue = () => {
    const threshold = edgeThresholds[Math.floor(random() * edgeThresholds.length)]!;
    const pick = random();
    if (pick < 0.3) return threshold;
    if (pick < 0.6) return float32Neighbour(threshold, pick < 0.45 ? 1 : -1);
    return pick < 0.9 ? Math.fround((random() - 0.5) * 8) : Number.NaN;
  };
  const cities = ['lyon', 'oslo', 'quito', 'paris', ''];
  return {
    age: Float64Array.from({ length: rows }, () => maybeMissing(random() * 110 - 10)),
    income: Float64Array.from({ length: rows }, () => maybeMissing(random() * 140 - 20)),
    edge: Float64Array.from({ length: rows }, edgeValue),
    city: Array.from({ length: rows }, () => cities[Math.floor(random() * cities.length)]!),
    ratio: Float64Array.from({ length: rows }, () => maybeMissing(random() * 2 - 0.5)),
  };
}

/** A random tree of the given depth over the plan's features; the `edge` feature splits at edgeThresholds. */
function randomTree(random: () => number, depth: number, output: number): RegressionTree {
  const tree: RegressionTree = { output, feature: [], threshold: [], left: [], right: [], missingGoesLeft: [], value: [] };
  const grow = (level: number): number => {
    const node = tree.feature.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.missingGoesLeft.push(false);
    tree.value.push(0);
    if (level === depth || random() < 0.15) {
      tree.value[node] = Math.round((random() - 0.5) * 2000) / 10000;
      return node;
    }
    const feature = Math.floor(random() * 7);
    tree.feature[node] = feature;
    tree.threshold[node] = feature === EDGE_FEATURE
      ? edgeThresholds[Math.floor(random() * edgeThresholds.length)]!
      : feature >= 3 && feature <= 5 ? 0.5 : float32Below((random() - 0.5) * 3);
    tree.missingGoesLeft[node] = random() < 0.5;
    tree.left[node] = grow(level + 1);
    tree.right[node] = grow(level + 1);
    return node;
  };
  grow(0);
  return tree;
}

function randomEnsemble(task: LearningTask, seed: number, treeCount = 24): FittedModel {
  const random = seededRandom(seed);
  const outputs = task === 'multiclass' ? 3 : 1;
  const trees = Array.from({ length: treeCount }, (_, index) => randomTree(random, 4, index % outputs));
  const baseScores = Array.from({ length: outputs }, (_, index) => [0.3, -0.2, 0.05][index]!);
  return { type: 'tree_ensemble', task, baseScores, trees };
}

const handMadeModels: Record<string, FittedModel> = {
  'linear binary': { type: 'linear', task: 'binary', weights: [[0.8, -1.1, 0.3, 0.5, -0.25, 1.5, -2]], intercepts: [0.2] },
  'linear multiclass': {
    type: 'linear',
    task: 'multiclass',
    weights: [[0.8, -1.1, 0.3, 0.5, -0.25, 1.5, -2], [-0.4, 0.6, 0.1, -1, 0.75, 0, 1.2], [0, 0.3, -0.2, 0.2, 0.1, -0.6, 0.4]],
    intercepts: [0.2, -0.1, 0.05],
  },
  'linear regression': { type: 'linear', task: 'regression', weights: [[1.5, -0.7, 0.25, 2, -1, 0.5, 3]], intercepts: [-0.4] },
  'tree ensemble binary': randomEnsemble('binary', 11),
  'tree ensemble multiclass': randomEnsemble('multiclass', 12),
  'tree ensemble regression': randomEnsemble('regression', 13),
  // Summed in float32, 2000 leaves drift from the float64 sum by ~2e-6; the writer makes onnxruntime sum in float64.
  'tree ensemble regression with 2000 trees': randomEnsemble('regression', 14, 2000),
  // No negative leaf: onnxruntime's labels need the writer's extra leaf here.
  'tree ensemble binary with only positive leaves': {
    type: 'tree_ensemble',
    task: 'binary',
    baseScores: [-0.35],
    trees: [{ output: 0, feature: [2, -1, -1], threshold: [0, 0, 0], left: [1, -1, -1], right: [2, -1, -1], missingGoesLeft: [true, false, false], value: [0, 0.1, 0.6] }],
  },
};

/** One stump per edge threshold on the raw `edge` feature; stump i adds -(i+1)/8 left, (i+1)/4 right. */
const edgeModel: FittedModel = {
  type: 'tree_ensemble',
  task: 'regression',
  baseScores: [0],
  trees: edgeThresholds.map((threshold, index) => ({
    output: 0, feature: [EDGE_FEATURE, -1, -1], threshold: [threshold, 0, 0], left: [1, -1, -1], right: [2, -1, -1],
    missingGoesLeft: [index % 2 === 0, false, false], value: [0, -(index + 1) / 8, (index + 1) / 4],
  })),
};

describe('ONNX outputs equal the in-memory predictor', () => {
  const rows = 400;
  const table = randomTable(seededRandom(7), rows);

  for (const [name, model] of Object.entries(handMadeModels)) {
    it(`${name}: same outputs on random rows with NaN, unseen categories and float32-edge values`, async () => {
      const predictions = await runOnnx(buildWithPlan(model, plan), table, rows);
      const expected = reference(model, plan, table);
      if (model.task === 'regression') {
        expectClose(predictions.values!, expected, `${name} values`);
        return;
      }
      expectClose(predictions.probabilities!, expected, `${name} probabilities`);
      expectLabelsFollowProbabilities(predictions.labels!, expected, classesFor(model.task)!.length);
    });
  }

  it('rows at a float32 threshold, one float32 step either side and NaN go where the tree says', async () => {
    const values = edgeThresholds.flatMap((t) => [t, float32Neighbour(t, 1), float32Neighbour(t, -1)]);
    const edgeTable: Table = { ...randomTable(seededRandom(3), values.length + 1), edge: Float64Array.from([...values, Number.NaN]) };
    const predictions = await runOnnx(buildWithPlan(edgeModel, plan), edgeTable, values.length + 1);
    const expected = reference(edgeModel, plan, edgeTable);
    expectClose(predictions.values!, expected, 'edge values');
    // Only tree `index` decides differently between its threshold (left,
    // since <=) and the next float32 up (right), so the two rows differ by
    // exactly that tree's left minus right leaf.
    edgeThresholds.forEach((_, index) => {
      const [atThreshold, justAbove] = [predictions.values![index * 3]!, predictions.values![index * 3 + 1]!];
      expect(atThreshold - justAbove).toBeCloseTo(-(index + 1) * 3 / 8, 6);
    });
  });

  it('a tree that splits a logged column exactly at a row\'s value sends that row left in onnxruntime too', async () => {
    // Trainers put thresholds on data values; onnxruntime's float32 Log is one
    // ulp off for about one value in seven, which used to flip such rows.
    const random = seededRandom(5);
    const rows = 600;
    const logPlan: FeaturePlan = { columns: [{ kind: 'numeric', column: 'x', steps: [{ op: 'log1p' }] }] };
    const logTable: Table = { x: Float64Array.from({ length: rows }, () => Math.fround(random() * 500)) };
    const logged = applyFeaturePlan(logPlan, logTable)[0]!;
    // Stump i adds 1 when a row's logged value is above row i's: each row scores its rank.
    const model: FittedModel = {
      type: 'tree_ensemble', task: 'regression', baseScores: [0],
      trees: Array.from(logged, (threshold) => ({
        output: 0, feature: [0, -1, -1], threshold: [threshold, 0, 0], left: [1, -1, -1], right: [2, -1, -1], missingGoesLeft: [false, false, false], value: [0, 0, 1],
      })),
    };
    const predictions = await runOnnx(buildWithPlan(model, logPlan), logTable, rows);
    const ranks = Array.from(logged, (value) => logged.filter((other) => other < value).length);
    expect(Array.from(predictions.values!)).toEqual(ranks);
  });
});

describe('reading a model back', () => {
  const model = handMadeModels['linear multiclass']!;
  const metadata = metadataFor('multiclass', plan, ['a', 'b', 'c']);
  const bytes = buildModelOnnx(model, metadata);

  it('returns the metadata, one input per raw column in plan order, the outputs and the opsets', () => {
    const info = readModelInfo(bytes);
    expect(info.metadata).toEqual(JSON.parse(JSON.stringify(metadata)));
    expect(info.inputs).toEqual([
      { name: 'age', elementType: 'float', shape: ['N', 1] },
      { name: 'income', elementType: 'float', shape: ['N', 1] },
      { name: 'edge', elementType: 'float', shape: ['N', 1] },
      { name: 'city', elementType: 'string', shape: ['N', 1] },
      { name: 'ratio', elementType: 'float', shape: ['N', 1] },
    ]);
    expect(info.outputs).toEqual([
      { name: 'label', elementType: 'int64', shape: ['N'] },
      { name: 'probabilities', elementType: 'float', shape: ['N', 3] },
    ]);
    expect(info).toMatchObject({ irVersion: 8, opsets: { 'ai.onnx': 17, 'ai.onnx.ml': 3 } });
    const regression = readModelInfo(buildModelOnnx(handMadeModels['linear regression']!, metadataFor('regression', plan)));
    expect(regression.outputs).toEqual([{ name: 'variable', elementType: 'float', shape: ['N', 1] }]);
  });

  it('says plainly when the bytes are garbage, empty or a truncated model', async () => {
    const garbage = new TextEncoder().encode('name,age\nada,36\n'.repeat(8));
    expect(() => readModelInfo(garbage, 'people.csv')).toThrow(/^people\.csv is not an ONNX model: /);
    expect(() => readModelInfo(new Uint8Array(0), 'empty.onnx')).toThrow('empty.onnx is not an ONNX model: it is empty (0 bytes)');
    expect(() => readModelInfo(bytes.subarray(0, Math.floor(bytes.length / 2)), 'cut.onnx'))
      .toThrow(/^cut\.onnx is not an ONNX model: its protobuf encoding is broken or cut short/);
    const path = join(scratch, 'truncated.onnx');
    writeFileSync(path, bytes.subarray(0, 100));
    await expect(openSession(path)).rejects.toThrow(`${path} is not an ONNX model`);
  });

  it('writes a model file atomically, replacing the old one and leaving no temporary file', async () => {
    const path = join(scratch, 'model.onnx');
    writeFileSync(path, 'an older model');
    writeModelFile(path, bytes);
    expect(Buffer.compare(readFileSync(path), bytes)).toBe(0);
    expect(readdirSync(scratch).filter((file) => file.includes('.tmp-'))).toEqual([]);
    const predictions = await runModel(await openSession(path), readModelInfo(bytes), randomTable(seededRandom(5), 3), 3);
    expect(predictions.probabilities).toHaveLength(9);
  });
});

describe('bad inputs get errors that name the problem', () => {
  const linear = handMadeModels['linear binary']!;

  it('a column missing from the data is named, by the predictor and by inference', async () => {
    const { city: _city, ...withoutCity } = randomTable(seededRandom(1), 4);
    expect(() => applyFeaturePlan(plan, withoutCity)).toThrow(/reads column 'city' but the data has no such column/);
    const bytes = buildWithPlan(linear, plan);
    await expect(runOnnx(bytes, withoutCity, 4)).rejects.toThrow("the model needs input column 'city'");
  });

  it('a model whose width does not match its feature plan is refused', () => {
    const narrow: FittedModel = { ...linear, weights: [[1, 2, 3]] } as FittedModel;
    expect(() => buildModelOnnx(narrow, metadataFor('binary', plan))).toThrow(/weight row of 3 features but its feature plan makes 7/);
    expect(() => buildModelOnnx(linear, metadataFor('regression', plan))).toThrow('the model is a binary model but its metadata says regression');
  });

  it('a column named like a model output, or holding the wrong kind of values, is refused', async () => {
    const clash: FeaturePlan = { columns: [{ kind: 'numeric', column: 'label', steps: [] }] };
    expect(() => buildModelOnnx({ type: 'linear', task: 'binary', weights: [[1]], intercepts: [0] }, metadataFor('binary', clash)))
      .toThrow("input column 'label' has the name of a model output; rename the column");
    const numericCity = { ...randomTable(seededRandom(2), 3), city: Float64Array.from([1, 2, 3]) };
    expect(() => applyFeaturePlan(plan, numericCity)).toThrow("column 'city' is one-hot encoded in the feature plan but holds numbers");
    await expect(runOnnx(buildWithPlan(linear, plan), numericCity, 3)).rejects.toThrow("input column 'city' must hold strings");
  });
});

/** Debian's python3-onnx, which may sit behind a pyenv `python3` without it. */
function findOnnxChecker(): string | undefined {
  return ['python3', '/usr/bin/python3'].find((python) =>
    spawnSync(python, ['-c', 'import onnx.checker'], { stdio: 'ignore' }).status === 0);
}

const checkerPython = findOnnxChecker();
// CI must run the checker; elsewhere it runs when python3-onnx is there.
const runChecker = process.env.CI === 'true' || checkerPython !== undefined;
const checkerReason = checkerPython ? '' : ' (skipped: python3-onnx is not installed)';

describe('onnx.checker', () => {
  it.runIf(runChecker)(`every written model passes check_model(full_check=True)${checkerReason}`, () => {
    if (!checkerPython) expect.fail('onnx.checker is needed under CI but python3 cannot import onnx: install python3-onnx');
    const models: [string, Uint8Array][] = [
      ...goldenCases.map(({ name, model, plan: goldenPlan }): [string, Uint8Array] => [name, buildWithPlan(model, goldenPlan)]),
      ...Object.entries(handMadeModels).map(([name, model]): [string, Uint8Array] => [name, buildWithPlan(model, plan)]),
      ['edge regression', buildWithPlan(edgeModel, plan)],
    ];
    const paths = models.map(([name, bytes], index) => {
      const path = join(scratch, `checked-${index}.onnx`);
      writeFileSync(path, bytes);
      return [name, path];
    });
    const script = [
      'import json, sys, onnx',
      'failures = []',
      'for name, path in json.loads(sys.argv[1]):',
      '    try:',
      '        onnx.checker.check_model(onnx.load(path), full_check=True)',
      '    except Exception as error:',
      '        failures.append(f"{name}: {error}")',
      'print("\\n".join(failures))',
    ].join('\n');
    const result = spawnSync(checkerPython!, ['-c', script, JSON.stringify(paths)], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('');
  });
});
