// The drift statistics equal NumPy's and SciPy's on test/fixtures/drift/
// (expected.json holds what they computed, with the definitions).
import { describe, expect, it } from 'vitest';
import {
  binCounts, categoricalPsi, categoryChanges, chiSquareTest, countCategories, EmptySampleError, ksTest, missingShare,
  numericPsi, presentSorted, psiEdges, wasserstein,
} from '../tasks/monitor/drift-stats.js';
import { chiSquareSurvival, kolmogorovSurvival, logGamma } from '../tasks/monitor/special-functions.js';
import { current, expected, reference } from './drift-fixtures.js';

const numbers = (values: string[]) => Float64Array.from(values, Number);
const numericColumns = Object.entries(expected.columns).filter(([, column]: [string, any]) => column.type === 'numeric').map(([name]) => name);

/** |a − b| ≤ 1e-9, or relative 1e-9 for values far below 1 (the p-values in the far tail). */
function expectClose(actual: number, wanted: number, what: string): void {
  const tolerance = Math.max(1e-9 * Math.abs(wanted), Math.abs(wanted) < 1e-6 ? 0 : 1e-9);
  expect(Math.abs(actual - wanted), `${what}: ${actual} vs ${wanted}`).toBeLessThanOrEqual(tolerance || 1e-300);
}

describe('numeric drift statistics on the fixture', () => {
  it('has the fixture it expects', () => {
    expect(reference.x_shift).toHaveLength(expected.n_ref);
    expect(current.x_shift).toHaveLength(expected.n_cur);
    expect(numericColumns).toEqual(['x_shift', 'x_same', 'x_ties', 'score', 'x_strong', 'x_narrow']);
  });

  it.each(numericColumns)('%s: PSI edges and bin counts are NumPy\'s, PSI within 1e-9', (name) => {
    const wanted = expected.columns[name];
    const ref = presentSorted(numbers(reference[name]!));
    const cur = numbers(current[name]!);
    const edges = psiEdges(ref);
    expect(edges).toEqual(wanted.edges);
    expect(binCounts(ref, edges)).toEqual(wanted.ref_counts);
    expect(binCounts(cur, edges)).toEqual(wanted.cur_counts);
    expectClose(numericPsi(ref, cur), wanted.psi, 'psi');
  });

  it.each(numericColumns)('%s: KS statistic and Wasserstein distance within 1e-9, the p-value within 1e-9 of the Kolmogorov limit', (name) => {
    const wanted = expected.columns[name];
    const ref = presentSorted(numbers(reference[name]!));
    const cur = presentSorted(numbers(current[name]!));
    const ks = ksTest(ref, cur);
    expectClose(ks.statistic, wanted.ks_statistic, 'ks statistic');
    expect(Math.abs(ks.pValue - wanted.ks_pvalue_kolmogorov_limit)).toBeLessThanOrEqual(1e-9);
    // Far-tail p-values (down to 1e-146) also keep their relative precision.
    expectClose(ks.pValue, wanted.ks_pvalue_kolmogorov_limit, 'ks p-value');
    expectClose(wasserstein(ref, cur), wanted.wasserstein, 'wasserstein');
  });

  it('flags x_strong and x_narrow by PSI ≥ 0.2, and not the small shifts', () => {
    const psi = Object.fromEntries(numericColumns.map((name) => [name, numericPsi(presentSorted(numbers(reference[name]!)), numbers(current[name]!))]));
    expect(numericColumns.filter((name) => psi[name]! >= 0.2)).toEqual(['x_strong', 'x_narrow']);
  });
});

describe('categorical drift statistics on the fixture', () => {
  const wanted = expected.columns.segment;
  const ref = countCategories(reference.segment!);
  const cur = countCategories(current.segment!);

  it('PSI over the sorted union of categories within 1e-9', () => {
    expectClose(categoricalPsi(ref, cur), wanted.psi, 'psi');
  });

  it("chi-square statistic, degrees of freedom and p-value equal scipy.stats.chi2_contingency's", () => {
    const test = chiSquareTest(ref, cur);
    expectClose(test.statistic, wanted.chi2, 'chi2');
    expect(test.dof).toBe(wanted.chi2_dof);
    expectClose(test.pValue, wanted.chi2_pvalue, 'chi2 p-value');
  });

  it('names the new category', () => {
    expect(categoryChanges(ref, cur)).toEqual({ added: ['e'], lost: [] });
    expect(categoryChanges(cur, ref)).toEqual({ added: [], lost: ['e'] });
  });
});

