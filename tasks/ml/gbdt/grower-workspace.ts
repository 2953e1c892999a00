// What every tree of a fit reuses: the fit's arrays, the histograms, and the
// shared jobs a tree is made of (sum a histogram, find siblings' best splits,
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

/** With a helper, nodes of this many rows are partitioned in MAX_PARTITION_PARTS parts, of HALF_SPLIT_ROWS in 2. */
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

  /**
   * The best split of each node (one or two siblings; undefined when none
   * has a positive gain): one unit per node and word of features.
   */
  findSplits(nodes: { histogram: Histogram; totals: NodeTotals }[]): (Split | undefined)[] {
    const { state, scratch } = this;
    nodes.forEach(({ histogram, totals }, node) => {
      state.nodeTotals.set([totals.count, totals.sumGradients, totals.sumHessians, totals.value], 4 * node);
      scratch.privateHistograms[node] = histogram.values;
    });
    const groups = this.data.words.length;
    const units = groups * nodes.length;
    const args = nodes.map(({ histogram }) => histogram.slot);
    const share = nodes.every(({ histogram }) => histogram.slot >= 0) && units > 1;
    this.queue.run(Operation.findSplit, args, units, share, (unit) => performUnit(state, scratch, Operation.findSplit, args, unit, units));
    return nodes.map(({ totals }, node) => completeSplit(this.bestOfGroups(node, groups), totals));
  }

  /** The first word with the highest gain wins, as a scan of all features in order would have it. */
  private bestOfGroups(node: number, groups: number): Split {
    const best = noSplit();
    const results = this.state.splitResults;
    for (let group = 0; group < groups; group++) {
      const at = (node * groups + group) * SPLIT_RESULT_SLOTS;
      if (!(results[at]! > best.gain)) continue;
      best.gain = results[at]!;
      best.feature = results[at + 1]!;
      best.bin = results[at + 2]!;
      best.missingGoesLeft = results[at + 3] === 1;
      best.gradientLeft = results[at + 4]!;
      best.hessianLeft = results[at + 5]!;
      best.countLeft = results[at + 6]!;
    }
    return best;
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
