// What every tree of a fit reuses: the fit's arrays, the histograms, and the
// shared jobs a tree is made of (sum a histogram, find a node's best split,
// partition a node's rows), each run with the helper thread when there is one.
import type { BinnedFeatures } from './binning.js';
import { SPLIT_RESULT_SLOTS, type FitState } from './fit-state.js';
import type { HistogramLayout } from './histogram.js';
import { HALF_SPLIT_ROWS, type HistogramBuilder } from './histogram-builder.js';
import type { Histogram, HistogramPool } from './histogram-pool.js';
import { joinPartitionedParts, NO_BIN } from './row-partition.js';
import { completeSplit, noSplit, type NodeTotals, type Split } from './split-finder.js';
import type { WorkQueue } from './work-queue.js';
import { Operation, partOf, performUnit, type ThreadScratch } from './work-units.js';

/** Nodes of this many rows are partitioned in MAX parts, half as many in 2, fewer in one go. */
const PARTITION_PARTS_ROWS = 4 * HALF_SPLIT_ROWS;

export class GrowerWorkspace {
  constructor(
    readonly state: FitState, readonly data: BinnedFeatures, readonly layout: HistogramLayout,
    readonly histograms: HistogramBuilder, private readonly pool: HistogramPool,
    private readonly queue: WorkQueue, private readonly scratch: ThreadScratch,
  ) {}

  /** The node partition: node rows are rows[start..stop). */
  get rows(): Uint32Array {
    return this.state.partition;
  }

  takeHistogram(): Histogram {
    return this.pool.take();
  }

  releaseHistogram(histogram: Histogram | undefined): void {
    this.pool.release(histogram);
  }

  /** The node's best split (undefined when none has a positive gain), one unit per word of features. */
  findSplit(histogram: Histogram, node: NodeTotals): Split | undefined {
    const { state, scratch } = this;
    state.nodeTotals.set([node.count, node.sumGradients, node.sumHessians, node.value]);
    scratch.privateHistogram = histogram.values;
    const groups = this.data.words.length;
    const args = [histogram.slot];
    this.queue.run(Operation.findSplit, args, groups, histogram.slot >= 0 && groups > 1, (unit) => performUnit(state, scratch, Operation.findSplit, args, unit, groups));
    // The first word with the highest gain wins, as a scan of all features in order would have it.
    const best = noSplit();
    const results = state.splitResults;
    for (let group = 0; group < groups; group++) {
      const at = group * SPLIT_RESULT_SLOTS;
      if (!(results[at]! > best.gain)) continue;
      best.gain = results[at]!;
      best.feature = results[at + 1]!;
      best.bin = results[at + 2]!;
      best.missingGoesLeft = results[at + 3] === 1;
      best.gradientLeft = results[at + 4]!;
      best.hessianLeft = results[at + 5]!;
      best.countLeft = results[at + 6]!;
    }
    return completeSplit(best, node);
  }

  /**
   * Reorders rows[start..stop) so that the rows going left come first, each
   * side keeping its order; returns where the right child starts. A big
   * range is partitioned in parts (some may go to the helper thread), then
   * the parts' sides are joined.
   */
  partition(start: number, stop: number, split: Split): number {
    const { state, scratch } = this;
    const missingBin = split.missingGoesLeft ? this.data.nonMissingBins[split.feature]! : NO_BIN;
    const args = [start, stop, split.feature, split.bin, missingBin];
    const rows = stop - start;
    // Parts only pay for themselves with a helper (joining them costs a pass); any parts give the same order.
    const parts = !this.queue.helped ? 1 : rows >= PARTITION_PARTS_ROWS ? state.partitionEnds.length : rows >= HALF_SPLIT_ROWS ? 2 : 1;
    this.queue.run(Operation.partition, args, parts, parts > 1, (unit) => performUnit(state, scratch, Operation.partition, args, unit, parts));
    if (parts === 1) return state.partitionEnds[0]!;
    const starts = Array.from({ length: parts }, (_, part) => partOf(start, stop, part, parts)[0]);
    return joinPartitionedParts(state.partition, scratch.spill, starts, stop, state.partitionEnds);
  }
}
