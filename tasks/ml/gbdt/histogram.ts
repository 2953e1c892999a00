// Per-node histograms: for every feature and bin, the sum of the gradients,
// the sum of the hessians and the row count of the node's rows in that bin.
// This is where boosting spends its time, so the loops are plain typed-array
// code over one flat Float64Array per node, three slots per bin, and each
// loop handles the four features of one bin word (see binning.ts). The loop
// variants are written out because a flag or callback inside them costs
// measurably.
//
// Layout: feature f owns bins offsets[f] .. offsets[f+1]-1 (its non-missing
// bins, then its missing-value bin); bin b's sums sit at 3·(offsets[f] + b).
// The unused byte slots of the last word get a one-bin dummy feature each.
import { FEATURES_PER_WORD, type BinnedFeatures } from './binning.js';

export const SLOTS_PER_BIN = 3;
export const GRADIENT = 0;
export const HESSIAN = 1;
export const COUNT = 2;

/** Where each feature's bins start in a histogram, and the histogram's length. */
export interface HistogramLayout {
  offsets: Int32Array;
  length: number;
}

export function histogramLayout(nonMissingBins: Int32Array): HistogramLayout {
  const padded = Math.ceil(nonMissingBins.length / FEATURES_PER_WORD) * FEATURES_PER_WORD;
  const offsets = new Int32Array(padded + 1);
  for (let f = 0; f < padded; f++) offsets[f + 1] = offsets[f]! + (f < nonMissingBins.length ? nonMissingBins[f]! + 1 : 1);
  return { offsets, length: offsets[padded]! * SLOTS_PER_BIN };
}

/**
 * The row counts of all rows (only the COUNT slots are set). The root holds
 * every row in every tree, so its counts are computed once per fit and its
 * histogram loops only sum gradients and hessians.
 */
export function allRowCounts(data: BinnedFeatures, layout: HistogramLayout): Float64Array {
  const counts = new Float64Array(layout.length);
  data.words.forEach((words, group) => {
    const [o0, o1, o2, o3] = groupOffsets(layout, group);
    for (let row = 0; row < words.length; row++) {
      const word = words[row]!;
      counts[o0 + (word & 255) * 3 + COUNT]! += 1;
      counts[o1 + ((word >>> 8) & 255) * 3 + COUNT]! += 1;
      counts[o2 + ((word >>> 16) & 255) * 3 + COUNT]! += 1;
      counts[o3 + (word >>> 24) * 3 + COUNT]! += 1;
    }
  });
  return counts;
}

/** Adds the gradients and hessians (not the counts) of rows start..stop, taken in order, to the histogram. */
export function addRowRange(
  histogram: Float64Array, data: BinnedFeatures, layout: HistogramLayout, start: number, stop: number,
  gradients: Float32Array, hessians: Float32Array, constantHessian: boolean,
): void {
  data.words.forEach((words, group) => {
    const [o0, o1, o2, o3] = groupOffsets(layout, group);
    if (constantHessian) sumRangeGradients(histogram, words, start, stop, o0, o1, o2, o3, gradients);
    else sumRange(histogram, words, start, stop, o0, o1, o2, o3, gradients, hessians);
  });
}

/**
 * Adds the rows rows[start..stop), with their counts, to the histogram. Their
 * gradients and hessians are first gathered into contiguous scratch arrays,
 * so the loops read them in order and only the bin word lookup jumps around.
 */
export function addIndexedRows(
  histogram: Float64Array, data: BinnedFeatures, layout: HistogramLayout,
  rows: Uint32Array, start: number, stop: number,
  gradients: Float32Array, hessians: Float32Array, constantHessian: boolean,
  orderedGradients: Float32Array, orderedHessians: Float32Array,
): void {
  for (let i = start; i < stop; i++) orderedGradients[i - start] = gradients[rows[i]!]!;
  if (!constantHessian) for (let i = start; i < stop; i++) orderedHessians[i - start] = hessians[rows[i]!]!;
  data.words.forEach((words, group) => {
    const [o0, o1, o2, o3] = groupOffsets(layout, group);
    if (constantHessian) sumIndexedGradients(histogram, words, rows, start, stop, o0, o1, o2, o3, orderedGradients);
    else sumIndexed(histogram, words, rows, start, stop, o0, o1, o2, o3, orderedGradients, orderedHessians);
  });
}

