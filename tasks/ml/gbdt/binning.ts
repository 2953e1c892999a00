// Feature values to small integer bins, as scikit-learn's _BinMapper does:
// with few distinct values the bin edges are the midpoints between them, with
// many they are the 'midpoint' percentiles, so every bin holds about as many
// rows. Missing values (NaN) get a bin of their own, after the others.
//
// Bins are stored four features to a 32-bit word, a column of words per
// group of four features: the histogram loops then read one word per row for
// four features instead of four bytes from four arrays, which in V8 halves
// their cost (each typed array read carries its own checks).
import { sortWithPayload, SortScratch } from './radix-sort.js';

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

/** Where a group of four features finds its input and writes its bins and edges (a FitState satisfies it). */
export interface BinningWork {
  columns: Float64Array[];
  /** The training rows among the columns' rows; all rows when absent. */
  trainingRows: Uint32Array | undefined;
  /** Positions among the training rows whose values fit the edges; all when absent. */
  sample: Uint32Array | undefined;
  maxBins: number;
  rows: number;
  words: Uint32Array[];
  edgeValues: Float64Array;
  edgeCounts: Int32Array;
  hasMissing: Uint8Array;
}

/**
 * Bins the training rows of the features of one word (four features): fits
 * their edges and writes their bins. Each column is sorted once (a radix sort
 * carrying the row positions), which gives both the edges and every row's bin.
 */
export function binFeatureGroup(work: BinningWork, group: number): void {
  const { columns, trainingRows, sample, rows, maxBins } = work;
  const fitted = sample ? sample.length : rows;
  const values = new Float64Array(fitted);
  const positions = new Uint32Array(fitted);
  const sortScratch = new SortScratch(fitted);
  const last = Math.min(columns.length, (group + 1) * FEATURES_PER_WORD);
  for (let feature = group * FEATURES_PER_WORD; feature < last; feature++) {
    const column = columns[feature]!;
    let present = 0;
    for (let i = 0; i < fitted; i++) {
      const position = sample ? sample[i]! : i;
      const value = column[trainingRows ? trainingRows[position]! : position]!;
      if (value !== value) continue;
      values[present] = value;
      positions[present++] = position;
    }
    const sorted = values.subarray(0, present);
    sortWithPayload(sorted, positions.subarray(0, present), sortScratch);
    const edges = binEdges(sorted, maxBins);
    work.edgeValues.set(edges, feature * (maxBins - 1));
    work.edgeCounts[feature] = edges.length;
    const words = work.words[wordOf(feature)]!;
    if (sample) {
      work.hasMissing[feature] = binBySearch(column, trainingRows, edges, words, shiftOf(feature)) ? 1 : 0;
    } else {
      binSortedRows(sorted, positions, edges, words, shiftOf(feature));
      if (present < rows) {
        markMissingRows(column, trainingRows, edges.length + 1, words, shiftOf(feature));
        work.hasMissing[feature] = 1;
      }
    }
  }
}

/** The binned training rows once every group is done. */
export function binnedFeatures(work: BinningWork): BinnedFeatures {
  const features = work.columns.length;
  const step = work.maxBins - 1;
  const edges = Array.from({ length: features }, (_, f) => work.edgeValues.slice(f * step, f * step + work.edgeCounts[f]!));
  return {
    words: work.words, features, edges, nonMissingBins: Int32Array.from(edges, (e) => e.length + 1),
    hasMissing: Uint8Array.from(work.hasMissing), rows: work.rows,
  };
}

/** Bins the given rows (all when absent) with edges fitted elsewhere (the validation rows). */
export function binRowsWithEdges(columns: Float64Array[], edges: Float64Array[], rows?: Uint32Array): BinnedFeatures {
  const count = rows ? rows.length : columns[0]!.length;
  const words = Array.from({ length: Math.ceil(columns.length / FEATURES_PER_WORD) }, () => new Uint32Array(count));
  const hasMissing = new Uint8Array(columns.length);
  columns.forEach((column, feature) => {
    hasMissing[feature] = binBySearch(column, rows, edges[feature]!, words[wordOf(feature)]!, shiftOf(feature)) ? 1 : 0;
  });
  return { words, features: columns.length, edges, nonMissingBins: Int32Array.from(edges, (e) => e.length + 1), hasMissing, rows: count };
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
function binSortedRows(sorted: Float64Array, positions: Uint32Array, edges: Float64Array, words: Uint32Array, shift: number): void {
  let bin = 0;
  for (let i = 0; i < sorted.length; i++) {
    const value = sorted[i]!;
    while (bin < edges.length && value > edges[bin]!) bin++;
    const position = positions[i]!;
    words[position] = words[position]! | (bin << shift);
  }
}

function markMissingRows(column: Float64Array, rows: Uint32Array | undefined, missingBin: number, words: Uint32Array, shift: number): void {
  for (let i = 0; i < words.length; i++) {
    const value = column[rows ? rows[i]! : i]!;
    if (value !== value) words[i] = words[i]! | (missingBin << shift);
  }
}

/** Bins each row by binary search among the edges; returns whether a value was missing. */
function binBySearch(column: Float64Array, rows: Uint32Array | undefined, edges: Float64Array, words: Uint32Array, shift: number): boolean {
  const missingBin = edges.length + 1;
  let sawMissing = false;
  for (let i = 0; i < words.length; i++) {
    const value = column[rows ? rows[i]! : i]!;
    let bin: number;
    if (value !== value) {
      bin = missingBin;
      sawMissing = true;
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
  return sawMissing;
}
