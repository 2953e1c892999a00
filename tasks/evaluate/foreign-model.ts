// Models made outside Sluice (a command task's model.onnx, e.g. from
// scikit-learn) take one float tensor [N, F] and name their outputs as they
// like: find the label, probabilities or values by type and shape.
import ort from 'onnxruntime-node';
import type { OnnxModelInfo } from '../ml/onnx/index.js';
import type { ModelPredictions } from '../ml/onnx/index.js';
import { TaskInputError } from '../runtime/task-context.js';

export function checkForeignInputs(info: OnnxModelInfo, features: string[] | undefined, modelFile: string): string[] {
  const input = info.inputs[0];
  if (info.inputs.length !== 1 || !input || (input.elementType !== 'float' && input.elementType !== 'double')) {
    throw new TaskInputError(`${modelFile} has no Sluice metadata and its inputs (${info.inputs.map((i) => `${i.name}: ${i.elementType}`).join(', ')}) are not one float tensor [N, F]; Sluice can score such models only`);
  }
  if (!features) throw new TaskInputError(`${modelFile} was not made by Sluice: list its feature columns in order under features:`);
  const width = input.shape[1];
  if (typeof width === 'number' && width !== features.length) {
    throw new TaskInputError(`${modelFile} takes ${width} features but features: lists ${features.length}`);
  }
  return features;
}

export async function runForeignModel(session: ort.InferenceSession, info: OnnxModelInfo, columns: Float64Array[], rows: number): Promise<ModelPredictions> {
  const width = columns.length;
  const double = info.inputs[0]!.elementType === 'double';
  const data = double ? new Float64Array(rows * width) : new Float32Array(rows * width);
  for (let f = 0; f < width; f++) {
    const column = columns[f]!;
    for (let row = 0; row < rows; row++) data[row * width + f] = column[row]!;
  }
  const results = await session.run({ [info.inputs[0]!.name]: new ort.Tensor(double ? 'float64' : 'float32', data, [rows, width]) });
  const predictions: ModelPredictions = {};
  for (const tensor of Object.values(results)) {
    if (tensor.type === 'int64' && tensor.dims.length <= 2 && !predictions.labels) predictions.labels = Int32Array.from(tensor.data as BigInt64Array, Number);
    else if ((tensor.type === 'float32' || tensor.type === 'float64') && tensor.dims.length === 2 && tensor.dims[1]! > 1 && !predictions.probabilities) {
      predictions.probabilities = Float64Array.from(tensor.data as Float32Array);
    } else if ((tensor.type === 'float32' || tensor.type === 'float64') && !predictions.values) predictions.values = Float64Array.from(tensor.data as Float32Array);
  }
  return predictions;
}
