// The arrays one fit works on, allocated once: the binning input and output,
// the row partition, scores, gradients and what split searches exchange.
// With a helper thread they live in shared memory and the same object is
// sent to it; see work-units.ts for who writes what.
import type { LearningTask } from '../model-spec.js';
import { FEATURES_PER_WORD } from './binning.js';
import type { SplitRules } from './split-finder.js';

/** Values per word of features in `splitResults`: gain, feature, bin, missing-goes-left, G, H and count of the left side. */
export const SPLIT_RESULT_SLOTS = 7;
/** A big node is partitioned in at most this many parts. */
export const MAX_PARTITION_PARTS = 4;

export interface FitState {
  task: LearningTask;
  nClasses: number;
  maxBins: number;
  features: number;
  /** Training rows. */
  rows: number;
  outputs: number;
  constantHessian: boolean;
  rules: SplitRules;
  /** Where each part of the last partition job puts its first right-going row. */
  partitionEnds: Int32Array;
  /** The nodes whose splits are searched (at most 2, siblings): count, gradient sum, hessian sum and value each. */
  nodeTotals: Float64Array;
  /** Per node and word of features, its best split (see SPLIT_RESULT_SLOTS). */
  splitResults: Float64Array;

  /** Binning input: the feature columns, the training rows among them (all when absent), and the rows that fit the edges. */
  columns: Float64Array[];
  trainingRows: Uint32Array | undefined;
  sample: Uint32Array | undefined;
  /** Binning output: four features per word (see binning.ts), edges[f] = edgeValues[f·(maxBins−1) …] of edgeCounts[f]. */
  words: Uint32Array[];
  edgeValues: Float64Array;
  edgeCounts: Int32Array;
  hasMissing: Uint8Array;
  /** The histogram layout (see histogram.ts), known once the features are binned. */
  offsets: Int32Array;
  /** Known once the features are binned (the helper receives them then): bins per feature, histogram length and the shared histograms. */
  nonMissingBins: Int32Array;
  histogramLength: number;
  histogramBlock: Float64Array;

  /** The node partition: a node's rows are partition[start..stop). */
  partition: Uint32Array;
  target: Float64Array;
  /** raw[output][row]: the training scores so far. */
  raw: Float64Array[];
  gradients: Float32Array[];
  hessians: Float32Array[];
  /** The gradients and hessians of the node being summed, in partition order (see the gather job). */
  orderedGradients: Float32Array;
  orderedHessians: Float32Array;
}

export interface FitShape {
  task: LearningTask;
  nClasses: number;
  maxBins: number;
  outputs: number;
  constantHessian: boolean;
  rules: SplitRules;
}

/**
 * Allocates a fit's arrays for `target` (the training rows' labels) in
 * shared memory when `shared`. The columns are copied into shared memory
 * only when `shareColumns` (so that the helper can bin half of them).
 */
export function allocateFitState(
  shape: FitShape, columns: Float64Array[], trainingRows: Uint32Array | undefined, sample: Uint32Array | undefined,
  target: Float64Array, shared: boolean, shareColumns: boolean,
): FitState {
  const memory = typedArrays(shared);
  const rows = target.length;
  const features = columns.length;
  const groups = Math.ceil(features / FEATURES_PER_WORD);
  return {
    ...shape,
    features,
    rows,
    partitionEnds: memory.int32(MAX_PARTITION_PARTS),
    nodeTotals: memory.float64(2 * 4),
    splitResults: memory.float64(2 * groups * SPLIT_RESULT_SLOTS),
    columns: shareColumns ? columns.map((column) => memory.copy(column)) : columns,
    trainingRows: trainingRows && shareColumns ? memory.copyRows(trainingRows) : trainingRows,
    sample: sample && shareColumns ? memory.copyRows(sample) : sample,
    words: Array.from({ length: Math.ceil(features / FEATURES_PER_WORD) }, () => memory.uint32(rows)),
    edgeValues: memory.float64(features * (shape.maxBins - 1)),
    edgeCounts: memory.int32(features),
    hasMissing: memory.uint8(features),
    offsets: memory.int32(groups * FEATURES_PER_WORD + 1),
    nonMissingBins: new Int32Array(0),
    histogramLength: 0,
    histogramBlock: new Float64Array(0),
    partition: memory.uint32(rows),
    target: memory.copy(target),
    raw: Array.from({ length: shape.outputs }, () => memory.float64(rows)),
    gradients: Array.from({ length: shape.outputs }, () => memory.float32(rows)),
    hessians: Array.from({ length: shape.outputs }, () => memory.float32(rows)),
    orderedGradients: memory.float32(rows),
    orderedHessians: memory.float32(rows),
  };
}

/** The helper's copy of the state: the columns only when they were copied to shared memory. */
export function helperView(state: FitState, columnsShared: boolean): FitState {
  // The rest reaches the helper after binning (a HelperMemory message, see work-queue.ts).
  return { ...state, columns: columnsShared ? state.columns : [], trainingRows: columnsShared ? state.trainingRows : undefined, sample: columnsShared ? state.sample : undefined };
}

function typedArrays(shared: boolean) {
  const buffer = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  return {
    int32: (length: number) => new Int32Array(buffer(length * 4)),
    uint8: (length: number) => new Uint8Array(buffer(length)),
    uint32: (length: number) => new Uint32Array(buffer(length * 4)),
    float32: (length: number) => new Float32Array(buffer(length * 4)),
    float64: (length: number) => new Float64Array(buffer(length * 8)),
    copy(values: Float64Array): Float64Array {
      const copy = new Float64Array(buffer(values.length * 8));
      copy.set(values);
      return copy;
    },
    copyRows(values: Uint32Array): Uint32Array {
      const copy = new Uint32Array(buffer(values.length * 4));
      copy.set(values);
      return copy;
    },
  };
}
