// The drift report: one self-contained HTML file (inline CSS and SVG, no
// scripts, fonts or other files), so that it can be mailed, attached to a
// ticket or opened from an artifacts folder years later.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TaskInputError } from '../runtime/task-context.js';
import { fixed, pValue, percent, type ColumnDrift } from './compare.js';
import type { Histogram } from './histogram.js';
import { verdictLine, type DriftOutcome } from './outcome.js';

/** Writes the report under a temporary name and renames it, so no reader ever sees half a report. */
export function writeReport(file: string, outcome: DriftOutcome, generated: Date): void {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(temporary, renderReport(outcome, generated));
    renameSync(temporary, file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new TaskInputError(`cannot write the drift report to ${file}: ${reason}; give report: another path`);
  } finally {
    rmSync(temporary, { force: true });
  }
}

export function renderReport(outcome: DriftOutcome, generated: Date): string {
  const columns = [...outcome.features, ...(outcome.prediction ? [outcome.prediction] : [])];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drift report: ${escape(outcome.current)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Drift report</h1>
<p class="meta">Current: <b>${escape(outcome.current)}</b>${outcome.predictions ? ` (predictions from <b>${escape(outcome.predictions)}</b>)` : ''}<br>
Reference: <b>${escape(outcome.reference)}</b><br>Made ${escape(generated.toISOString())} by Sluice's monitor task.</p>
<p class="verdict ${outcome.detected ? 'drift' : 'ok'}">${escape(verdictLine(outcome))}</p>
<table>
<thead><tr><th>column</th><th>kind</th><th>PSI</th><th>KS D</th><th>KS p</th><th>Wasserstein</th><th>χ² p</th><th>null rate</th><th>categories</th><th>verdict</th></tr></thead>
<tbody>
${columns.map((column) => tableRow(column, column === outcome.prediction)).join('\n')}
</tbody>
</table>
${outcome.skipped.length ? `<p class="meta">Not monitored: ${outcome.skipped.map((s) => `${escape(s.column)} (${escape(s.reason)})`).join('; ')}.</p>` : ''}
<p class="meta">${escape(LEGEND)}</p>
${columns.map((column) => section(column, column === outcome.prediction)).join('\n')}
</body>
</html>
`;
}

const LEGEND = 'A numeric column drifts when PSI ≥ its psi threshold and the KS p-value < its ks_p_value threshold; '
  + 'a categorical one when PSI ≥ psi and the chi-square p-value < chi2_p_value; either kind when its null rate changes by at least null_rate. '
  + 'Histograms show the share of present values per bin: reference in blue, current in orange.';

function tableRow(column: ColumnDrift, prediction: boolean): string {
  const cell = (text: string, numeric = true) => `<td${numeric ? ' class="n"' : ''}>${escape(text)}</td>`;
  const optional = (value: number | null | undefined, format: (value: number) => string) => (value === null || value === undefined ? '–' : format(value));
  const change = column.currentNullRate - column.referenceNullRate;
  const categories = column.kind === 'categorical'
    ? [column.newCategories?.length ? `new: ${column.newCategories.join(', ')}` : '', column.missingCategories?.length ? `gone: ${column.missingCategories.join(', ')}` : ''].filter(Boolean).join('; ') || '–'
    : '–';
  return `<tr class="${column.drifted ? 'drift' : 'ok'}">`
    + `<td><a href="#${anchor(column.name)}">${escape(column.name)}</a>${prediction ? ' <i>(prediction)</i>' : ''}</td>${cell(column.kind, false)}`
    + cell(optional(column.psi, fixed)) + cell(optional(column.ks?.statistic, fixed)) + cell(optional(column.ks?.pValue, pValue))
    + cell(optional(column.wasserstein, fixed)) + cell(optional(column.chiSquare?.pValue, pValue))
    + cell(`${percent(column.referenceNullRate)} → ${percent(column.currentNullRate)}${change === 0 ? '' : ` (${change > 0 ? '+' : '−'}${percent(Math.abs(change))})`}`)
    + cell(categories, false)
    + `<td class="v"><b>${column.drifted ? 'DRIFT' : 'ok'}</b> ${escape(column.verdict)}</td></tr>`;
}

function section(column: ColumnDrift, prediction: boolean): string {
  const means = column.kind === 'numeric' && column.referenceMean != null && column.currentMean != null
    ? ` Mean ${short(column.referenceMean)} → ${short(column.currentMean)}.` : '';
  return `<section id="${anchor(column.name)}">
<h2>${escape(column.name)}${prediction ? ' (prediction)' : ''} <span class="${column.drifted ? 'drift' : 'ok'}">${column.drifted ? 'DRIFT' : 'ok'}</span></h2>
<p class="meta">${escape(column.kind)}; ${column.referenceRows} reference rows, ${column.currentRows} current rows.${escape(means)} ${escape(column.verdict)}.</p>
${histogramSvg(column.histogram, column.name)}
</section>`;
}

const WIDTH = 720;
const HEIGHT = 220;
const LEFT = 44;
const BOTTOM = 46;
const TOP = 12;

/** Grouped bars per bin, reference then current, with the shares on a common axis. */
function histogramSvg(histogram: Histogram, name: string): string {
  const bins = histogram.labels.length;
  if (bins === 0) return '<p class="meta">No values to draw.</p>';
  const plotWidth = WIDTH - LEFT - 8;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const top = Math.max(...histogram.reference, ...histogram.current, 1e-9);
  const group = plotWidth / bins;
  const bar = Math.max(1, (group * 0.8) / 2);
  const y = (share: number) => TOP + plotHeight - (share / top) * plotHeight;
  const parts: string[] = [];
  for (const tick of [0, 0.5, 1]) {
    const at = y(tick * top);
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - 8}" y1="${at.toFixed(1)}" y2="${at.toFixed(1)}" class="grid"/>`,
      `<text x="${LEFT - 4}" y="${(at + 4).toFixed(1)}" class="axis" text-anchor="end">${escape(percent(tick * top))}</text>`);
  }
  histogram.labels.forEach((label, bin) => {
    const x = LEFT + bin * group + group * 0.1;
    const title = `${label}: reference ${percent(histogram.reference[bin]!)}, current ${percent(histogram.current[bin]!)}`;
    for (const [offset, share, kind] of [[0, histogram.reference[bin]!, 'ref'], [bar, histogram.current[bin]!, 'cur']] as const) {
      const barTop = y(share);
      parts.push(`<rect x="${(x + offset).toFixed(1)}" y="${barTop.toFixed(1)}" width="${bar.toFixed(1)}" height="${(TOP + plotHeight - barTop).toFixed(1)}" class="${kind}"><title>${escape(title)}</title></rect>`);
    }
  });
  // Every bin's label where they fit (categories); else the first, middle and last (numeric ranges).
  const labelled = bins <= 15 ? histogram.labels.map((_, bin) => bin) : [0, Math.floor(bins / 2), bins - 1];
  for (const bin of labelled) {
    const x = LEFT + bin * group + group / 2;
    parts.push(`<text x="${x.toFixed(1)}" y="${HEIGHT - BOTTOM + 16}" class="axis" text-anchor="middle">${escape(clip(histogram.labels[bin]!, Math.max(6, Math.floor(group / 6.5))))}</text>`);
  }
  parts.push(`<rect x="${LEFT}" y="${HEIGHT - 16}" width="10" height="10" class="ref"/><text x="${LEFT + 14}" y="${HEIGHT - 7}" class="axis">reference</text>`,
    `<rect x="${LEFT + 90}" y="${HEIGHT - 16}" width="10" height="10" class="cur"/><text x="${LEFT + 104}" y="${HEIGHT - 7}" class="axis">current</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escape(`histogram of ${name}`)}">\n${parts.join('\n')}\n</svg>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #1f2328; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.15em; margin: 1.6em 0 .2em; }
.meta { color: #59636e; }
.verdict { font-size: 1.1em; font-weight: 600; padding: .6em .9em; border-radius: 6px; }
.verdict.drift { background: #ffebe9; color: #a40e26; }
.verdict.ok { background: #dafbe1; color: #116329; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; }
th, td { border-bottom: 1px solid #d1d9e0; padding: .3em .5em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.v { font-size: .92em; }
tr.drift td:first-child, h2 .drift { color: #a40e26; }
h2 .ok { color: #116329; }
h2 span { font-size: .8em; margin-left: .5em; }
svg .ref { fill: #4c78a8; }
svg .cur { fill: #f58518; }
svg .grid { stroke: #d1d9e0; stroke-width: 1; }
svg .axis { font-size: 11px; fill: #59636e; }
`;

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** An id for a column's section that any column name can have. */
function anchor(name: string): string {
  return `col-${Buffer.from(name).toString('hex')}`;
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

function short(value: number): string {
  return Number(value.toPrecision(4)).toString();
}
