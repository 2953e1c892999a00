// FittedModel + ModelMetadata -> ONNX bytes (IR 8, ai.onnx 17, ai.onnx.ml 3),
// and an atomic file write for them.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { featureNames, type FittedModel, type ModelMetadata } from '../model-spec.js';
import { addFeatureGraph, BATCH } from './feature-graph.js';
import { GraphBuilder } from './graph-builder.js';
import { addLinearEstimator } from './linear-graph.js';
import { DataType, ModelProto, type ModelMessage } from './onnx-schema.js';
import { addTreeEstimator } from './tree-graph.js';

export const IR_VERSION = 8;
export const OPSETS: Record<string, number> = { '': 17, 'ai.onnx.ml': 3 };
export const PRODUCER_NAME = 'sluice';
/** metadata_props keys. */
export const METADATA_KEY = 'sluice';
export const FEATURE_NAMES_KEY = 'feature_names';

export function buildModelOnnx(model: FittedModel, metadata: ModelMetadata): Uint8Array {
  checkModelMatchesMetadata(model, metadata);
  const graph = new GraphBuilder();
  const { features, count } = addFeatureGraph(graph, metadata.plan);
  checkFeatureCount(model, count);
  addEstimator(graph, model, features);
  const message: ModelMessage = {
    ir_version: IR_VERSION,
    opset_import: Object.entries(OPSETS).map(([domain, version]) => ({ domain, version })),
    producer_name: PRODUCER_NAME,
    producer_version: '1',
    graph: graph.build(`sluice_${metadata.algorithm}`),
    metadata_props: [
      { key: METADATA_KEY, value: JSON.stringify(metadata) },
      { key: FEATURE_NAMES_KEY, value: JSON.stringify(featureNames(metadata.plan)) },
    ],
  };
  // A copy of exactly the model: protobufjs may hand back a view of a shared Buffer pool.
  return new Uint8Array(ModelProto.encode(ModelProto.fromObject(message)).finish());
}

function addEstimator(graph: GraphBuilder, model: FittedModel, features: string): void {
  let outputs: { label: string; probabilities: string } | { variable: string };
  if (model.task === 'regression') {
    outputs = { variable: graph.reserve('variable') };
    graph.addOutput(outputs.variable, DataType.float, [BATCH, 1]);
  } else {
    outputs = { label: graph.reserve('label'), probabilities: graph.reserve('probabilities') };
    graph.addOutput(outputs.label, DataType.int64, [BATCH]);
    graph.addOutput(outputs.probabilities, DataType.float, [BATCH, classCount(model)]);
  }
  if (model.type === 'linear') addLinearEstimator(graph, model, features, outputs);
  else addTreeEstimator(graph, model, features, outputs);
}

function classCount(model: FittedModel): number {
  if (model.task === 'binary') return 2;
  return model.type === 'linear' ? model.weights.length : model.baseScores.length;
}

function checkFeatureCount(model: FittedModel, planFeatures: number): void {
  const mismatch = (what: string) => new Error(`${what} but its feature plan makes ${planFeatures}; `
    + 'the plan and the model must come from the same training run');
  if (model.type === 'linear') {
    const row = model.weights.find((weights) => weights.length !== planFeatures);
    if (row) throw mismatch(`the linear model has a weight row of ${row.length} features`);
    return;
  }
  // A tree ensemble names only the features it splits on; the plan may make more.
  let highest = -1;
  for (const tree of model.trees) for (const feature of tree.feature) highest = Math.max(highest, feature);
  if (highest >= planFeatures) throw mismatch(`the tree ensemble splits on feature ${highest}`);
}

function checkModelMatchesMetadata(model: FittedModel, metadata: ModelMetadata): void {
  if (model.task !== metadata.task) {
    throw new Error(`the model is a ${model.task} model but its metadata says ${metadata.task}`);
  }
  const outputs = model.type === 'linear' ? model.weights.length : model.baseScores.length;
  const expected = model.task === 'multiclass' ? (metadata.classes?.length ?? outputs) : 1;
  if (outputs !== expected || (model.task === 'multiclass' && outputs < 2)) {
    throw new Error(`a ${model.task} model needs ${expected} score output(s) but this one has ${outputs}`);
  }
  if (model.type === 'linear' && model.intercepts.length !== outputs) {
    throw new Error(`the linear model has ${outputs} weight rows but ${model.intercepts.length} intercepts`);
  }
}

/** Writes `path` atomically: readers see the old file or the whole new one, never a part. */
export function writeModelFile(path: string, bytes: Uint8Array): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    const descriptor = openSync(temporary, 'w');
    try {
      for (let written = 0; written < bytes.length;) written += writeSync(descriptor, bytes, written);
      // Flushed before the rename, so a crash cannot leave a renamed but empty file.
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
