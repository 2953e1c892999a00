// Feature values to small integer bins, as scikit-learn's _BinMapper does:
// with few distinct values the bin edges are the midpoints between them, with
// many they are the 'midpoint' percentiles, so every bin holds about as many
// rows. Missing values (NaN) get a bin of their own, after the others.
//
// Bins are stored four features to a 32-bit word, a column of words per
// group of four features: the histogram loops then read one word per row for
// four features instead of four bytes from four arrays, which in V8 halves
// their cost (each typed array read carries its own checks).
import { sortWithPayload } from './radix-sort.js';
import { sampleRows } from './seeded-random.js';

/** scikit-learn clips bin edges here so that no edge is infinite. */
const ALMOST_INFINITE = 1e300;
/** Above this many rows, edges come from a random sample of rows (as scikit-learn's `subsample=2e5`). */
export const BINNING_SAMPLE_ROWS = 200_000;
export const FEATURES_PER_WORD = 4;

/**
 * Binned rows. Bin b of feature f holds the values v with
 * `edges[f][b-1] < v <= edges[f][b]`; its missing-value bin is
 * `nonMissingBins[f]` (= edges.length + 1).
 */
export interface BinnedFeatures {
  /** Feature f's bin at row r: (words[f >> 2][r] >>> 8·(f & 3)) & 255; the unused bytes of the last word are 0. */
  words: Uint32Array[];
  features: number;
  edges: Float64Array[];
  nonMissingBins: Int32Array;
  /** 1 where the feature has a missing value in these rows. */
  hasMissing: Uint8Array;
  rows: number;
}

export const wordOf = (feature: number): number => feature >> 2;
export const shiftOf = (feature: number): number => 8 * (feature & 3);

/**
 * Fits the bin edges on the given rows (all when absent) and bins those
 * rows. Each column is sorted once (a radix sort carrying the row numbers),
 * which gives both the edges and every row's bin.
 */
export function binTrainingRows(
  columns: Float64Array[], rows: Uint32Array | undefined, maxBins: number, random: () => number, shared = false,
): BinnedFeatures {
  const count = rows ? rows.length : columns[0]!.length;
  const data = emptyBinned(columns.length, count, shared);
  const sample = count > BINNING_SAMPLE_ROWS ? sampleRows(count, BINNING_SAMPLE_ROWS, random) : undefined;
  const values = new Float64Array(sample ? sample.length : count);
  const positions = new Uint32Array(values.length);
  columns.forEach((column, feature) => {
    let present = 0;
    for (let i = 0; i < values.length; i++) {
      const position = sample ? sample[i]! : i;
      const value = column[rows ? rows[position]! : position]!;
      if (value !== value) continue;
      values[present] = value;
      positions[present++] = position;
    }
    const sorted = values.subarray(0, present);
    sortWithPayload(sorted, positions.subarray(0, present));
    const edges = binEdges(sorted, maxBins);
    data.edges[feature] = edges;
    data.nonMissingBins[feature] = edges.length + 1;
    if (sample) {
      binBySearch(column, feature, rows, data);
    } else {
      binSortedRows(sorted, positions, feature, data);
      if (present < count) markMissingRows(column, feature, rows, data);
    }
  });
  return data;
}

/** Bins the given rows (all when absent) with edges fitted elsewhere (the validation rows). */
export function binRowsWithEdges(columns: Float64Array[], edges: Float64Array[], rows?: Uint32Array): BinnedFeatures {
  const data = emptyBinned(columns.length, rows ? rows.length : columns[0]!.length);
  columns.forEach((column, feature) => {
    data.edges[feature] = edges[feature]!;
    data.nonMissingBins[feature] = edges[feature]!.length + 1;
    binBySearch(column, feature, rows, data);
  });
  return data;
}

