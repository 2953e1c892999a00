// The FeaturePlan as ONNX operators: one graph input per raw column, its
// steps, and a Concat into the model's feature matrix, so inference applies
// exactly the transform the model was trained with.
import type { ColumnTransform, FeaturePlan, NumericStep } from '../model-spec.js';
import { GraphBuilder, ML_DOMAIN, attribute } from './graph-builder.js';
import { DataType } from './onnx-schema.js';

/** The symbolic batch dimension of every input and output. */
export const BATCH = 'N';

/** Adds the plan's inputs and transforms; returns the [N, F] float feature tensor's name and F. */
export function addFeatureGraph(graph: GraphBuilder, plan: FeaturePlan): { features: string; count: number } {
  if (plan.columns.length === 0) throw new Error('the feature plan has no columns; a model needs at least one input column');
  // Inputs first, so that no intermediate name can take a column's name.
  const inputs = plan.columns.map((column) =>
    graph.addInput(column.column, column.kind === 'numeric' ? DataType.float : DataType.string, [BATCH, 1]));
  const pieces = plan.columns.map((column, index) => addColumnTransform(graph, column, inputs[index]!));
  const count = plan.columns.reduce((total, column) => total + (column.kind === 'numeric' ? 1 : column.categories.length), 0);
  if (pieces.length === 1) return { features: pieces[0]!, count };
  const [features] = graph.addNode('Concat', pieces, [attribute.int('axis', 1)], { outputs: [graph.uniqueName('features')] });
  return { features: features!, count };
}

function addColumnTransform(graph: GraphBuilder, column: ColumnTransform, input: string): string {
  if (column.kind === 'numeric') return column.steps.reduce((value, step) => addNumericStep(graph, step, value), input);
  if (column.categories.length === 0) {
    throw new Error(`one-hot column '${column.column}' has no categories; drop it from the plan or give it at least one`);
  }
  // zeros=1: an unseen category gives a row of zeros instead of an error.
  const [encoded] = graph.addNode('OneHotEncoder', [input], [
    attribute.strings('cats_strings', column.categories),
    attribute.int('zeros', 1),
  ], { domain: ML_DOMAIN });
  graph.describe(encoded!, DataType.float, [BATCH, 1, column.categories.length]);
  // OneHotEncoder appends the category axis: [N, 1, k] becomes [N, k].
  const shape = graph.int64Constant(`${column.column}_shape`, [-1, column.categories.length], [2]);
  const [flat] = graph.addNode('Reshape', [encoded!, shape]);
  return flat!;
}

function addNumericStep(graph: GraphBuilder, step: NumericStep, value: string): string {
  switch (step.op) {
    case 'impute': {
      const [imputed] = graph.addNode('Imputer', [value], [
        attribute.floats('imputed_value_floats', [step.value]),
        attribute.float('replaced_value_float', Number.NaN),
      ], { domain: ML_DOMAIN });
      return graph.describe(imputed!, DataType.float, [BATCH, 1]);
    }
    case 'clip':
      return addClip(graph, value, step.min, step.max);
    case 'log1p': {
      // onnxruntime's float32 Log is a fast approximation, one ulp off for
      // about one value in seven, which sends a value that sits on a tree's
      // split down the other branch. Its float64 Log rounds like Math.log, so
      // the step runs in float64 and is rounded to float32 once, at the end.
      const [wide] = graph.addNode('Cast', [value], [attribute.int('to', DataType.double)]);
      const [shifted] = graph.addNode('Add', [wide!, graph.doubleConstant('one', [1], [])]);
      const [logged] = graph.addNode('Log', [shifted!]);
      const [narrow] = graph.addNode('Cast', [logged!], [attribute.int('to', DataType.float)]);
      return narrow!;
    }
    case 'scale': {
      const [scaled] = graph.addNode('Scaler', [value], [
        attribute.floats('offset', [step.offset]),
        attribute.floats('scale', [step.scale]),
      ], { domain: ML_DOMAIN });
      return graph.describe(scaled!, DataType.float, [BATCH, 1]);
    }
  }
}

function addClip(graph: GraphBuilder, value: string, min: number | undefined, max: number | undefined): string {
  let clipped = value;
  // Max and Min keep NaN as NaN, like the in-memory predictor (Clip's NaN handling is unspecified).
  if (min !== undefined) [clipped] = graph.addNode('Max', [clipped, graph.floatConstant('clip_min', [min], [])]) as [string];
  if (max !== undefined) [clipped] = graph.addNode('Min', [clipped, graph.floatConstant('clip_max', [max], [])]) as [string];
  return clipped;
}
