// evaluate: score a dataset's test rows with the exported model in
// onnxruntime (the same graph batch inference will run) and judge the metrics.
import { readFileSync } from 'node:fs';
import { DatasetStore } from '../data/dataset-store.js';
import { formatDatasetUri } from '../data/dataset-uri.js';
import { openDuckDb } from '../data/duckdb.js';
import { loadModelTable, rawColumns, SPLIT_COLUMN, type SplitChoice } from '../data/model-table.js';
import { classificationMetrics, regressionMetrics } from '../ml/metrics.js';
import type { FeaturePlan, ModelMetadata } from '../ml/model-spec.js';
import { openSession, readModelInfo, runModel, type ModelPredictions, type OnnxModelInfo } from '../ml/onnx/index.js';
import { shortList } from '../runtime/short-list.js';
import { resolveInput, TaskInputError, type TaskContext, type TaskValues } from '../runtime/task-context.js';
import { checkForeignInputs, runForeignModel } from './foreign-model.js';
import { gateVerdict, judgeGates, type GateSpec } from './gates.js';
import { formatConfusionMatrix } from './report.js';

export interface EvaluateParams {
  model: string;
  dataset: string;
  split?: SplitChoice;
  target?: string;
  features?: string[];
  gate?: GateSpec;
}

export async function run(params: EvaluateParams, context: TaskContext): Promise<TaskValues> {
  const modelFile = resolveInput(context, params.model);
  const info = readModel(modelFile);
  const connection = await openDuckDb();
  const store = DatasetStore.open(context);
  const session = await openSession(modelFile).catch((error: Error) => { throw new TaskInputError(error.message); });
  try {
    const dataset = store.resolve(params.dataset, 'dataset');
    const uri = formatDatasetUri(dataset.name, dataset.version);
    const metadata = info.metadata;
    const target = params.target ?? metadata?.target;
    if (!target) throw new TaskInputError(`${params.model} does not say which column it predicts; give target:`);
    const split: SplitChoice = params.split ?? (dataset.columns.some((column) => column.name === SPLIT_COLUMN) ? 'test' : 'all');
    const featureColumns = metadata ? undefined : checkForeignInputs(info, params.features, params.model);
    const plan: FeaturePlan = metadata?.plan ?? { columns: featureColumns!.map((column) => ({ kind: 'numeric', column, steps: [] })) };
    const classifier = metadata ? metadata.task !== 'regression' : info.outputs.length > 1;
    const table = await loadModelTable(connection, dataset, plan, { split, target: { column: target, numeric: !classifier } });
    const raw = rawColumns(table);
    const predictions = metadata
      ? await runModel(session, info, raw, table.rows)
      : await runForeignModel(session, info, featureColumns!.map((column) => raw[column] as Float64Array), table.rows);
    const metrics = classifier ? classify(predictions, table.targetText!, metadata, target, uri) : regress(predictions, table.targetNumbers!, target, uri);
    context.progress(`scored ${table.rows} ${split === 'all' ? '' : `${split} `}rows of ${uri} with ${params.model}:\n` +
      Object.entries(metrics.numbers).map(([name, value]) => `  ${name.padEnd(10)} ${value.toFixed(4)}`).join('\n'));
    if (metrics.extra.confusion_matrix) context.progress(formatConfusionMatrix(JSON.parse(metrics.extra.confusion_matrix), JSON.parse(metrics.extra.classes!)));

    const missed = params.gate ? judgeGates(params.gate, metrics.numbers) : [];
    if (params.gate) context.progress(gateVerdict(params.gate, metrics.numbers));
    if (missed.length > 0 && params.gate?.on_failure !== 'continue') {
      throw new TaskInputError(`the model misses its gate on ${uri}: ${missed.join('; ')}`);
    }
    return { ...metrics.numbers, ...metrics.extra, rows: table.rows, dataset: uri, passed: missed.length === 0, ...(missed.length ? { failed_gates: missed.join('; ') } : {}) };
  } finally {
    await session.release();
    store.close();
    connection.closeSync();
  }
}

function readModel(modelFile: string): OnnxModelInfo {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(modelFile);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new TaskInputError(`cannot read the model ${modelFile}: ${reason}`);
  }
  try {
    return readModelInfo(bytes, modelFile);
  } catch (error) {
    throw new TaskInputError((error as Error).message);
  }
}

interface MetricSet {
  numbers: Record<string, number>;
  extra: Record<string, string>;
}

function classify(predictions: ModelPredictions, labels: (string | null)[], metadata: ModelMetadata | undefined, target: string, uri: string): MetricSet {
  if (!predictions.probabilities) throw new TaskInputError('the model gives no class probabilities, so its ROC AUC and log loss cannot be computed');
  const classes = metadata?.classes ?? [...new Set(labels.filter((label): label is string => label !== null))].sort(compareLabels);
  const k = predictions.probabilities.length / labels.length;
  if (k !== classes.length) throw new TaskInputError(`the model gives ${k} class probabilities but ${target} of ${uri} has ${classes.length} classes (${shortList(classes)})`);
  const index = new Map(classes.map((label, i) => [label, i]));
  const indices = new Int32Array(labels.length);
  labels.forEach((label, row) => {
    const found = label === null ? undefined : index.get(label);
    if (found === undefined) {
      throw new TaskInputError(`row ${row + 1} of ${uri} has ${label === null ? 'no' : `class '${label}' in`} ${target}, which the model does not know (its classes: ${shortList(classes)})`);
    }
    indices[row] = found;
  });
  const { confusion_matrix: confusion, ...numbers } = classificationMetrics(indices, predictions.probabilities, classes.length);
  return { numbers, extra: { confusion_matrix: JSON.stringify(confusion), classes: JSON.stringify(classes) } };
}

function regress(predictions: ModelPredictions, target: Float64Array, column: string, uri: string): MetricSet {
  if (!predictions.values) throw new TaskInputError('the model gives no numeric prediction');
  const bad = target.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) throw new TaskInputError(`${column} of ${uri} has no usable value at row ${bad + 1}`);
  return { numbers: { ...regressionMetrics(target, predictions.values) }, extra: {} };
}

function compareLabels(a: string, b: string): number {
  const [x, y] = [Number(a), Number(b)];
  return Number.isFinite(x) && Number.isFinite(y) ? x - y : a < b ? -1 : a > b ? 1 : 0;
}