describe('the distribution tails', () => {
  it("chi-square survival equals SciPy's chi2.sf, with Yates' correction for one degree of freedom as chi2_contingency", () => {
    expectClose(chiSquareSurvival(3.2, 1), 0.07363827012030258, 'dof 1');
    expectClose(chiSquareSurvival(0.5, 7), 0.9994464813904249, 'dof 7, series side');
    expectClose(chiSquareSurvival(1000, 900), 0.010994608942135844, 'dof 900');
    expectClose(logGamma(0.5), 0.5723649429247, 'lnΓ(0.5)');
    expectClose(logGamma(500.5), 2608.2229044109863, 'lnΓ(500.5)');
    const twoByTwo = chiSquareTest(new Map([['x', 30], ['y', 70]]), new Map([['x', 45], ['y', 55]]));
    expectClose(twoByTwo.statistic, 4.181333333333333, 'Yates statistic');
    expectClose(twoByTwo.pValue, 0.04087153408900628, 'Yates p-value');
    const twoByThree = chiSquareTest(new Map([['x', 30], ['y', 70], ['z', 5]]), new Map([['x', 45], ['y', 55], ['z', 9]]));
    expectClose(twoByThree.statistic, 5.870141671347436, '2x3 statistic');
    expectClose(twoByThree.pValue, 0.05312695588939526, '2x3 p-value');
  });

  it("the Kolmogorov limit equals SciPy's kstwobign.sf on both sides of the switch between its two series", () => {
    const scipy: [number, number][] = [[0.1, 1], [0.5, 0.9639452436648751], [0.99, 0.2808738392255489], [1, 0.26999967167735456],
      [1.01, 0.25943416909359746], [2, 0.0006709252557796953], [5, 3.8574996959278356e-22]];
    for (const [lambda, p] of scipy) expectClose(kolmogorovSurvival(lambda), p, `λ = ${lambda}`);
    expect(kolmogorovSurvival(0)).toBe(1);
  });
});

describe('edge cases', () => {
  it('empty current data is a clear error, not NaN', () => {
    const ref = presentSorted([1, 2, 3]);
    const empty = new Float64Array(0);
    expect(() => numericPsi(ref, empty)).toThrow(new EmptySampleError('the current data has no values to compare'));
    expect(() => ksTest(ref, empty)).toThrow(EmptySampleError);
    expect(() => wasserstein(ref, empty)).toThrow(/current data has no values/);
    expect(() => chiSquareTest(new Map([['a', 3]]), new Map())).toThrow(/current data has no values/);
    expect(() => missingShare(0, 0, 'current')).toThrow('the current data has no rows');
  });

  it('a constant column: no drift against itself, the largest drift against another constant', () => {
    const five = presentSorted(new Float64Array(100).fill(5));
    expect(psiEdges(five)).toEqual([5]);
    expect(numericPsi(five, new Float64Array(40).fill(5))).toBe(0);
    expect(ksTest(five, presentSorted(new Float64Array(40).fill(5)))).toEqual({ statistic: 0, pValue: 1 });
    expect(wasserstein(five, presentSorted(new Float64Array(40).fill(5)))).toBe(0);
    const six = presentSorted(new Float64Array(40).fill(6));
    expectClose(numericPsi(five, six), 2 * (1 - 1e-4) * Math.log(1e4), 'psi');
    expect(ksTest(five, six).statistic).toBe(1);
    expect(wasserstein(five, six)).toBe(1);
    expect(chiSquareTest(new Map([['a', 10]]), new Map([['a', 4]]))).toEqual({ statistic: 0, pValue: 1, dof: 0 });
  });

  it('an all-null column has no distribution and a null rate of 1; NULL, NaN and ±∞ are missing', () => {
    const allNull = Float64Array.from([Number.NaN, Number.NaN, Number.NaN]);
    expect(presentSorted(allNull)).toHaveLength(0);
    expect(() => ksTest(presentSorted([1, 2]), presentSorted(allNull))).toThrow(EmptySampleError);
    expect(missingShare(allNull.length - presentSorted(allNull).length, allNull.length, 'current')).toBe(1);
    expect([...presentSorted([3, Number.NaN, -Infinity, 1, Infinity])]).toEqual([1, 3]);
    expect(binCounts([Number.NaN, 0, 10], [5])).toEqual([1, 1]);
    expect(countCategories(['a', null, 'a', 'b'])).toEqual(new Map([['a', 2], ['b', 1]]));
  });
});
