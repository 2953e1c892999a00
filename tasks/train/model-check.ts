// The exported graph must predict what the trained model predicts: run it
// with onnxruntime on training rows and compare with the float64 predictor,
// and only then give it its final name.
import { classificationMetrics, regressionMetrics } from '../ml/metrics.js';
import type { FittedModel } from '../ml/model-spec.js';
import { openSession, readModelInfo, runModel, writeModelFile } from '../ml/onnx/index.js';
import { predictScores, scoresToProbabilities } from '../ml/predict.js';
import { registerTempFile } from '../runtime/temp-files.js';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import type { TrainingSet } from './training-set.js';

const CHECKED_ROWS = 2000;
/**
 * Allowed difference per unit of an output's size. onnxruntime returns
 * float32 (LinearRegressor, TreeEnsembleRegressor and the classifiers of
 * ai.onnx.ml 3 have no float64 output), whose epsilon is 2^-23 ≈ 1.2e-7:
 * a target near 2e5 comes back rounded by up to 0.016. A fixed bound fails
 * on realistic targets; 1e-4 relative leaves room for ~800 float32
 * roundings (a linear model's sum over its features) and still catches a
 * wrong weight, threshold or branch, which moves an output by far more.
 */
const RELATIVE_TOLERANCE = 1e-4;

/** Largest difference between onnxruntime's and the in-memory outputs, relative to their size; throws when they disagree. */
export async function checkOnnxAgainstMemory(modelFile: string, model: FittedModel, data: TrainingSet): Promise<number> {
  const rows = Math.min(CHECKED_ROWS, data.rows);
  const features = data.features.map((values) => values.subarray(0, rows));
  const expected = memoryOutputs(model, features);
  const session = await openSession(modelFile);
  try {
    const predictions = await runModel(session, readModelInfo(readFileSync(modelFile), modelFile), data.raw, rows);
    const actual = model.task === 'regression' ? predictions.values! : predictions.probabilities!;
    // Probabilities lie in [0, 1], so their scale is 1; a regressor's is its output's size.
    const scales = model.task === 'regression' ? outputScales(model, features, expected) : undefined;
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      const relative = Math.abs(expected[i]! - actual[i]!) / Math.max(1, scales?.[i] ?? 1);
      if (!(relative <= RELATIVE_TOLERANCE)) {
        throw new Error(`the exported ONNX model disagrees with the trained model at row ${Math.floor(i / (expected.length / rows)) + 1}: ` +
          `${actual[i]} instead of ${expected[i]} (more than ${RELATIVE_TOLERANCE} × max(1, |output|)); this is a bug in Sluice's exporter`);
      }
      worst = Math.max(worst, relative);
    }
    return worst;
  } finally {
    await session.release();
  }
}

/**
 * Writes the model under a temporary name and renames it to `modelFile` only
 * once onnxruntime has checked it: a model that fails its check (or a task
 * stopped during it) leaves no model.onnx for later tasks to pick up.
 */
export async function writeCheckedModel<T>(modelFile: string, bytes: Uint8Array, check: (file: string) => Promise<T>): Promise<T> {
  const unchecked = `${modelFile}.unchecked-${process.pid}`;
  const release = registerTempFile(unchecked);
  try {
    writeModelFile(unchecked, bytes);
    const result = await check(unchecked);
    renameSync(unchecked, modelFile);
    return result;
  } finally {
    rmSync(unchecked, { force: true });
    release();
  }
}

function memoryOutputs(model: FittedModel, features: Float64Array[]): Float64Array {
  const outputs = model.type === 'linear' ? model.intercepts.length : model.baseScores.length;
  return scoresToProbabilities(model.task, predictScores(model, features), outputs);
}

/**
 * How large the float32 sums behind each regression output get. Trees are
 * summed in float64 by onnxruntime (see tree-graph.ts), so only the final
 * rounding counts: |output|. A linear model sums intercept + Σ w·x in
 * float32, so terms that cancel (an output near 0 made of large terms) lose
 * bits relative to the terms, not to the output: |b| + Σ |w·x|.
 */
function outputScales(model: FittedModel, features: Float64Array[], expected: Float64Array): Float64Array {
  if (model.type !== 'linear') return expected.map(Math.abs);
  const scales = new Float64Array(expected.length).fill(Math.abs(model.intercepts[0] ?? 0));
  model.weights[0]!.forEach((weight, feature) => {
    const column = features[feature]!;
    for (let row = 0; row < scales.length; row++) scales[row] = scales[row]! + Math.abs(weight * column[row]!);
  });
  return scales;
}

/** Metrics of the in-memory model on some rows (the validation holdout). */
export function predictionMetrics(model: FittedModel, data: TrainingSet): Record<string, number> {
  const outputs = memoryOutputs(model, data.features);
  if (model.task === 'regression') return { ...regressionMetrics(data.values!, outputs) };
  const { confusion_matrix: _, ...metrics } = classificationMetrics(data.labels!, outputs, data.classes!.length);
  return metrics;
}
