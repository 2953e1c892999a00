// Drift statistics between a reference sample and a current one, as pure
// functions over arrays. Definitions follow test/fixtures/drift/README.md,
// whose expected.json holds what NumPy and SciPy compute on the same data.
// Missing values (NULL, NaN, ±∞) are not part of a distribution: callers drop
// them with `presentSorted` and count them with `missingShare`.
import { chiSquareSurvival, kolmogorovSurvival } from './special-functions.js';

/** The floor of a bin's share in PSI, so that an empty bin gives a finite term. */
export const PSI_EPSILON = 1e-4;

/** The deciles that bound the PSI bins of a numeric column. */
export const PSI_QUANTILES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => k / 10);

/** A sample has nothing to compare: no values at all. */
export class EmptySampleError extends Error {
  override name = 'EmptySampleError';
}

function needValues(length: number, which: string): void {
  if (length === 0) throw new EmptySampleError(`the ${which} data has no values to compare`);
}

/** Whether a number counts as a value (NULL arrives as NaN; ±∞ has no place on a histogram or in a distance). */
export function isPresent(value: number): boolean {
  return Number.isFinite(value);
}

/** The present values, sorted ascending. */
export function presentSorted(values: ArrayLike<number>): Float64Array {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (isPresent(values[i]!)) count++;
  const kept = new Float64Array(count);
  let at = 0;
  for (let i = 0; i < values.length; i++) if (isPresent(values[i]!)) kept[at++] = values[i]!;
  return kept.sort();
}

/** Share of rows with no value; an error for no rows, where the share means nothing. */
export function missingShare(missing: number, rows: number, which: string): number {
  if (rows === 0) throw new EmptySampleError(`the ${which} data has no rows`);
  return missing / rows;
}

/**
 * NumPy's default ("linear") quantile of sorted values: the value at virtual
 * index (n − 1)·q, interpolated the way numpy's _lerp does (from the upper
 * neighbour when the fraction is ≥ 0.5), so that edges equal NumPy's bit for bit.
 */
export function quantileLinear(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  needValues(n, 'reference');
  const position = (n - 1) * q;
  const below = Math.min(Math.max(Math.floor(position), 0), n - 1);
  const above = Math.min(below + 1, n - 1);
  const fraction = position - below;
  const a = sorted[below]!;
  const b = sorted[above]!;
  const difference = b - a;
  return fraction >= 0.5 ? b - difference * (1 - fraction) : a + difference * fraction;
}

/** The PSI bin edges: the distinct deciles of the sorted reference. */
export function psiEdges(sortedReference: ArrayLike<number>): number[] {
  const edges: number[] = [];
  for (const q of PSI_QUANTILES) {
    const edge = quantileLinear(sortedReference, q);
    if (edges.length === 0 || edge !== edges.at(-1)) edges.push(edge);
  }
  return edges;
}

/** The bin of x: how many edges are strictly below it (bins are right-closed: (e[k−1], e[k]]). */
export function binOf(edges: readonly number[], x: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (edges[middle]! < x) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Counts of present values per bin; edges.length + 1 bins. */
export function binCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (isPresent(value)) counts[binOf(edges, value)]!++;
  }
  return counts;
}

/** PSI = Σ (p_cur − p_ref) ln(p_cur / p_ref) with p = max(count / n, ε), not renormalised. */
export function psiFromCounts(referenceCounts: readonly number[], currentCounts: readonly number[]): number {
  if (referenceCounts.length !== currentCounts.length) throw new RangeError('PSI needs the same bins on both sides');
  const referenceTotal = sum(referenceCounts);
  const currentTotal = sum(currentCounts);
  needValues(referenceTotal, 'reference');
  needValues(currentTotal, 'current');
  let psi = 0;
  for (let bin = 0; bin < referenceCounts.length; bin++) {
    const pReference = Math.max(referenceCounts[bin]! / referenceTotal, PSI_EPSILON);
    const pCurrent = Math.max(currentCounts[bin]! / currentTotal, PSI_EPSILON);
    psi += (pCurrent - pReference) * Math.log(pCurrent / pReference);
  }
  return psi;
}

/** PSI of a numeric column over the reference's decile bins. */
export function numericPsi(sortedReference: ArrayLike<number>, current: ArrayLike<number>): number {
  const edges = psiEdges(sortedReference);
  return psiFromCounts(binCounts(sortedReference, edges), binCounts(current, edges));
}

/**
 * Walks both empirical distribution functions (samples sorted) through every
 * distinct value, in order: `visit` sees each value with F_ref and F_cur just
 * below it; both then step past every copy of it.
 */
