// Reference profiles: made once (e.g. when a model is registered), stored as
// JSON, and compared with current data later, giving the same statistics as
// the raw reference data.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../tasks/ml/gbdt/seeded-random.js';
import { compareColumn, DEFAULT_THRESHOLDS } from '../tasks/monitor/compare.js';
import { ksTest, presentSorted, wasserstein } from '../tasks/monitor/drift-stats.js';
import { decide, summaryLines } from '../tasks/monitor/outcome.js';
import {
  checkProfile, MAX_SKETCH_VALUES, profileCategoricalColumn, profileNumericColumn, type DatasetProfile,
} from '../tasks/monitor/profile.js';
import { renderReport } from '../tasks/monitor/report.js';
import { current, expected, reference } from './drift-fixtures.js';

const numeric = ['x_shift', 'x_same', 'x_ties', 'score', 'x_strong', 'x_narrow'];

/** The fixture's reference as a profile that went through JSON, as a stored one does. */
const stored: DatasetProfile = JSON.parse(JSON.stringify({
  format: 1, source: 'ref.csv', rows: 5000,
  columns: [
    ...numeric.map((name) => profileNumericColumn(name, Float64Array.from(reference[name]!, Number))),
    profileCategoricalColumn('segment', reference.segment!),
  ],
} satisfies DatasetProfile));

describe('a stored profile', () => {
  it('passes its check after a JSON round trip', () => {
    expect(checkProfile(stored, 'reference')).toBe(stored);
  });

  it.each(numeric)("gives %s the fixture's PSI, KS and Wasserstein within 1e-9 (all 5,000 reference values fit in the sketch)", (name) => {
    const profile = stored.columns.find((column) => column.name === name)!;
    const drift = compareColumn(profile, Float64Array.from(current[name]!, Number), DEFAULT_THRESHOLDS);
    const wanted = expected.columns[name];
    expect(Math.abs(drift.psi! - wanted.psi)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(drift.ks!.statistic - wanted.ks_statistic)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(drift.ks!.pValue - wanted.ks_pvalue_kolmogorov_limit)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(drift.wasserstein! - wanted.wasserstein)).toBeLessThanOrEqual(1e-9);
  });

  it("gives the categorical column the fixture's PSI and chi-square, and names the new category", () => {
    const drift = compareColumn(stored.columns.at(-1)!, current.segment!, DEFAULT_THRESHOLDS);
    expect(Math.abs(drift.psi! - expected.columns.segment.psi)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(drift.chiSquare!.statistic - expected.columns.segment.chi2)).toBeLessThanOrEqual(1e-9);
    expect(drift.chiSquare!.pValue / expected.columns.segment.chi2_pvalue).toBeCloseTo(1, 9);
    expect(drift.newCategories).toEqual(['e']);
    expect(drift.missingCategories).toEqual([]);
  });

  it('judges drift by PSI and the p-value together with the default thresholds', () => {
    const drifted = stored.columns.filter((profile) => {
      const values = profile.kind === 'numeric' ? Float64Array.from(current[profile.name]!, Number) : current[profile.name]!;
      return compareColumn(profile, values, DEFAULT_THRESHOLDS).drifted;
    }).map((profile) => profile.name);
    // x_shift (p 0.001) and score (p 0.004) are significant but small (PSI ≈ 0.01); segment's PSI is 0.18.
    expect(drifted).toEqual(['x_strong', 'x_narrow']);
  });

  it('rejects what is not a profile, saying where', () => {
    expect(() => checkProfile('dataset://x', 'reference')).toThrow('reference: is not a profile object');
    expect(() => checkProfile({ ...stored, format: 2 }, 'reference')).toThrow('reference.format: is 2, not 1');
    const broken = structuredClone(stored);
    (broken.columns[1] as { binCounts: number[] }).binCounts.pop();
    expect(() => checkProfile(broken, 'reference')).toThrow('reference.columns[1] (x_same): needs one more bin count than edges');
    const unsorted = structuredClone(stored);
    (unsorted.columns[0] as { sketch: number[] }).sketch.reverse();
    expect(() => checkProfile(unsorted, 'reference')).toThrow('reference.columns[0] (x_shift).sketch: is not sorted');
  });
});

