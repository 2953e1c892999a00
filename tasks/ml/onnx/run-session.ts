// Runs a Sluice ONNX model with onnxruntime on whole columns: one tensor per
// input column, typed arrays in and out, nothing allocated per row.
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { readModelInfo, type OnnxModelInfo } from './model-info.js';

export type InferenceSession = ort.InferenceSession;

/** A column for inference: numbers (NaN = missing) or strings. */
export type InputColumn = Float64Array | Float32Array | string[];

export interface ModelPredictions {
  /** Predicted class index per row (classifiers). */
  labels?: Int32Array;
  /** Row-major n × K class probabilities (classifiers). */
  probabilities?: Float64Array;
  /** One prediction per row (regressors). */
  values?: Float64Array;
}

/** Loads a model from bytes or a file; a file that is not ONNX gets a clear error before onnxruntime sees it. */
export async function openSession(bytesOrPath: Uint8Array | string, options: ort.InferenceSession.SessionOptions = {}): Promise<InferenceSession> {
  const source = typeof bytesOrPath === 'string' ? bytesOrPath : 'the model bytes';
  const bytes = typeof bytesOrPath === 'string' ? readModelBytes(bytesOrPath) : bytesOrPath;
  readModelInfo(bytes, source);
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (error) {
    throw new Error(`onnxruntime cannot load ${source}: ${(error as Error).message}`);
  }
}

function readModelBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read the model file ${path}: ${(error as Error).message}`);
  }
}

/** The outputs of a Sluice model as onnxruntime returns them, before any copy. */
export interface RawModelOutputs {
  /** Class index per row (classifiers). */
  label?: BigInt64Array;
  /** Row-major n × K class probabilities (classifiers). */
  probabilities?: Float32Array;
  /** One prediction per row (regressors). */
  variable?: Float32Array;
}

/** Predicts the first `rows` rows of `table`, which needs one column per model input. */
export async function runModel(
  session: InferenceSession,
  info: OnnxModelInfo,
  table: Record<string, InputColumn>,
  rows: number,
): Promise<ModelPredictions> {
  const { label, probabilities, variable } = await runModelOutputs(session, info, table, rows);
  const predictions: ModelPredictions = {};
  if (label) predictions.labels = classIndices(label);
  if (probabilities) predictions.probabilities = new Float64Array(probabilities);
  if (variable) predictions.values = new Float64Array(variable);
  return predictions;
}

/** Like runModel, with the outputs left as onnxruntime's typed arrays (batch scoring writes them as they are). */
export async function runModelOutputs(
  session: InferenceSession,
  info: OnnxModelInfo,
  table: Record<string, InputColumn>,
  rows: number,
): Promise<RawModelOutputs> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, input] of Object.entries(modelInputs(info, table, rows))) feeds[name] = new ort.Tensor(input.type, input.data, input.dims);
  return modelOutputs(await session.run(feeds));
}

/** A tensor's contents, which can also travel to another thread. */
export interface TensorData {
  type: 'string' | 'float32' | 'float64';
  data: string[] | Float32Array | Float64Array;
  dims: number[];
}

/** The model's inputs for the first `rows` rows of `table`, checked: one [rows, 1] tensor per input column. */
export function modelInputs(info: OnnxModelInfo, table: Record<string, InputColumn>, rows: number): Record<string, TensorData> {
  return Object.fromEntries(info.inputs.map((input) => [input.name, inputData(input.name, input.elementType, table[input.name], rows)]));
}

/** Sluice's outputs among onnxruntime's results, with their types checked. */
export function modelOutputs(results: Record<string, { type: string; data: unknown }>): RawModelOutputs {
  const { label, probabilities, variable } = results;
  if (!label && !probabilities && !variable) {
    throw new Error(`the model's outputs (${Object.keys(results).join(', ')}) are not Sluice's label/probabilities or variable`);
  }
  const outputs: RawModelOutputs = {};
  if (label) outputs.label = typed(label, BigInt64Array, 'label', 'int64');
  if (probabilities) outputs.probabilities = typed(probabilities, Float32Array, 'probabilities', 'float');
  if (variable) outputs.variable = typed(variable, Float32Array, 'variable', 'float');
  return outputs;
}

function typed<T>(tensor: { type: string; data: unknown }, type: abstract new (...args: never[]) => T, name: string, expected: string): T {
  if (!(tensor.data instanceof type)) throw new Error(`the model's output '${name}' is ${tensor.type}, not ${expected}`);
  return tensor.data;
}

function classIndices(labels: BigInt64Array): Int32Array {
  const indices = new Int32Array(labels.length);
  for (let row = 0; row < labels.length; row += 1) indices[row] = Number(labels[row]);
  return indices;
}

function inputData(name: string, elementType: string, column: InputColumn | undefined, rows: number): TensorData {
  if (column === undefined) {
    throw new Error(`the model needs input column '${name}' but the data has no such column`);
  }
  if (column.length < rows) {
    throw new Error(`input column '${name}' has ${column.length} values but ${rows} rows were asked for`);
  }
  const dims = [rows, 1];
  if (elementType === 'string') {
    if (!Array.isArray(column)) throw new Error(`input column '${name}' must hold strings (the model one-hot encodes it) but holds numbers`);
    const bad = column.findIndex((value, row) => row < rows && typeof value !== 'string');
    if (bad !== -1) {
      throw new Error(`input column '${name}' row ${bad} is ${String(column[bad])}, not a string; give missing categories as ''`);
    }
    return { type: 'string', data: column.length === rows ? column : column.slice(0, rows), dims };
  }
  if (Array.isArray(column)) throw new Error(`input column '${name}' must hold numbers but holds strings`);
  const values = column.length === rows ? column : column.subarray(0, rows);
  if (elementType === 'float') return { type: 'float32', data: values instanceof Float32Array ? values : new Float32Array(values), dims };
  if (elementType === 'double') return { type: 'float64', data: values instanceof Float64Array ? values : new Float64Array(values), dims };
  throw new Error(`input column '${name}' has element type ${elementType}, which Sluice cannot feed`);
}