function walkDistributions(sortedReference: ArrayLike<number>, sortedCurrent: ArrayLike<number>,
  visit: (value: number, referenceBelow: number, currentBelow: number) => void): void {
  const n = sortedReference.length;
  const m = sortedCurrent.length;
  needValues(n, 'reference');
  needValues(m, 'current');
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    const next = j >= m || (i < n && sortedReference[i]! <= sortedCurrent[j]!) ? sortedReference[i]! : sortedCurrent[j]!;
    visit(next, i / n, j / m);
    while (i < n && sortedReference[i]! <= next) i++;
    while (j < m && sortedCurrent[j]! <= next) j++;
  }
}

/** D = sup |F_ref − F_cur| over the two empirical distribution functions (both samples sorted). */
export function ksStatistic(sortedReference: ArrayLike<number>, sortedCurrent: ArrayLike<number>): number {
  // F just below each value is F at the previous value, so these are all the values the difference takes (the last is 0).
  let statistic = 0;
  walkDistributions(sortedReference, sortedCurrent, (_value, referenceBelow, currentBelow) => {
    statistic = Math.max(statistic, Math.abs(referenceBelow - currentBelow));
  });
  return statistic;
}

export interface KsResult {
  statistic: number;
  /** The Kolmogorov limit of the p-value for D with λ = D √(nm / (n + m)). */
  pValue: number;
}

/**
 * The two-sample KS test. `referenceSize` is the reference's real number of
 * values when `sortedReference` is a profile's sketch of it: the p-value
 * depends on how many values there were, not on how many were kept.
 */
export function ksTest(sortedReference: ArrayLike<number>, sortedCurrent: ArrayLike<number>, referenceSize = sortedReference.length): KsResult {
  const statistic = ksStatistic(sortedReference, sortedCurrent);
  const n = referenceSize;
  const m = sortedCurrent.length;
  return { statistic, pValue: kolmogorovSurvival(statistic * Math.sqrt((n * m) / (n + m))) };
}

/** Wasserstein-1 distance ∫ |F_ref(x) − F_cur(x)| dx between the empirical distributions (both sorted). */
export function wasserstein(sortedReference: ArrayLike<number>, sortedCurrent: ArrayLike<number>): number {
  let distance = 0;
  let at = Number.NaN;
  walkDistributions(sortedReference, sortedCurrent, (value, referenceBelow, currentBelow) => {
    // Between the last value and this one, both functions are flat.
    if (!Number.isNaN(at)) distance += Math.abs(referenceBelow - currentBelow) * (value - at);
    at = value;
  });
  return distance;
}

/** Counts per category (NULL is missing, not a category). */
export function countCategories(values: Iterable<string | null>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** The sorted union of both sides' categories, with each side's counts in that order. */
export function alignCategories(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): { categories: string[]; referenceCounts: number[]; currentCounts: number[] } {
  const categories = [...new Set([...reference.keys(), ...current.keys()])].sort(compareText);
  return {
    categories,
    referenceCounts: categories.map((category) => reference.get(category) ?? 0),
    currentCounts: categories.map((category) => current.get(category) ?? 0),
  };
}

/** PSI over the sorted union of categories, with the same ε floor as the numeric one. */
export function categoricalPsi(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): number {
  const aligned = alignCategories(reference, current);
  return psiFromCounts(aligned.referenceCounts, aligned.currentCounts);
}

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  dof: number;
}

/**
 * Pearson's chi-square test of independence on the 2 × K table of reference
 * and current counts, as scipy.stats.chi2_contingency computes it: expected
 * counts from the margins, Yates' correction when there is one degree of
 * freedom, and statistic 0 with p-value 1 when there is none (one category).
 */
export function chiSquareTest(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): ChiSquareResult {
  const { referenceCounts, currentCounts } = alignCategories(reference, current);
  const rows = [referenceCounts, currentCounts];
  const rowTotals = rows.map(sum);
  needValues(rowTotals[0]!, 'reference');
  needValues(rowTotals[1]!, 'current');
  const total = rowTotals[0]! + rowTotals[1]!;
  const dof = referenceCounts.length - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof };
  let statistic = 0;
  for (let k = 0; k < referenceCounts.length; k++) {
    const columnTotal = referenceCounts[k]! + currentCounts[k]!;
    for (let r = 0; r < 2; r++) {
      const expected = (rowTotals[r]! * columnTotal) / total;
      let observed = rows[r]![k]!;
      if (dof === 1) {
        const difference = expected - observed;
        observed += Math.sign(difference) * Math.min(0.5, Math.abs(difference));
      }
      statistic += ((observed - expected) ** 2) / expected;
    }
  }
  return { statistic, pValue: chiSquareSurvival(statistic, dof), dof };
}

/** Categories only the current data has, and those it lost. */
export function categoryChanges(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): { added: string[]; lost: string[] } {
  return {
    added: [...current.keys()].filter((category) => !reference.has(category)).sort(compareText),
    lost: [...reference.keys()].filter((category) => !current.has(category)).sort(compareText),
  };
}

/** Sorting by UTF-16 code units, like Python's sorted() on ASCII and JavaScript's default sort. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
