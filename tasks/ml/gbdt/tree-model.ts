// A grown tree turned into the parallel arrays of model-spec's RegressionTree
// (nodes numbered depth first, as scikit-learn's predictor does), plus the
// same tree in bin space for scoring the binned validation rows.
import type { RegressionTree } from '../model-spec.js';
import type { BinnedFeatures } from './binning.js';
import type { GrowingNode } from './tree-grower.js';

/** A tree that splits on bins: left when bin ≤ `bin`, the missing bin by `missingGoesLeft`. */
export interface BinnedTree {
  feature: Int32Array;
  bin: Int32Array;
  missingGoesLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

function countNodes(node: GrowingNode): number {
  return node.left ? 1 + countNodes(node.left) + countNodes(node.right!) : 1;
}

/** The tree in both forms; leaf values are multiplied by `shrinkage` (the learning rate). */
export function flattenTree(
  root: GrowingNode, shrinkage: number, output: number, edges: Float64Array[], nonMissingBins: Int32Array,
): { tree: RegressionTree; binned: BinnedTree } {
  const size = countNodes(root);
  const binned: BinnedTree = {
    feature: new Int32Array(size), bin: new Int32Array(size), missingGoesLeft: new Uint8Array(size),
    left: new Int32Array(size), right: new Int32Array(size), value: new Float64Array(size),
  };
  const tree: RegressionTree = { output, feature: [], threshold: [], left: [], right: [], missingGoesLeft: [], value: [] };
  let next = 0;
  const visit = (node: GrowingNode): number => {
    const id = next++;
    if (!node.left) {
      binned.feature[id] = -1;
      binned.left[id] = binned.right[id] = -1;
      binned.value[id] = node.value * shrinkage;
      return id;
    }
    const split = node.split!;
    binned.feature[id] = split.feature;
    binned.bin[id] = split.bin;
    binned.missingGoesLeft[id] = split.missingGoesLeft ? 1 : 0;
    binned.left[id] = visit(node.left);
    binned.right[id] = visit(node.right!);
    return id;
  };
  visit(root);
  for (let id = 0; id < size; id++) {
    const feature = binned.feature[id]!;
    tree.feature.push(feature);
    tree.left.push(binned.left[id]!);
    tree.right.push(binned.right[id]!);
    tree.missingGoesLeft.push(binned.missingGoesLeft[id] === 1);
    tree.value.push(binned.value[id]!);
    tree.threshold.push(feature < 0 ? 0 : splitThreshold(binned.bin[id]!, edges[feature]!, nonMissingBins[feature]!));
  }
  return { tree, binned };
}

/**
 * The value threshold of a bin split: the bin's upper edge, or +∞ when the
 * split sends every present value left and only missing ones right.
 */
function splitThreshold(bin: number, edges: Float64Array, nonMissingBins: number): number {
  // The nearest float32: a value equal to the edge (binning can put an edge on
  // a data value) then still goes left when inputs are float32, as in ONNX.
  return bin === nonMissingBins - 1 ? Infinity : Math.fround(edges[bin]!);
}

/** Adds each leaf's shrunk value to the scores of the training rows it holds. */
export function addLeafValues(root: GrowingNode, rows: Uint32Array, shrinkage: number, scores: Float64Array): void {
  if (root.left) {
    addLeafValues(root.left, rows, shrinkage, scores);
    addLeafValues(root.right!, rows, shrinkage, scores);
    return;
  }
  const value = root.value * shrinkage;
  for (let i = root.start; i < root.stop; i++) {
    const row = rows[i]!;
    scores[row] = scores[row]! + value;
  }
}

/** Adds the tree's values for binned rows (the validation set) to `scores`. */
export function addBinnedTreeScores(tree: BinnedTree, data: BinnedFeatures, scores: Float64Array): void {
  const { words, nonMissingBins } = data;
  for (let row = 0; row < scores.length; row++) {
    let node = 0;
    while (tree.feature[node]! >= 0) {
      const feature = tree.feature[node]!;
      const bin = (words[feature >> 2]![row]! >>> (8 * (feature & 3))) & 255;
      const goLeft = bin === nonMissingBins[feature] ? tree.missingGoesLeft[node] === 1 : bin <= tree.bin[node]!;
      node = goLeft ? tree.left[node]! : tree.right[node]!;
    }
    scores[row] = scores[row]! + tree.value[node]!;
  }
}
