// The exported graph must predict what the trained model predicts: run it
// with onnxruntime on training rows and compare with the float64 predictor.
import { classificationMetrics, regressionMetrics } from '../ml/metrics.js';
import type { FittedModel } from '../ml/model-spec.js';
import { openSession, readModelInfo, runModel } from '../ml/onnx/index.js';
import { predictScores, scoresToProbabilities } from '../ml/predict.js';
import { readFileSync } from 'node:fs';
import type { TrainingSet } from './training-set.js';

const CHECKED_ROWS = 2000;
/** onnxruntime computes in float32: agreement within this is exact for our purposes. */
const TOLERANCE = 1e-4;

/** Largest difference between onnxruntime's and the in-memory outputs; throws when they disagree. */
export async function checkOnnxAgainstMemory(modelFile: string, model: FittedModel, data: TrainingSet): Promise<number> {
  const rows = Math.min(CHECKED_ROWS, data.rows);
  const expected = memoryOutputs(model, data.features.map((values) => values.subarray(0, rows)));
  const session = await openSession(modelFile);
  try {
    const predictions = await runModel(session, readModelInfo(readFileSync(modelFile), modelFile), data.raw, rows);
    const actual = model.task === 'regression' ? predictions.values! : predictions.probabilities!;
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i]! - actual[i]!));
    if (!(worst <= TOLERANCE)) {
      throw new Error(`the exported ONNX model disagrees with the trained model by ${worst} (more than ${TOLERANCE}); this is a bug in Sluice's exporter`);
    }
    return worst;
  } finally {
    await session.release();
  }
}

function memoryOutputs(model: FittedModel, features: Float64Array[]): Float64Array {
  const outputs = model.type === 'linear' ? model.intercepts.length : model.baseScores.length;
  return scoresToProbabilities(model.task, predictScores(model, features), outputs);
}

/** Metrics of the in-memory model on some rows (the validation holdout). */
export function predictionMetrics(model: FittedModel, data: TrainingSet): Record<string, number> {
  const outputs = memoryOutputs(model, data.features);
  if (model.task === 'regression') return { ...regressionMetrics(data.values!, outputs) };
  const { confusion_matrix: _, ...metrics } = classificationMetrics(data.labels!, outputs, data.classes!.length);
  return metrics;
}
