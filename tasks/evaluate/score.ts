// Scoring one model on rows of a dataset version: load the columns its
// feature plan reads, run it in onnxruntime, compute the metrics. evaluate
// scores the candidate with it, and the champion of a `beat` gate on the
// same rows.
import type { DatasetVersion } from '../../engine/state/dataset-catalog.js';
import type { DuckDBConnection } from '../data/duckdb.js';
import { loadModelTable, rawColumns, type SplitChoice } from '../data/model-table.js';
import { classificationMetrics, regressionMetrics } from '../ml/metrics.js';
import type { FeaturePlan, ModelMetadata } from '../ml/model-spec.js';
import { openSession, runModel, type ModelPredictions } from '../ml/onnx/index.js';
import type { ResolvedModel } from '../registry/model-reference.js';
import { TaskInputError } from '../runtime/task-context.js';
import { shortList } from '../runtime/short-list.js';
import { checkForeignInputs, runForeignModel } from './foreign-model.js';

export interface ScoreRequest {
  dataset: DatasetVersion;
  /** The dataset's URI, for messages. */
  uri: string;
  split: SplitChoice;
  /** The label column; by default the model's own. */
  target?: string;
  /** Feature columns of a model made outside Sluice. */
  features?: string[];
}

export interface Scores {
  /** Metric → value; NaN where undefined (ROC AUC with one class present). */
  numbers: Record<string, number>;
  /** confusion_matrix and classes as JSON, for classifiers. */
  extra: Record<string, string>;
  rows: number;
  classifier: boolean;
  target: string;
}

export async function scoreModel(connection: DuckDBConnection, model: ResolvedModel, request: ScoreRequest): Promise<Scores> {
  const { info } = model;
  const metadata = info.metadata;
  const target = request.target ?? metadata?.target;
  if (!target) throw new TaskInputError(`${model.uri} does not say which column it predicts; give target:`);
  const featureColumns = metadata ? undefined : checkForeignInputs(info, request.features, model.uri);
  const plan: FeaturePlan = metadata?.plan ?? { columns: featureColumns!.map((column) => ({ kind: 'numeric', column, steps: [] })) };
  const classifier = metadata ? metadata.task !== 'regression' : info.outputs.length > 1;
  const table = await loadModelTable(connection, request.dataset, plan, { split: request.split, target: { column: target, numeric: !classifier } });
  const session = await openSession(model.file).catch((error: Error) => { throw new TaskInputError(error.message); });
  try {
    const raw = rawColumns(table);
    const predictions = metadata
      ? await runModel(session, info, raw, table.rows)
      : await runForeignModel(session, info, featureColumns!.map((column) => raw[column] as Float64Array), table.rows);
    const metrics = classifier
      ? classify(predictions, table.targetText!, metadata, target, request.uri)
      : regress(predictions, table.targetNumbers!, target, request.uri);
    return { ...metrics, rows: table.rows, classifier, target };
  } finally {
    await session.release();
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
