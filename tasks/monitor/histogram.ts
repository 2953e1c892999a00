// Reference and current histograms for the report: shares of present values
// per bin, so that samples of different sizes draw on one scale.
import { compareText } from './drift-stats.js';

export interface Histogram {
  /** One label per bin: a range (`0.25 – 0.50`) or a category. */
  labels: string[];
  reference: number[];
  current: number[];
}

const NUMERIC_BINS = 20;
const MAX_BARS = 15;
export const OTHER_LABEL = '(other)';

/** Equal-width bins over the range of both samples (sorted); the last bin includes its right edge. */
export function numericHistogram(reference: ArrayLike<number>, current: ArrayLike<number>): Histogram {
  const low = Math.min(first(reference), first(current));
  const high = Math.max(last(reference), last(current));
  if (!Number.isFinite(low) || !Number.isFinite(high)) return { labels: [], reference: [], current: [] };
  const bins = high > low ? NUMERIC_BINS : 1;
  const width = (high - low) / bins;
  const shares = (values: ArrayLike<number>) => {
    const counts = new Array<number>(bins).fill(0);
    for (let i = 0; i < values.length; i++) counts[Math.min(bins - 1, Math.floor((values[i]! - low) / (width || 1)))]!++;
    return counts.map((count) => (values.length ? count / values.length : 0));
  };
  const labels = Array.from({ length: bins }, (_, bin) => bins === 1 ? short(low) : `${short(low + bin * width)} – ${short(low + (bin + 1) * width)}`);
  return { labels, reference: shares(reference), current: shares(current) };
}

/** One bar per category, the most common first; beyond MAX_BARS the rest share one bar. */
export function categoryHistogram(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): Histogram {
  const total = (counts: ReadonlyMap<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0) || 1;
  const [referenceTotal, currentTotal] = [total(reference), total(current)];
  const share = (counts: ReadonlyMap<string, number>, all: number, category: string) => (counts.get(category) ?? 0) / all;
  const categories = [...new Set([...reference.keys(), ...current.keys()])]
    .map((category) => ({ category, weight: share(reference, referenceTotal, category) + share(current, currentTotal, category) }))
    .sort((a, b) => b.weight - a.weight || compareText(a.category, b.category))
    .map((entry) => entry.category);
  const shown = categories.length > MAX_BARS ? categories.slice(0, MAX_BARS - 1) : categories;
  const rest = categories.slice(shown.length);
  const restShare = (counts: ReadonlyMap<string, number>, all: number) => rest.reduce((sum, category) => sum + share(counts, all, category), 0);
  return {
    labels: [...shown, ...(rest.length ? [`${OTHER_LABEL} ×${rest.length}`] : [])],
    reference: [...shown.map((category) => share(reference, referenceTotal, category)), ...(rest.length ? [restShare(reference, referenceTotal)] : [])],
    current: [...shown.map((category) => share(current, currentTotal, category)), ...(rest.length ? [restShare(current, currentTotal)] : [])],
  };
}

function first(values: ArrayLike<number>): number {
  return values.length ? values[0]! : Infinity;
}

function last(values: ArrayLike<number>): number {
  return values.length ? values[values.length - 1]! : -Infinity;
}

/** A bin edge in at most four significant digits. */
function short(value: number): string {
  return Number(value.toPrecision(4)).toString();
}
