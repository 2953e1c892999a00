// Grows one regression tree on the gradients, best first (leaf-wise) like
// scikit-learn's TreeGrower: the splittable node of highest gain is split
// next, until max_leaf_nodes leaves, max_depth or no useful split is left.
//
// The rows of every node are a range of one index array, split in place
// (stably, so each node's rows stay in increasing order and the histogram
// loops read memory mostly forward). Only the smaller child's histogram is
// built from its rows; the larger one's is the parent's minus it.
import { shiftOf, wordOf, type BinnedFeatures } from './binning.js';
import { subtractHistogram, type HistogramLayout } from './histogram.js';
import { HALF_SPLIT_ROWS, type HistogramBuilder } from './histogram-builder.js';
import { Operation, type HelperThread } from './helper-thread.js';
import { joinPartitionedHalves, NO_BIN, partitionRows } from './row-partition.js';
import { findBestSplit, leafValue, type Split, type SplitRules } from './split-finder.js';
import { SplittableNodes } from './splittable-nodes.js';

export interface GrowthLimits {
  maxLeafNodes: number | undefined;
  maxDepth: number | undefined;
  rules: SplitRules;
}

/** Buffers reused by every tree of a fit, sized for its rows and histograms. */
export class GrowerWorkspace {
  private readonly spill: Uint32Array;
  private readonly freeHistograms: Float64Array[] = [];

  /** `rows` is the node partition (node rows are rows[start..stop)); `histograms` reads it. */
  constructor(
    readonly data: BinnedFeatures, readonly layout: HistogramLayout, readonly rows: Uint32Array,
    readonly histograms: HistogramBuilder, readonly gradients: Float32Array[], readonly hessians: Float32Array[],
    readonly helper: HelperThread | undefined,
  ) {
    this.spill = new Uint32Array(data.rows);
  }

  takeHistogram(): Float64Array {
    return this.freeHistograms.pop() ?? new Float64Array(this.layout.length);
  }

  releaseHistogram(histogram: Float64Array | undefined): void {
    if (histogram) this.freeHistograms.push(histogram);
  }

  /**
   * Reorders rows[start..stop) so that the rows going left come first, each
   * side keeping its order; returns where the right child starts. A big
   * range is split in two halves, the second one partitioned by the helper.
   */
  partition(start: number, stop: number, split: Split): number {
    const { rows, spill, helper } = this;
    const feature = split.feature;
    const words = this.data.words[wordOf(feature)]!;
    const missingBin = split.missingGoesLeft ? this.data.nonMissingBins[feature]! : NO_BIN;
    const middle = start + ((stop - start) >>> 1);
    if (stop - start >= HALF_SPLIT_ROWS && helper?.request(Operation.partition, middle, stop, feature, split.bin, missingBin)) {
      const firstRight = partitionRows(rows, spill, words, shiftOf(feature), start, middle, split.bin, missingBin);
      const secondRight = helper.await();
      return joinPartitionedHalves(rows, spill, firstRight, middle, secondRight);
    }
    return partitionRows(rows, spill, words, shiftOf(feature), start, stop, split.bin, missingBin);
  }
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
  histogram: Float64Array | undefined;
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
  const gradients = workspace.gradients[output]!;
  const hessians = workspace.hessians[output]!;
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
  findSplitOrFinalize(workspace, root, queue, leafCount, limits);
  for (let node = queue.pop(); node; node = queue.pop()) splitNode(workspace, node, queue, leafCount, limits, output);
  return root;
}

/** Queues the node when it has a useful split; otherwise it stays a leaf and its histogram is freed. */
function findSplitOrFinalize(
  workspace: GrowerWorkspace, node: GrowingNode, queue: SplittableNodes<GrowingNode>,
  leafCount: { finalized: number }, limits: GrowthLimits,
): void {
  const { data, layout } = workspace;
  const totals = { count: node.stop - node.start, sumGradients: node.sumGradients, sumHessians: node.sumHessians, value: node.value };
  node.split = findBestSplit(node.histogram!, layout, data.nonMissingBins, data.hasMissing, totals, limits.rules);
  if (node.split) {
    node.priority = node.split.gain;
    queue.push(node);
  } else {
    leafCount.finalized++;
    workspace.releaseHistogram(node.histogram);
    node.histogram = undefined;
  }
}

function splitNode(
  workspace: GrowerWorkspace, node: GrowingNode, queue: SplittableNodes<GrowingNode>, leafCount: { finalized: number },
  limits: GrowthLimits, output: number,
): void {
  const split = node.split!;
  const middle = workspace.partition(node.start, node.stop, split);
  const { l2Regularization, minSamplesLeaf } = limits.rules;
  const depth = node.depth + 1;
  const left = newNode(depth, node.start, middle, split.gradientLeft, split.hessianLeft, leafValue(split.gradientLeft, split.hessianLeft, l2Regularization));
  const right = newNode(depth, middle, node.stop, split.gradientRight, split.hessianRight, leafValue(split.gradientRight, split.hessianRight, l2Regularization));
  node.left = left;
  node.right = right;
  // Without missing values in training, an unseen NaN follows the larger child.
  if (workspace.data.hasMissing[split.feature] === 0) split.missingGoesLeft = split.countLeft > split.countRight;

  const leavesAfterSplit = leafCount.finalized + queue.size + 2;
  let splitLeft = true;
  let splitRight = true;
  if (limits.maxLeafNodes !== undefined && leavesAfterSplit === limits.maxLeafNodes) {
    leafCount.finalized += 2 + queue.size;
    for (const waiting of queue.drain()) {
      workspace.releaseHistogram(waiting.histogram);
      waiting.histogram = undefined;
    }
    splitLeft = splitRight = false;
  } else if (limits.maxDepth !== undefined && depth === limits.maxDepth) {
    leafCount.finalized += 2;
    splitLeft = splitRight = false;
  } else {
    splitLeft = middle - node.start >= 2 * minSamplesLeaf;
    splitRight = node.stop - middle >= 2 * minSamplesLeaf;
    leafCount.finalized += (splitLeft ? 0 : 1) + (splitRight ? 0 : 1);
  }
  const parentHistogram = node.histogram!;
  node.histogram = undefined;
  if (!splitLeft && !splitRight) {
    workspace.releaseHistogram(parentHistogram);
    return;
  }
  const [smaller, larger] = middle - node.start < node.stop - middle ? [left, right] : [right, left];
  smaller.histogram = workspace.takeHistogram();
  workspace.histograms.buildNode(smaller.histogram, smaller.start, smaller.stop, output);
  subtractHistogram(parentHistogram, smaller.histogram, parentHistogram);
  larger.histogram = parentHistogram;
  if (splitLeft) findSplitOrFinalize(workspace, left, queue, leafCount, limits);
  else releaseLeafHistogram(workspace, left);
  if (splitRight) findSplitOrFinalize(workspace, right, queue, leafCount, limits);
  else releaseLeafHistogram(workspace, right);
}

function releaseLeafHistogram(workspace: GrowerWorkspace, node: GrowingNode): void {
  workspace.releaseHistogram(node.histogram);
  node.histogram = undefined;
}
