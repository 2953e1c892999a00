// Per-node histograms: for every feature and bin, the sum of the gradients,
// the sum of the hessians and the row count of the node's rows in that bin.
// This is where boosting spends its time, so the loops are plain typed-array
// code over one flat Float64Array per node, three slots per bin, and each
// loop handles the four features of one bin word (see binning.ts), the unit
// of work the two threads share (see work-units.ts). The loop variants are
// written out because a flag or callback inside them costs measurably.
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

/** The layout of binned features; `offsets` (length ⌈features/4⌉·4 + 1) may be given, e.g. in shared memory. */
export function histogramLayout(nonMissingBins: Int32Array, offsets?: Int32Array): HistogramLayout {
  const padded = Math.ceil(nonMissingBins.length / FEATURES_PER_WORD) * FEATURES_PER_WORD;
  const out = offsets ?? new Int32Array(padded + 1);
  out[0] = 0;
  for (let f = 0; f < padded; f++) out[f + 1] = out[f]! + (f < nonMissingBins.length ? nonMissingBins[f]! + 1 : 1);
  return { offsets: out, length: out[padded]! * SLOTS_PER_BIN };
}

/** The slots of the four features of one word: [start, stop). */
export function groupSlots(offsets: Int32Array, group: number): [number, number] {
  return [offsets[group * FEATURES_PER_WORD]! * SLOTS_PER_BIN, offsets[(group + 1) * FEATURES_PER_WORD]! * SLOTS_PER_BIN];
}

/**
 * The row counts of all rows (only the COUNT slots are set). The root holds
 * every row in every tree, so its counts are computed once per fit and its
 * histogram loops only sum gradients and hessians.
 */
export function allRowCounts(data: BinnedFeatures, layout: HistogramLayout): Float64Array {
  const counts = new Float64Array(layout.length);
  data.words.forEach((words, group) => {
    const [o0, o1, o2, o3] = featureOffsets(layout.offsets, group);
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

/** Adds the gradients and hessians (not the counts) of rows start..stop, taken in order, to one word's features. */
export function addGroupRowRange(
  histogram: Float64Array, words: Uint32Array, offsets: Int32Array, group: number, start: number, stop: number,
  gradients: Float32Array, hessians: Float32Array, constantHessian: boolean,
): void {
  const [o0, o1, o2, o3] = featureOffsets(offsets, group);
  if (constantHessian) sumRangeGradients(histogram, words, start, stop, o0, o1, o2, o3, gradients);
  else sumRange(histogram, words, start, stop, o0, o1, o2, o3, gradients, hessians);
}

/**
 * Adds the partition rows rows[start..stop), with their counts, to one word's
 * features. Their gradients and hessians are read from the gathered arrays
 * (see gatherNode), at index i − `gatheredFrom`.
 */
export function addGroupIndexedRows(
  histogram: Float64Array, words: Uint32Array, offsets: Int32Array, group: number,
  rows: Uint32Array, start: number, stop: number, gatheredFrom: number,
  orderedGradients: Float32Array, orderedHessians: Float32Array, constantHessian: boolean,
): void {
  const [o0, o1, o2, o3] = featureOffsets(offsets, group);
  if (constantHessian) sumIndexedGradients(histogram, words, rows, start, stop, gatheredFrom, o0, o1, o2, o3, orderedGradients);
  else sumIndexed(histogram, words, rows, start, stop, gatheredFrom, o0, o1, o2, o3, orderedGradients, orderedHessians);
}

/**
 * Gathers the gradients (and hessians) of rows[from..to) into contiguous
 * arrays at index i − `gatheredFrom`, so that the loops over each word read
 * them in order and only the word lookup jumps around.
 */
export function gatherNode(
  gradients: Float32Array, hessians: Float32Array, rows: Uint32Array, from: number, to: number, gatheredFrom: number,
  orderedGradients: Float32Array, orderedHessians: Float32Array, constantHessian: boolean,
): void {
  gather(gradients, rows, from, to, gatheredFrom, orderedGradients);
  if (!constantHessian) gather(hessians, rows, from, to, gatheredFrom, orderedHessians);
}

// The two loops below go four slots per iteration: V8 re-checks each typed
// array on every iteration, which costs more than the arithmetic here.

/** target += source, slot by slot. */
export function addHistogram(target: Float64Array, source: Float64Array): void {
  const n = target.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a0 = target[i]! + source[i]!;
    const a1 = target[i + 1]! + source[i + 1]!;
    const a2 = target[i + 2]! + source[i + 2]!;
    const a3 = target[i + 3]! + source[i + 3]!;
    target[i] = a0; target[i + 1] = a1; target[i + 2] = a2; target[i + 3] = a3;
  }
  for (; i < n; i++) target[i] = target[i]! + source[i]!;
}

/** parent − child, written into `out` (which may be `parent`): the sibling's histogram without reading its rows. */
export function subtractHistogram(parent: Float64Array, child: Float64Array, out: Float64Array): void {
  const n = out.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const d0 = parent[i]! - child[i]!;
    const d1 = parent[i + 1]! - child[i + 1]!;
    const d2 = parent[i + 2]! - child[i + 2]!;
    const d3 = parent[i + 3]! - child[i + 3]!;
    out[i] = d0; out[i + 1] = d1; out[i + 2] = d2; out[i + 3] = d3;
  }
  for (; i < n; i++) out[i] = parent[i]! - child[i]!;
}

/** out[i − base] = values[rows[i]] for i in start..stop, four per iteration. */
function gather(values: Float32Array, rows: Uint32Array, start: number, stop: number, base: number, out: Float32Array): void {
  let i = start;
  for (; i + 3 < stop; i += 4) {
    const v0 = values[rows[i]!]!;
    const v1 = values[rows[i + 1]!]!;
    const v2 = values[rows[i + 2]!]!;
    const v3 = values[rows[i + 3]!]!;
    const at = i - base;
    out[at] = v0; out[at + 1] = v1; out[at + 2] = v2; out[at + 3] = v3;
  }
  for (; i < stop; i++) out[i - base] = values[rows[i]!]!;
}

function featureOffsets(offsets: Int32Array, group: number): [number, number, number, number] {
  const f = group * FEATURES_PER_WORD;
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
  h: Float64Array, words: Uint32Array, rows: Uint32Array, start: number, stop: number, gatheredFrom: number,
  o0: number, o1: number, o2: number, o3: number, gradients: Float32Array, hessians: Float32Array,
): void {
  for (let i = start; i < stop; i++) {
    const word = words[rows[i]!]!;
    const g = gradients[i - gatheredFrom]!;
    const k = hessians[i - gatheredFrom]!;
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
  h: Float64Array, words: Uint32Array, rows: Uint32Array, start: number, stop: number, gatheredFrom: number,
  o0: number, o1: number, o2: number, o3: number, gradients: Float32Array,
): void {
  for (let i = start; i < stop; i++) {
    const word = words[rows[i]!]!;
    const g = gradients[i - gatheredFrom]!;
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