/** `shared`: words in shared memory, for the helper thread. */
function emptyBinned(features: number, rows: number, shared = false): BinnedFeatures {
  const words = (): Uint32Array => (shared ? new Uint32Array(new SharedArrayBuffer(4 * rows)) : new Uint32Array(rows));
  return {
    words: Array.from({ length: Math.ceil(features / FEATURES_PER_WORD) }, words),
    features,
    edges: new Array<Float64Array>(features),
    nonMissingBins: new Int32Array(features),
    hasMissing: new Uint8Array(features),
    rows,
  };
}

/** Edges between bins of sorted values: midpoints of distinct values, or midpoint percentiles. */
export function binEdges(sorted: Float64Array, maxBins: number): Float64Array {
  const distinct = distinctValues(sorted, maxBins);
  let edges: Float64Array;
  if (distinct) {
    edges = new Float64Array(Math.max(distinct.length - 1, 0));
    for (let i = 0; i < edges.length; i++) edges[i] = (distinct[i]! + distinct[i + 1]!) * 0.5;
  } else {
    edges = new Float64Array(maxBins - 1);
    const last = sorted.length - 1;
    const step = 100 / maxBins;
    for (let i = 1; i < maxBins; i++) {
      // numpy's percentile(method='midpoint'): halfway between the two ranks around q·(n-1).
      const position = ((i * step) / 100) * last;
      const below = Math.floor(position);
      const above = Math.ceil(position);
      const low = sorted[below]!;
      const high = sorted[above]!;
      edges[i - 1] = below === above ? low : high - (high - low) * 0.5;
    }
  }
  for (let i = 0; i < edges.length; i++) if (edges[i]! > ALMOST_INFINITE) edges[i] = ALMOST_INFINITE;
  return edges;
}

/** The distinct values of a sorted array, or undefined once there are more than `limit`. */
function distinctValues(sorted: Float64Array, limit: number): Float64Array | undefined {
  const distinct = new Float64Array(limit);
  let count = 0;
  for (let i = 0; i < sorted.length; i++) {
    const value = sorted[i]!;
    if (count > 0 && value === distinct[count - 1]) continue;
    if (count === limit) return undefined;
    distinct[count++] = value;
  }
  return distinct.subarray(0, count);
}

/** Walks the sorted values once, moving to the next bin past each edge. */
function binSortedRows(sorted: Float64Array, positions: Uint32Array, feature: number, data: BinnedFeatures): void {
  const edges = data.edges[feature]!;
  const words = data.words[wordOf(feature)]!;
  const shift = shiftOf(feature);
  let bin = 0;
  for (let i = 0; i < sorted.length; i++) {
    const value = sorted[i]!;
    while (bin < edges.length && value > edges[bin]!) bin++;
    const position = positions[i]!;
    words[position] = words[position]! | (bin << shift);
  }
}

function markMissingRows(column: Float64Array, feature: number, rows: Uint32Array | undefined, data: BinnedFeatures): void {
  const words = data.words[wordOf(feature)]!;
  const missing = data.nonMissingBins[feature]! << shiftOf(feature);
  for (let i = 0; i < data.rows; i++) {
    const value = column[rows ? rows[i]! : i]!;
    if (value !== value) words[i] = words[i]! | missing;
  }
  data.hasMissing[feature] = 1;
}

/** Bins each row by binary search among the edges (for rows the edges were not fitted on). */
function binBySearch(column: Float64Array, feature: number, rows: Uint32Array | undefined, data: BinnedFeatures): void {
  const edges = data.edges[feature]!;
  const words = data.words[wordOf(feature)]!;
  const shift = shiftOf(feature);
  const missingBin = edges.length + 1;
  for (let i = 0; i < data.rows; i++) {
    const value = column[rows ? rows[i]! : i]!;
    let bin: number;
    if (value !== value) {
      bin = missingBin;
      data.hasMissing[feature] = 1;
    } else {
      // The first edge at or above the value.
      let low = 0;
      let high = edges.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (value <= edges[middle]!) high = middle;
        else low = middle + 1;
      }
      bin = low;
    }
    words[i] = words[i]! | (bin << shift);
  }
}
