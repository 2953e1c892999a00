// A TreeEnsembleModel as ai.onnx.ml TreeEnsembleClassifier / Regressor. Node
// ids are the indices of the model's parallel arrays; the true branch is the
// left one (x <= threshold, BRANCH_LEQ), and a NaN follows it when the model
// says missingGoesLeft.
import type { RegressionTree, TreeEnsembleModel } from '../model-spec.js';
import { GraphBuilder, ML_DOMAIN, attribute } from './graph-builder.js';
import { DataType, type AttributeMessage } from './onnx-schema.js';

/** The node and leaf attributes shared by both operators, plus the leaf lists whose names differ. */
interface FlatEnsemble {
  nodes: AttributeMessage[];
  leafTreeIds: number[];
  leafNodeIds: number[];
  leafOutputs: number[];
  leafWeights: number[];
}

const TINY_NEGATIVE_LEAF = 2 ** -126;

/** Adds the estimator reading `features`; see addLinearEstimator for the outputs. */
export function addTreeEstimator(
  graph: GraphBuilder,
  model: TreeEnsembleModel,
  features: string,
  outputs: { label: string; probabilities: string } | { variable: string },
): void {
  checkTrees(model.trees, model.baseScores.length);
  // onnxruntime needs at least one tree; an empty ensemble predicts its base scores.
  const trees = model.trees.length > 0 ? [...model.trees] : [singleLeafTree(0)];
  if (model.task === 'binary' && !trees.some((tree) => hasNegativeLeaf(tree))) {
    // When no leaf weight is negative, onnxruntime takes the binary score for
    // a probability and labels a row 1 only when score > 0.5 (the
    // probabilities stay right). One extra single-leaf tree of -2^-126 (a
    // normal number even as float32, so never flushed to zero) restores the
    // log-odds rule (score > 0) and changes no score above 1e-100 in size.
    trees.push(singleLeafTree(-TINY_NEGATIVE_LEAF));
  }
  const flat = flattenEnsemble(trees);
  // onnxruntime sums the leaves in the input's type. Fed float64, it sums in
  // float64 like the in-memory predictor (float32 drifts by ~1e-6 over a few
  // hundred trees); the cast is exact and the float32 thresholds split alike.
  const [wideFeatures] = graph.addNode('Cast', [features], [attribute.int('to', DataType.double)]);
  if ('variable' in outputs) {
    graph.addNode('TreeEnsembleRegressor', [wideFeatures!], [
      ...flat.nodes,
      attribute.ints('target_treeids', flat.leafTreeIds),
      attribute.ints('target_nodeids', flat.leafNodeIds),
      attribute.ints('target_ids', flat.leafOutputs),
      attribute.doubles('target_weights_as_tensor', flat.leafWeights),
      attribute.int('n_targets', 1),
      attribute.doubles('base_values_as_tensor', model.baseScores),
      attribute.string('aggregate_function', 'SUM'),
      attribute.string('post_transform', 'NONE'),
    ], { domain: ML_DOMAIN, outputs: [outputs.variable] });
    return;
  }
  // Binary: every leaf adds to class id 0 and one base value is given;
  // onnxruntime then reports [1 - p, p] with p = sigmoid(score).
  const classCount = model.task === 'binary' ? 2 : model.baseScores.length;
  graph.addNode('TreeEnsembleClassifier', [wideFeatures!], [
    ...flat.nodes,
    attribute.ints('class_treeids', flat.leafTreeIds),
    attribute.ints('class_nodeids', flat.leafNodeIds),
    attribute.ints('class_ids', flat.leafOutputs),
    attribute.doubles('class_weights_as_tensor', flat.leafWeights),
    attribute.ints('classlabels_int64s', Array.from({ length: classCount }, (_, index) => index)),
    attribute.doubles('base_values_as_tensor', model.baseScores),
    attribute.string('post_transform', model.task === 'binary' ? 'LOGISTIC' : 'SOFTMAX'),
  ], { domain: ML_DOMAIN, outputs: [outputs.label, outputs.probabilities] });
}

function singleLeafTree(value: number): RegressionTree {
  return { output: 0, feature: [-1], threshold: [0], left: [-1], right: [-1], missingGoesLeft: [false], value: [value] };
}

function hasNegativeLeaf(tree: RegressionTree): boolean {
  return tree.feature.some((feature, node) => feature === -1 && tree.value[node]! < 0);
}

/** Broken trees would make onnxruntime reject the model with a vaguer message, or mis-score it. */
function checkTrees(trees: RegressionTree[], outputs: number): void {
  trees.forEach((tree, treeId) => {
    const size = tree.feature.length;
    if (!Number.isInteger(tree.output) || tree.output < 0 || tree.output >= outputs) {
      throw new Error(`tree ${treeId} adds to score ${tree.output} but the model has scores 0..${outputs - 1}`);
    }
    tree.feature.forEach((feature, node) => {
      if (feature === -1) return;
      const children = [tree.left[node], tree.right[node]];
      if (children.some((child) => child === undefined || child <= 0 || child >= size || child === node)) {
        throw new Error(`tree ${treeId} node ${node} has children ${children.join(', ')}; they must be other nodes among 1..${size - 1}`);
      }
    });
  });
}

function flattenEnsemble(trees: RegressionTree[]): FlatEnsemble {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const thresholds: number[] = [];
  const modes: string[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTracksTrue: number[] = [];
  const flat: FlatEnsemble = { nodes: [], leafTreeIds: [], leafNodeIds: [], leafOutputs: [], leafWeights: [] };
  trees.forEach((tree, treeId) => {
    tree.feature.forEach((feature, nodeId) => {
      const leaf = feature === -1;
      treeIds.push(treeId);
      nodeIds.push(nodeId);
      featureIds.push(leaf ? 0 : feature);
      thresholds.push(leaf ? 0 : tree.threshold[nodeId]!);
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      trueIds.push(leaf ? 0 : tree.left[nodeId]!);
      falseIds.push(leaf ? 0 : tree.right[nodeId]!);
      missingTracksTrue.push(!leaf && tree.missingGoesLeft[nodeId] ? 1 : 0);
      if (leaf) {
        flat.leafTreeIds.push(treeId);
        flat.leafNodeIds.push(nodeId);
        flat.leafOutputs.push(tree.output);
        flat.leafWeights.push(tree.value[nodeId]!);
      }
    });
  });
  flat.nodes = [
    attribute.ints('nodes_treeids', treeIds),
    attribute.ints('nodes_nodeids', nodeIds),
    attribute.ints('nodes_featureids', featureIds),
    attribute.floats('nodes_values', thresholds),
    attribute.strings('nodes_modes', modes),
    attribute.ints('nodes_truenodeids', trueIds),
    attribute.ints('nodes_falsenodeids', falseIds),
    attribute.ints('nodes_missing_value_tracks_true', missingTracksTrue),
  ];
  return flat;
}
