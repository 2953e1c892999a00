// The ONNX side of Sluice's ML tasks: write a fitted model as an ONNX graph,
// read a model's description back, and run it with onnxruntime.
export { buildModelOnnx, writeModelFile } from './model-writer.js';
export { readModelInfo, type OnnxModelInfo, type OnnxTensorInfo } from './model-info.js';
export { openSession, runModel, runModelOutputs, type InferenceSession, type InputColumn, type ModelPredictions, type RawModelOutputs } from './run-session.js';
