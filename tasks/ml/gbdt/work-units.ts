// One unit of a shared job (see work-queue.ts), done the same way by either
// thread: the job's units are fixed by the data, and each unit writes only
// its own slots, so the result never depends on which thread did it.
//
// Histogram units are (word of four features) × (row half, for big nodes):
// a unit zeroes its region of the node's histogram (first half) or of the
// second-halves histogram, and sums its rows into it; the main thread adds
// the halves afterwards (see histogram-builder.ts).
import { binFeatureGroup, FEATURES_PER_WORD } from './binning.js';
import { SPLIT_RESULT_SLOTS, type FitState } from './fit-state.js';
import { addGroupIndexedRows, addGroupRowRange, gatherNode, groupSlots } from './histogram.js';
import { slotView } from './histogram-pool.js';
import type { BoostingLoss } from './losses.js';
import { partitionRows } from './row-partition.js';
import { noSplit, searchFeatures } from './split-finder.js';

export const Operation = {
  /** Bin the four features of word `unit`. */
  binGroup: 1,
  /** Root histogram: (slot, output, halves) — all rows, in order. */
  rootHistogram: 2,
  /** Node histogram: (slot, output, start, stop, halves) — partition rows, gradients gathered from `start`. */
  nodeHistogram: 3,
  /** Gradients of every row: (parts). */
  gradients: 4,
  /** Partition: (start, stop, feature, splitBin, missingBin) — one unit per part. */
  partition: 5,
  /** Best splits of one or two nodes (nodeTotals) with histograms in slots (slot0, slot1): one unit per node and word of features. */
  findSplit: 6,
  /** Gather the gradients of partition rows: (output, start, stop) — one unit per part. */
  gather: 7,
} as const;

/** What each thread has of its own. */
export interface ThreadScratch {
  spill: Uint32Array;
  loss: BoostingLoss;
  /** The main thread's histograms for a job on slot -1 (private, not shared): the one being summed, or the nodes searched. */
  privateHistograms: Float64Array[];
  /** Where histogram units of second row halves go (shared slot 0 with a helper). */
  secondHalves: Float64Array;
}

/** The unit's group and row half (0 or 1; always 0 when not halved). */
export function histogramUnit(unit: number, halves: boolean): { group: number; half: number } {
  return halves ? { group: unit >> 1, half: unit & 1 } : { group: unit, half: 0 };
}

/** [from, to) of the `part`-th of `parts` equal parts of start..stop. */
export function partOf(start: number, stop: number, part: number, parts: number): [number, number] {
  const size = stop - start;
  return [start + Math.floor((size * part) / parts), start + Math.floor((size * (part + 1)) / parts)];
}

/** The histogram in `slot` (for -1, the `which`-th private one). */
export function histogramIn(state: FitState, scratch: ThreadScratch, slot: number, which = 0): Float64Array {
  return slot < 0 ? scratch.privateHistograms[which]! : slotView(state.histogramBlock, state.histogramLength, slot);
}

export function performUnit(state: FitState, scratch: ThreadScratch, operation: number, args: ArrayLike<number>, unit: number, units: number): void {
  switch (operation) {
    case Operation.binGroup:
      binFeatureGroup(state, unit);
      return;
    case Operation.rootHistogram:
      sumHistogramPart(state, scratch, args[0]!, args[1]!, 0, state.rows, -1, args[2] === 1, unit);
      return;
    case Operation.nodeHistogram:
      sumHistogramPart(state, scratch, args[0]!, args[1]!, args[2]!, args[3]!, args[2]!, args[4] === 1, unit);
      return;
    case Operation.gradients: {
      const [from, to] = partOf(0, state.rows, unit, args[0]!);
      scratch.loss.updateGradients(state.target, state.raw, state.gradients, state.hessians, from, to);
      return;
    }
    case Operation.partition: {
      const [from, to] = partOf(args[0]!, args[1]!, unit, units);
      const feature = args[2]!;
      state.partitionEnds[unit] = partitionRows(state.partition, scratch.spill, state.words[feature >> 2]!, 8 * (feature & 3), from, to, args[3]!, args[4]!);
      return;
    }
    case Operation.findSplit: {
      const groups = state.words.length;
      const node = Math.floor(unit / groups);
      searchSplitPart(state, histogramIn(state, scratch, args[node]!, node), node, unit - node * groups);
      return;
    }
    case Operation.gather: {
      const [output, start, stop] = [args[0]!, args[1]!, args[2]!];
      const [from, to] = partOf(start, stop, unit, units);
      gatherNode(state.gradients[output]!, state.hessians[output]!, state.partition, from, to, start, state.orderedGradients, state.orderedHessians, state.constantHessian);
      return;
    }
    default:
      throw new Error(`gradient boosting: unknown shared operation ${operation}`);
  }
}

/**
 * One histogram unit; `gatheredFrom` < 0 means rows start..stop in order
 * (the root), else partition rows whose gradients were gathered from there.
 */
function sumHistogramPart(
  state: FitState, scratch: ThreadScratch, slot: number, output: number,
  start: number, stop: number, gatheredFrom: number, halves: boolean, unit: number,
): void {
  const { group, half } = histogramUnit(unit, halves);
  const [from, to] = halves ? partOf(start, stop, half, 2) : [start, stop];
  const target = half === 0 ? histogramIn(state, scratch, slot) : scratch.secondHalves;
  const [first, last] = groupSlots(state.offsets, group);
  target.fill(0, first, last);
  const words = state.words[group]!;
  if (gatheredFrom < 0) {
    addGroupRowRange(target, words, state.offsets, group, from, to, state.gradients[output]!, state.hessians[output]!, state.constantHessian);
  } else {
    addGroupIndexedRows(target, words, state.offsets, group, state.partition, from, to, gatheredFrom, state.orderedGradients, state.orderedHessians, state.constantHessian);
  }
}

/** Node `node`'s best split among the features of word `group`, into its splitResults slots. */
function searchSplitPart(state: FitState, histogram: Float64Array, node: number, group: number): void {
  const totals = state.nodeTotals.subarray(4 * node, 4 * node + 4);
  const nodeTotals = { count: totals[0]!, sumGradients: totals[1]!, sumHessians: totals[2]!, value: totals[3]! };
  const best = noSplit();
  const from = group * FEATURES_PER_WORD;
  const to = Math.min(from + FEATURES_PER_WORD, state.features);
  searchFeatures(histogram, state.offsets, state.nonMissingBins, state.hasMissing, nodeTotals, state.rules, from, to, best);
  const at = (node * state.words.length + group) * SPLIT_RESULT_SLOTS;
  const results = state.splitResults;
  results[at] = best.gain;
  results[at + 1] = best.feature;
  results[at + 2] = best.bin;
  results[at + 3] = best.missingGoesLeft ? 1 : 0;
  results[at + 4] = best.gradientLeft;
  results[at + 5] = best.hessianLeft;
  results[at + 6] = best.countLeft;
}
