// Builds the histograms a tree needs, the root's (all rows) and a child's (a
// range of the row partition), as shared jobs (see work-queue.ts): one unit
// per word of four features, and for nodes of HALF_SPLIT_ROWS rows or more
// one per word and row half, the halves added afterwards. The split depends
// on the node only, so the sums are the same whoever does the units.
import type { BinnedFeatures } from './binning.js';
import type { FitState } from './fit-state.js';
import { addHistogram, allRowCounts, COUNT, SLOTS_PER_BIN, type HistogramLayout } from './histogram.js';
import type { Histogram } from './histogram-pool.js';
import type { WorkQueue } from './work-queue.js';
import { Operation, performUnit, type ThreadScratch } from './work-units.js';

/** Nodes with this many rows are summed in two row halves, so both threads have work even with few features. */
export const HALF_SPLIT_ROWS = 4096;
/** Below this many rows a node is summed on the main thread alone: sharing costs more than it saves. */
export const SHARE_MIN_ROWS = 1024;

export class HistogramBuilder {
  private readonly rootCounts: Float64Array;
  private readonly groups: number;

  constructor(
    private readonly state: FitState, data: BinnedFeatures, private readonly layout: HistogramLayout,
    private readonly queue: WorkQueue, private readonly scratch: ThreadScratch,
  ) {
    this.rootCounts = allRowCounts(data, layout);
    this.groups = data.words.length;
  }

  /** The histogram of every row, for output `output`'s gradients. */
  buildRoot(histogram: Histogram, output: number): void {
    const rows = this.state.rows;
    const halves = rows >= HALF_SPLIT_ROWS;
    this.run(histogram, Operation.rootHistogram, [histogram.slot, output, halves ? 1 : 0], halves, rows >= SHARE_MIN_ROWS);
    // Root units sum gradients and hessians only; the counts never change.
    const values = histogram.values;
    const counts = this.rootCounts;
    for (let slot = COUNT; slot < this.layout.length; slot += SLOTS_PER_BIN) values[slot] = counts[slot]!;
  }

  /** The histogram of the partition's rows start..stop. */
  buildNode(histogram: Histogram, start: number, stop: number, output: number): void {
    const { state, scratch } = this;
    const halves = stop - start >= HALF_SPLIT_ROWS;
    // Gathering first, as its own job: the helper is then awake when the sums are posted.
    const parts = halves ? 2 : 1;
    const gatherArgs = [output, start, stop];
    this.queue.run(Operation.gather, gatherArgs, parts, halves, (unit) => performUnit(state, scratch, Operation.gather, gatherArgs, unit, parts));
    this.run(histogram, Operation.nodeHistogram, [histogram.slot, output, start, stop, halves ? 1 : 0], halves, stop - start >= SHARE_MIN_ROWS);
  }

  private run(histogram: Histogram, operation: number, args: number[], halves: boolean, share: boolean): void {
    const { state, scratch } = this;
    scratch.privateHistograms[0] = histogram.values;
    const units = this.groups * (halves ? 2 : 1);
    this.queue.run(operation, args, units, share && histogram.slot >= 0, (unit) => performUnit(state, scratch, operation, args, unit, units));
    if (halves) addHistogram(histogram.values, scratch.secondHalves);
  }
}