/** target += source, slot by slot. */
export function addHistogram(target: Float64Array, source: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] = target[i]! + source[i]!;
}

/** parent − child, written into `out` (which may be `parent`): the sibling's histogram without reading its rows. */
export function subtractHistogram(parent: Float64Array, child: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = parent[i]! - child[i]!;
}

function groupOffsets(layout: HistogramLayout, group: number): [number, number, number, number] {
  const f = group * FEATURES_PER_WORD;
  const { offsets } = layout;
  return [offsets[f]! * SLOTS_PER_BIN, offsets[f + 1]! * SLOTS_PER_BIN, offsets[f + 2]! * SLOTS_PER_BIN, offsets[f + 3]! * SLOTS_PER_BIN];
}

function sumRange(
  h: Float64Array, words: Uint32Array, start: number, stop: number,
  o0: number, o1: number, o2: number, o3: number, gradients: Float32Array, hessians: Float32Array,
): void {
  for (let row = start; row < stop; row++) {
    const word = words[row]!;
    const g = gradients[row]!;
    const k = hessians[row]!;
    let s = o0 + (word & 255) * 3;
    h[s] = h[s]! + g; h[s + 1] = h[s + 1]! + k;
    s = o1 + ((word >>> 8) & 255) * 3;
    h[s] = h[s]! + g; h[s + 1] = h[s + 1]! + k;
    s = o2 + ((word >>> 16) & 255) * 3;
    h[s] = h[s]! + g; h[s + 1] = h[s + 1]! + k;
    s = o3 + (word >>> 24) * 3;
    h[s] = h[s]! + g; h[s + 1] = h[s + 1]! + k;
  }
}

function sumRangeGradients(
  h: Float64Array, words: Uint32Array, start: number, stop: number,
  o0: number, o1: number, o2: number, o3: number, gradients: Float32Array,
): void {
  for (let row = start; row < stop; row++) {
    const word = words[row]!;
    const g = gradients[row]!;
    let s = o0 + (word & 255) * 3;
    h[s] = h[s]! + g;
    s = o1 + ((word >>> 8) & 255) * 3;
    h[s] = h[s]! + g;
    s = o2 + ((word >>> 16) & 255) * 3;
    h[s] = h[s]! + g;
    s = o3 + (word >>> 24) * 3;
    h[s] = h[s]! + g;
  }
}

function sumIndexed(
  h: Float64Array, words: Uint32Array, rows: Uint32Array, start: number, stop: number,
  o0: number, o1: number, o2: number, o3: number, gradients: Float32Array, hessians: Float32Array,
): void {
  for (let i = start; i < stop; i++) {
    const word = words[rows[i]!]!;
    const g = gradients[i - start]!;
    const k = hessians[i - start]!;
    let s = o0 + (word & 255) * 3;
    h[s] = h[s]! + g; h[s + 1] = h[s + 1]! + k; h[s + 2] = h[s + 2]! + 1;
    s = o1 + ((word >>> 8) & 255) * 3;
    h[s] = h[s]! + g; h[s + 1] = h[s + 1]! + k; h[s + 2] = h[s + 2]! + 1;
    s = o2 + ((word >>> 16) & 255) * 3;
    h[s] = h[s]! + g; h[s + 1] = h[s + 1]! + k; h[s + 2] = h[s + 2]! + 1;
    s = o3 + (word >>> 24) * 3;
    h[s] = h[s]! + g; h[s + 1] = h[s + 1]! + k; h[s + 2] = h[s + 2]! + 1;
  }
}

function sumIndexedGradients(
  h: Float64Array, words: Uint32Array, rows: Uint32Array, start: number, stop: number,
  o0: number, o1: number, o2: number, o3: number, gradients: Float32Array,
): void {
  for (let i = start; i < stop; i++) {
    const word = words[rows[i]!]!;
    const g = gradients[i - start]!;
    let s = o0 + (word & 255) * 3;
    h[s] = h[s]! + g; h[s + 2] = h[s + 2]! + 1;
    s = o1 + ((word >>> 8) & 255) * 3;
    h[s] = h[s]! + g; h[s + 2] = h[s + 2]! + 1;
    s = o2 + ((word >>> 16) & 255) * 3;
    h[s] = h[s]! + g; h[s + 2] = h[s + 2]! + 1;
    s = o3 + (word >>> 24) * 3;
    h[s] = h[s]! + g; h[s + 2] = h[s + 2]! + 1;
  }
}
