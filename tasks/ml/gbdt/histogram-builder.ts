// Builds the histograms a tree needs: the root's (all rows) and a child's
// (a range of the row partition). Nodes of HALF_SPLIT_ROWS rows or more are
// summed in two halves, the second by the helper thread when one runs, so a
// fit gives the same trees with or without it.
import type { BinnedFeatures } from './binning.js';
import { Operation, type HelperThread } from './helper-thread.js';
import { addHistogram, addIndexedRows, addRowRange, allRowCounts, type HistogramLayout } from './histogram.js';

/** Below this many rows a node is summed in one go: a second thread would cost more than it saves. */
export const HALF_SPLIT_ROWS = 8192;

export interface HistogramInputs {
  data: BinnedFeatures;
  layout: HistogramLayout;
  /** The node partition (in shared memory when a helper runs). */
  rows: Uint32Array;
  /** Per output; in shared memory when a helper runs. */
  gradients: Float32Array[];
  hessians: Float32Array[];
  constantHessian: boolean;
}

export class HistogramBuilder {
  private readonly rootCounts: Float64Array;
  /** The second half's sums: written by the helper thread, or by this one without it. */
  private readonly halfHistogram: Float64Array;
  private readonly orderedGradients: Float32Array;
  private readonly orderedHessians: Float32Array;

  /**
   * `halfHistogram` receives the second half's sums; with a helper thread it
   * must be the shared array the helper writes.
   */
  constructor(private readonly inputs: HistogramInputs, private readonly helper: HelperThread | undefined, halfHistogram: Float64Array) {
    const { data, layout } = inputs;
    this.rootCounts = allRowCounts(data, layout);
    this.orderedGradients = new Float32Array(data.rows);
    this.orderedHessians = new Float32Array(data.rows);
    this.halfHistogram = halfHistogram;
  }

  /** The histogram of every row, for output `output`'s gradients. */
  buildRoot(histogram: Float64Array, output: number): void {
    const { data, layout, constantHessian } = this.inputs;
    const gradients = this.inputs.gradients[output]!;
    const hessians = this.inputs.hessians[output]!;
    histogram.set(this.rootCounts);
    const n = data.rows;
    if (n < HALF_SPLIT_ROWS) {
      addRowRange(histogram, data, layout, 0, n, gradients, hessians, constantHessian);
      return;
    }
    const middle = n >>> 1;
    const helped = this.helper?.request(Operation.rowRangeHistogram, output, middle, n) ?? false;
    addRowRange(histogram, data, layout, 0, middle, gradients, hessians, constantHessian);
    if (helped) {
      this.helper!.await();
    } else {
      this.halfHistogram.fill(0);
      addRowRange(this.halfHistogram, data, layout, middle, n, gradients, hessians, constantHessian);
    }
    addHistogram(histogram, this.halfHistogram);
  }

  /** The histogram of the partition's rows start..stop. */
  buildNode(histogram: Float64Array, start: number, stop: number, output: number): void {
    const { data, layout, rows, constantHessian } = this.inputs;
    const gradients = this.inputs.gradients[output]!;
    const hessians = this.inputs.hessians[output]!;
    const { orderedGradients, orderedHessians } = this;
    histogram.fill(0);
    if (stop - start < HALF_SPLIT_ROWS) {
      addIndexedRows(histogram, data, layout, rows, start, stop, gradients, hessians, constantHessian, orderedGradients, orderedHessians);
      return;
    }
    const middle = start + ((stop - start) >>> 1);
    const helped = this.helper?.request(Operation.indexedHistogram, output, middle, stop) ?? false;
    addIndexedRows(histogram, data, layout, rows, start, middle, gradients, hessians, constantHessian, orderedGradients, orderedHessians);
    if (helped) {
      this.helper!.await();
    } else {
      this.halfHistogram.fill(0);
      addIndexedRows(this.halfHistogram, data, layout, rows, middle, stop, gradients, hessians, constantHessian, orderedGradients, orderedHessians);
    }
    addHistogram(histogram, this.halfHistogram);
  }
}
