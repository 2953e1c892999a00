// Grows one regression tree on the gradients, best first (leaf-wise) like
// scikit-learn's TreeGrower: the splittable node of highest gain is split
// next, until max_leaf_nodes leaves, max_depth or no useful split is left.
//
// The rows of every node are a range of one index array, split in place
// (stably, so each node's rows stay in increasing order and the histogram
// loops read memory mostly forward). Only the smaller child's histogram is
// built from its rows; the larger one's is the parent's minus it.
import type { GrowerWorkspace } from './grower-workspace.js';
import { subtractHistogram } from './histogram.js';
import type { Histogram } from './histogram-pool.js';
import { leafValue, type Split, type SplitRules } from './split-finder.js';
import { SplittableNodes } from './splittable-nodes.js';

export interface GrowthLimits {
  maxLeafNodes: number | undefined;
  maxDepth: number | undefined;
  rules: SplitRules;
}

/** A node while the tree grows; leaves keep their row range so the caller can update scores. */
export interface GrowingNode {
  priority: number;
  depth: number;
  start: number;
  stop: number;
  sumGradients: number;
  sumHessians: number;
  /** −G/(H+λ) before shrinkage (0 at the root, as scikit-learn). */
  value: number;
  histogram: Histogram | undefined;
  split: Split | undefined;
  left: GrowingNode | undefined;
  right: GrowingNode | undefined;
}

function newNode(depth: number, start: number, stop: number, sumGradients: number, sumHessians: number, value: number): GrowingNode {
  return { priority: 0, depth, start, stop, sumGradients, sumHessians, value, histogram: undefined, split: undefined, left: undefined, right: undefined };
}

/** Grows one tree on the gradients of `output` and returns its root (leaf values not yet shrunk). */
export function growTree(workspace: GrowerWorkspace, output: number, limits: GrowthLimits): GrowingNode {
  const { rows } = workspace;
  const gradients = workspace.state.gradients[output]!;
  const hessians = workspace.state.hessians[output]!;
  for (let i = 0; i < rows.length; i++) rows[i] = i;
  const constantHessian = limits.rules.constantHessian;
  let sumGradients = 0;
  let sumHessians = 0;
  for (let i = 0; i < gradients.length; i++) sumGradients += gradients[i]!;
  if (constantHessian) sumHessians = rows.length;
  else for (let i = 0; i < hessians.length; i++) sumHessians += hessians[i]!;

  const root = newNode(0, 0, rows.length, sumGradients, sumHessians, 0);
  const queue = new SplittableNodes<GrowingNode>();
  const leafCount = { finalized: 0 };
  if (root.stop - root.start < 2 * limits.rules.minSamplesLeaf || sumHessians < limits.rules.minHessianToSplit) return root;
  root.histogram = workspace.takeHistogram();
  workspace.histograms.buildRoot(root.histogram, output);
  findSplitsOrFinalize(workspace, [root], queue, leafCount);
  for (let node = queue.pop(); node; node = queue.pop()) splitNode(workspace, node, queue, leafCount, limits, output);
  return root;
}

/**
 * Searches the nodes' splits (siblings, searched together), then queues each
 * node with a useful split, in order; the others stay leaves and free their
 * histograms.
 */
function findSplitsOrFinalize(
  workspace: GrowerWorkspace, nodes: GrowingNode[], queue: SplittableNodes<GrowingNode>, leafCount: { finalized: number },
): void {
  const splits = workspace.findSplits(nodes.map((node) => ({
    histogram: node.histogram!,
    totals: { count: node.stop - node.start, sumGradients: node.sumGradients, sumHessians: node.sumHessians, value: node.value },
  })));
  nodes.forEach((node, index) => {
    node.split = splits[index];
    if (node.split) {
      node.priority = node.split.gain;
      queue.push(node);
    } else {
      leafCount.finalized++;
      releaseLeafHistogram(workspace, node);
    }
  });
}

/** Splits a queued node: partitions its rows, makes its children, and queues those worth splitting. */
function splitNode(
  workspace: GrowerWorkspace, node: GrowingNode, queue: SplittableNodes<GrowingNode>, leafCount: { finalized: number },
  limits: GrowthLimits, output: number,
): void {
  const split = node.split!;
  const middle = workspace.partition(node.start, node.stop, split);
  const { l2Regularization } = limits.rules;
  const depth = node.depth + 1;
  const left = newNode(depth, node.start, middle, split.gradientLeft, split.hessianLeft, leafValue(split.gradientLeft, split.hessianLeft, l2Regularization));
  const right = newNode(depth, middle, node.stop, split.gradientRight, split.hessianRight, leafValue(split.gradientRight, split.hessianRight, l2Regularization));
  node.left = left;
  node.right = right;
  // Without missing values in training, an unseen NaN follows the larger child.
  if (workspace.data.hasMissing[split.feature] === 0) split.missingGoesLeft = split.countLeft > split.countRight;

  const [splitLeft, splitRight] = childrenToSplit(workspace, left, right, queue, leafCount, limits);
  const parentHistogram = node.histogram!;
  node.histogram = undefined;
  if (!splitLeft && !splitRight) {
    workspace.releaseHistogram(parentHistogram);
    return;
  }
  const [smaller, larger] = left.stop - left.start < right.stop - right.start ? [left, right] : [right, left];
  smaller.histogram = workspace.takeHistogram();
  workspace.histograms.buildNode(smaller.histogram, smaller.start, smaller.stop, output);
  subtractHistogram(parentHistogram.values, smaller.histogram.values, parentHistogram.values);
  larger.histogram = parentHistogram;
  if (!splitLeft) releaseLeafHistogram(workspace, left);
  if (!splitRight) releaseLeafHistogram(workspace, right);
  findSplitsOrFinalize(workspace, [left, right].filter((_, side) => (side === 0 ? splitLeft : splitRight)), queue, leafCount);
}

/**
 * Whether each child may be split further, checked in scikit-learn's order:
 * the leaf budget (which also finishes every queued node), the depth, then
 * the rows a split needs. Children that may not are counted as leaves.
 */
function childrenToSplit(
  workspace: GrowerWorkspace, left: GrowingNode, right: GrowingNode, queue: SplittableNodes<GrowingNode>,
  leafCount: { finalized: number }, limits: GrowthLimits,
): [boolean, boolean] {
  if (limits.maxLeafNodes !== undefined && leafCount.finalized + queue.size + 2 === limits.maxLeafNodes) {
    leafCount.finalized += 2 + queue.size;
    for (const waiting of queue.drain()) releaseLeafHistogram(workspace, waiting);
    return [false, false];
  }
  if (limits.maxDepth !== undefined && left.depth === limits.maxDepth) {
    leafCount.finalized += 2;
    return [false, false];
  }
  const rowsNeeded = 2 * limits.rules.minSamplesLeaf;
  const splitLeft = left.stop - left.start >= rowsNeeded;
  const splitRight = right.stop - right.start >= rowsNeeded;
  leafCount.finalized += (splitLeft ? 0 : 1) + (splitRight ? 0 : 1);
  return [splitLeft, splitRight];
}

function releaseLeafHistogram(workspace: GrowerWorkspace, node: GrowingNode): void {
  workspace.releaseHistogram(node.histogram);
  node.histogram = undefined;
}
