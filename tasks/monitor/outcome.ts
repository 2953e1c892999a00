// The monitor's verdict over all columns, and its summary in the task's log.
import { fixed, pValue, percent, type ColumnDrift } from './compare.js';

export interface DriftOutcome {
  /** What the reference is, e.g. `dataset://train@3 (train rows)`. */
  reference: string;
  current: string;
  /** Where the current predictions came from, when not the current dataset. */
  predictions?: string;
  features: ColumnDrift[];
  prediction?: ColumnDrift;
  /** Reference columns not monitored, and why. */
  skipped: { column: string; reason: string }[];
  /** Names of the drifted features, in order. */
  drifted: string[];
  /** drifted / features. */
  share: number;
  /** The share that counts as drift; undefined: any drifted feature. */
  driftShare: number | undefined;
  detected: boolean;
}

/** Drift is detected when at least `driftShare` of the features drifted (default: any one), or the prediction did. */
export function decide(base: Omit<DriftOutcome, 'drifted' | 'share' | 'detected'>): DriftOutcome {
  const drifted = base.features.filter((feature) => feature.drifted).map((feature) => feature.name);
  const share = base.features.length ? drifted.length / base.features.length : 0;
  const featuresDrift = drifted.length > 0 && (base.driftShare === undefined || share >= base.driftShare);
  return { ...base, drifted, share, detected: featuresDrift || base.prediction?.drifted === true };
}

/** One line per column with its statistics and verdict, then the overall verdict. */
export function summaryLines(outcome: DriftOutcome): string[] {
  const rows = [...outcome.features, ...(outcome.prediction ? [outcome.prediction] : [])];
  const width = Math.max(7, ...rows.map((row) => row.name.length + (row === outcome.prediction ? 13 : 0)), ...outcome.skipped.map((skipped) => skipped.column.length));
  const header = `${'column'.padEnd(width)}  ${'kind'.padEnd(11)}  ${'PSI'.padStart(7)}  ${'p-value'.padStart(8)}  ${'W-dist'.padStart(8)}  ${'null rate'.padEnd(13)}  verdict`;
  const lines = [`drift of ${outcome.current}${outcome.predictions ? ` (predictions from ${outcome.predictions})` : ''} against ${outcome.reference}:`, header];
  for (const row of rows) {
    const name = row === outcome.prediction ? `${row.name} (prediction)` : row.name;
    const p = row.ks ? row.ks.pValue : row.chiSquare ? row.chiSquare.pValue : null;
    const nulls = `${percent(row.referenceNullRate)} → ${percent(row.currentNullRate)}`;
    lines.push(`${name.padEnd(width)}  ${row.kind.padEnd(11)}  ${(row.psi === null ? '-' : fixed(row.psi)).padStart(7)}  ${(p === null ? '-' : pValue(p)).padStart(8)}  ` +
      `${(row.wasserstein == null ? '-' : fixed(row.wasserstein)).padStart(8)}  ${nulls.padEnd(13)}  ${row.drifted ? 'DRIFT' : 'ok'}: ${row.verdict}` +
      `${row.newCategories?.length ? `; new: ${list(row.newCategories)}` : ''}${row.missingCategories?.length ? `; gone: ${list(row.missingCategories)}` : ''}`);
  }
  for (const skipped of outcome.skipped) lines.push(`${skipped.column.padEnd(width)}  not monitored: ${skipped.reason}`);
  lines.push(verdictLine(outcome));
  return lines;
}

export function verdictLine(outcome: DriftOutcome): string {
  const count = `${outcome.drifted.length} of ${outcome.features.length} feature${outcome.features.length === 1 ? '' : 's'} drifted (${percent(outcome.share)})`;
  const rule = outcome.driftShare === undefined ? '' : `, drift_share ${outcome.driftShare}`;
  const names = outcome.drifted.length ? `: ${outcome.drifted.join(', ')}` : '';
  const prediction = outcome.prediction ? `; the prediction ${outcome.prediction.drifted ? 'drifted' : 'did not drift'}` : '';
  return `${outcome.detected ? 'DRIFT DETECTED' : 'no drift'}: ${count}${rule}${names}${prediction}`;
}

function list(values: readonly string[]): string {
  const shown = values.slice(0, 5).map((value) => JSON.stringify(value)).join(', ');
  return values.length > 5 ? `${shown} and ${values.length - 5} more` : shown;
}
