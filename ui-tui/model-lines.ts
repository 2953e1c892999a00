// What the models view writes about a model: its headline metric, aliases,
// and a bar per feature of the last drift check, scaled so that the default
// PSI threshold sits at a fixed, visible place.
import type { ModelVersionSummary } from '../engine/state/run-queries.js';

/** The monitor's default PSI threshold: marked on every bar. */
export const PSI_THRESHOLD = 0.2;

/** The metric a model is judged by here: roc_auc when it has one, else r2, else its first. */
export function mainMetric(versions: readonly ModelVersionSummary[]): string | undefined {
  const latest = versions.at(-1)?.metrics ?? {};
  if ('roc_auc' in latest) return 'roc_auc';
  if ('r2' in latest) return 'r2';
  return Object.keys(latest)[0];
}

/** The metric across versions, oldest first, skipping versions without it. */
export function metricTrend(versions: readonly ModelVersionSummary[], metric: string | undefined): number[] {
  if (metric === undefined) return [];
  return versions.flatMap((v) => (metric in v.metrics ? [v.metrics[metric]!] : []));
}

export function formatMetric(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(Math.abs(value) >= 100 ? 1 : 4);
}

/** `@champion→3 @challenger→4`, or for one version's row just the aliases on it: `@champion`. */
export function aliasText(aliases: Record<string, number>, version?: number): string {
  return Object.entries(aliases)
    .filter(([, v]) => version === undefined || v === version)
    .map(([alias, v]) => (version === undefined ? `@${alias}→${v}` : `@${alias}`))
    .join(' ');
}

/** `roc_auc 0.9123 accuracy 0.8800 …`: the main metric first. */
export function metricsText(metrics: Record<string, number>, main: string | undefined): string {
  const names = Object.keys(metrics).sort((a, b) => Number(b === main) - Number(a === main));
  return names.map((name) => `${name} ${formatMetric(metrics[name]!)}`).join('  ');
}

/**
 * The PSI a full bar stands for: room above the largest value, at least
 * twice the threshold (so the threshold mark sits at most halfway), at most
 * 1 (a PSI of 3 would squash everything else to nothing; its number says it).
 */
export function psiScale(values: readonly (number | null)[]): number {
  const largest = Math.max(0, ...values.map((v) => v ?? 0));
  return Math.min(1, Math.max(PSI_THRESHOLD * 2, Math.ceil(largest * 10) / 10));
}

/** `width` cells: filled up to the value, `│` at the threshold when the fill stops short of it, `·` after; `▸` ends a value past the scale. */
export function psiBar(psi: number | null, width: number, top: number): string {
  const mark = thresholdAt(width, top);
  const filled = psi === null ? 0 : Math.min(width, Math.round((Math.min(psi, top) / top) * width));
  const cells: string[] = Array.from({ length: width }, (_, i) => (i < filled ? '█' : i === mark ? '│' : '·'));
  if (psi !== null && psi > top && width > 0) cells[width - 1] = '▸';
  return cells.join('');
}

/** The line under the bars: `0`, `▲0.2` under the threshold mark, the scale's top at the right. */
export function psiAxis(width: number, top: number): string {
  const cells = Array.from({ length: width }, () => ' ');
  const put = (at: number, text: string) => [...text].forEach((c, i) => { if (at + i >= 0 && at + i < width) cells[at + i] = c; });
  put(0, '0');
  put(thresholdAt(width, top), `▲${PSI_THRESHOLD}`);
  const end = top.toFixed(1);
  put(width - end.length, end);
  return cells.join('');
}

function thresholdAt(width: number, top: number): number {
  return Math.max(0, Math.min(width - 1, Math.round((PSI_THRESHOLD / top) * width) - 1));
}
