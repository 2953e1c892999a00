// One column's drift: the statistics between its reference profile and the
// current values, and the verdict under its thresholds.
import {
  binCounts, categoricalPsi, categoryChanges, chiSquareTest, countCategories, ksTest, psiFromCounts, wasserstein,
  presentSorted, type ChiSquareResult, type KsResult,
} from './drift-stats.js';
import { categoryHistogram, numericHistogram, type Histogram } from './histogram.js';
import { categoryCounts, type CategoricalColumnProfile, type ColumnProfile, type NumericColumnProfile } from './profile.js';

export interface Thresholds {
  /** Drift needs PSI at or above this … */
  psi: number;
  /** … and a KS p-value below this (numeric columns) … */
  ks_p_value: number;
  /** … or a chi-square p-value below this (categorical columns). */
  chi2_p_value: number;
  /** A change of the share of missing values by at least this much is drift on its own. */
  null_rate: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { psi: 0.2, ks_p_value: 0.05, chi2_p_value: 0.05, null_rate: 0.1 };

export interface ColumnDrift {
  name: string;
  kind: 'numeric' | 'categorical';
  referenceRows: number;
  currentRows: number;
  referenceNullRate: number;
  currentNullRate: number;
  /** Statistics of the distribution; null when either side has no values. */
  psi: number | null;
  ks?: KsResult | null;
  wasserstein?: number | null;
  referenceMean?: number | null;
  currentMean?: number | null;
  chiSquare?: ChiSquareResult | null;
  newCategories?: string[];
  missingCategories?: string[];
  thresholds: Thresholds;
  drifted: boolean;
  /** Why it drifted, or why not, in a few words. */
  verdict: string;
  histogram: Histogram;
}

export function compareColumn(profile: ColumnProfile, current: Float64Array | readonly (string | null)[], thresholds: Thresholds): ColumnDrift {
  return profile.kind === 'numeric'
    ? compareNumeric(profile, current as Float64Array, thresholds)
    : compareCategorical(profile, current as readonly (string | null)[], thresholds);
}

function compareNumeric(profile: NumericColumnProfile, values: Float64Array, thresholds: Thresholds): ColumnDrift {
  const current = presentSorted(values);
  const base = nullRates(profile, values.length, current.length);
  const comparable = profile.sketch.length > 0 && current.length > 0;
  const psi = comparable ? psiFromCounts(profile.binCounts, binCounts(current, profile.edges)) : null;
  // The sketch stands for all the reference's values: the p-value counts them all.
  const ks = comparable ? ksTest(profile.sketch, current, profile.rows - profile.missing) : null;
  const distance = comparable ? wasserstein(profile.sketch, current) : null;
  const distribution = psi !== null && ks !== null
    ? judge(psi >= thresholds.psi && ks.pValue < thresholds.ks_p_value,
      `PSI ${fixed(psi)} ${psi >= thresholds.psi ? '≥' : '<'} ${thresholds.psi}, KS p ${pValue(ks.pValue)} ${ks.pValue < thresholds.ks_p_value ? '<' : '≥'} ${thresholds.ks_p_value}`)
    : undefined;
  return {
    name: profile.name, kind: 'numeric', ...base, psi, ks, wasserstein: distance,
    referenceMean: profile.mean, currentMean: current.length ? mean(current) : null,
    thresholds, ...verdict(base, distribution, thresholds),
    histogram: numericHistogram(profile.sketch, current),
  };
}

function compareCategorical(profile: CategoricalColumnProfile, values: readonly (string | null)[], thresholds: Thresholds): ColumnDrift {
  const reference = categoryCounts(profile);
  const current = countCategories(values);
  let present = 0;
  for (const count of current.values()) present += count;
  const base = nullRates(profile, values.length, present);
  const comparable = reference.size > 0 && current.size > 0;
  const psi = comparable ? categoricalPsi(reference, current) : null;
  const chiSquare = comparable ? chiSquareTest(reference, current) : null;
  const changes = categoryChanges(reference, current);
  const distribution = psi !== null && chiSquare !== null
    ? judge(psi >= thresholds.psi && chiSquare.pValue < thresholds.chi2_p_value,
      `PSI ${fixed(psi)} ${psi >= thresholds.psi ? '≥' : '<'} ${thresholds.psi}, χ² p ${pValue(chiSquare.pValue)} ${chiSquare.pValue < thresholds.chi2_p_value ? '<' : '≥'} ${thresholds.chi2_p_value}`)
    : undefined;
  return {
    name: profile.name, kind: 'categorical', ...base, psi, chiSquare,
    newCategories: changes.added, missingCategories: changes.lost,
    thresholds, ...verdict(base, distribution, thresholds),
    histogram: categoryHistogram(reference, current),
  };
}

interface NullRates {
  referenceRows: number;
  currentRows: number;
  referenceNullRate: number;
  currentNullRate: number;
}

function nullRates(profile: ColumnProfile, currentRows: number, currentPresent: number): NullRates {
  return {
    referenceRows: profile.rows, currentRows,
    referenceNullRate: profile.rows === 0 ? 0 : profile.missing / profile.rows,
    currentNullRate: currentRows === 0 ? 0 : (currentRows - currentPresent) / currentRows,
  };
}

function judge(drifted: boolean, why: string): { drifted: boolean; why: string } {
  return { drifted, why };
}

/** Drift in the distribution or in the share of missing values; the verdict says which and by how much. */
function verdict(rates: NullRates, distribution: { drifted: boolean; why: string } | undefined, thresholds: Thresholds): { drifted: boolean; verdict: string } {
  const change = rates.currentNullRate - rates.referenceNullRate;
  const nullDrift = Math.abs(change) >= thresholds.null_rate;
  const nullText = `null rate ${percent(rates.referenceNullRate)} → ${percent(rates.currentNullRate)}`;
  const reasons: string[] = [];
  if (distribution?.drifted) reasons.push(distribution.why);
  if (nullDrift) reasons.push(`${nullText} (change ≥ ${percent(thresholds.null_rate)})`);
  if (reasons.length) return { drifted: true, verdict: reasons.join('; ') };
  if (!distribution) {
    const empty = [rates.referenceNullRate === 1 ? 'the reference' : '', rates.currentNullRate === 1 ? 'the current data' : ''].filter(Boolean).join(' or ');
    return { drifted: false, verdict: `no values in ${empty}; ${nullText}` };
  }
  return { drifted: false, verdict: distribution.why };
}

function mean(sorted: Float64Array): number {
  let total = 0;
  for (const value of sorted) total += value;
  return total / sorted.length;
}

export function fixed(value: number): string {
  return value.toFixed(4);
}

export function pValue(value: number): string {
  return value === 0 ? '0' : value < 1e-4 ? value.toExponential(1) : value.toFixed(4);
}

export function percent(value: number): string {
  return `${(value * 100).toFixed(Math.abs(value) < 0.1 && value !== 0 ? 1 : 0)}%`;
}