describe('a large reference', () => {
  const random = seededRandom(7);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const big = Float64Array.from({ length: 200_000 }, normal);
  const shifted = Float64Array.from({ length: 20_000 }, () => normal() + 0.1);
  const profile = profileNumericColumn('x', big);

  it(`keeps a sketch of ${MAX_SKETCH_VALUES} values, and PSI from all of them`, () => {
    expect(profile.sketch).toHaveLength(MAX_SKETCH_VALUES);
    expect(profile.binCounts.reduce((a, b) => a + b)).toBe(200_000);
    expect(JSON.stringify(profile).length).toBeLessThan(250_000);
  });

  it('gives KS and Wasserstein close to the full data (the sketch holds the distribution function within 1/20,000)', () => {
    const full = ksTest(presentSorted(big), presentSorted(shifted));
    const drift = compareColumn(profile, shifted, DEFAULT_THRESHOLDS);
    expect(Math.abs(drift.ks!.statistic - full.statistic)).toBeLessThan(1e-4);
    expect(drift.ks!.pValue).toBeLessThan(1e-20);
    expect(Math.abs(drift.wasserstein! - wasserstein(presentSorted(big), presentSorted(shifted)))).toBeLessThan(1e-3);
  });
});

describe('edge cases', () => {
  it('an all-null current column drifts by its null rate, with no distribution statistics', () => {
    const profile = profileNumericColumn('x', Float64Array.from([1, 2, 3, 4]));
    const drift = compareColumn(profile, Float64Array.from([Number.NaN, Number.NaN]), DEFAULT_THRESHOLDS);
    expect(drift).toMatchObject({ psi: null, ks: null, wasserstein: null, currentNullRate: 1, drifted: true });
    expect(drift.verdict).toBe('null rate 0% → 100% (change ≥ 10%)');
  });

  it('an all-null reference column has an empty profile that still passes its check', () => {
    const profile = profileCategoricalColumn('c', [null, null]);
    expect(profile).toEqual({ name: 'c', kind: 'categorical', rows: 2, missing: 2, categories: [] });
    const numericProfile = profileNumericColumn('x', Float64Array.from([Number.NaN]));
    expect(checkProfile({ format: 1, source: 's', rows: 2, columns: [profile, numericProfile] }, 'r').columns).toHaveLength(2);
    expect(compareColumn(profile, [null, null], DEFAULT_THRESHOLDS)).toMatchObject({ drifted: false, verdict: 'no values in the reference or the current data; null rate 100% → 100%' });
  });

  it('a constant column that stays constant does not drift', () => {
    const drift = compareColumn(profileNumericColumn('k', new Float64Array(50).fill(3)), new Float64Array(20).fill(3), DEFAULT_THRESHOLDS);
    expect(drift).toMatchObject({ psi: 0, ks: { statistic: 0, pValue: 1 }, wasserstein: 0, drifted: false });
  });

  it('escapes column names and categories in the report', () => {
    const profile = profileCategoricalColumn('<b>col</b>', ['<script>', 'a']);
    const drift = compareColumn(profile, ['<script>', 'b'], DEFAULT_THRESHOLDS);
    const html = renderReport(decide({ reference: 'r', current: 'c', features: [drift], skipped: [], driftShare: undefined }), new Date(0));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/<b>col/);
  });

  it('drift_share: how many features must drift', () => {
    const same = compareColumn(profileNumericColumn('a', Float64Array.from([1, 2, 3])), Float64Array.from([1, 2, 3]), DEFAULT_THRESHOLDS);
    const moved = compareColumn(profileNumericColumn('b', Float64Array.from({ length: 100 }, (_, i) => i)), Float64Array.from({ length: 100 }, (_, i) => i + 80), DEFAULT_THRESHOLDS);
    expect(moved.drifted).toBe(true);
    const base = { reference: 'r', current: 'c', features: [same, moved], skipped: [] };
    expect(decide({ ...base, driftShare: undefined })).toMatchObject({ detected: true, share: 0.5, drifted: ['b'] });
    expect(decide({ ...base, driftShare: 0.5 }).detected).toBe(true);
    expect(decide({ ...base, driftShare: 0.6 }).detected).toBe(false);
    expect(decide({ ...base, driftShare: 0.6, prediction: { ...moved, name: 'prediction' } }).detected).toBe(true);
    expect(summaryLines(decide({ ...base, driftShare: 0.6 })).at(-1)).toBe('no drift: 1 of 2 features drifted (50%), drift_share 0.6: b');
  });
});
