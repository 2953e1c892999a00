// How the model registry reads in `sluice models ls/show/diff`: aligned
// tables, the main metrics first, lineage in words, and the camelCase JSON
// shapes of --json.
import { existsSync } from 'node:fs';
import type { ModelAlias, ModelVersion, RegisteredModel } from '../engine/state/model-registry.js';
import type { FeaturePlan, NumericStep } from '../tasks/ml/model-spec.js';
import { type Cell, formatTable, formatTime, header } from './run-format.js';
import type { Style } from './terminal-style.js';

/** The metrics people compare first; others follow by name. */
const MAIN_METRICS = ['roc_auc', 'accuracy', 'f1', 'precision', 'recall', 'log_loss', 'r2', 'rmse', 'mae'];
const METRICS_IN_LIST = 3;

export function orderedMetrics(names: Iterable<string>): string[] {
  const rank = (name: string) => (MAIN_METRICS.includes(name) ? MAIN_METRICS.indexOf(name) : MAIN_METRICS.length);
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function formatNumber(value: number | undefined): string {
  if (value === undefined) return '-';
  if (Number.isNaN(value)) return 'NaN';
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

const iso = (ms: number) => new Date(ms).toISOString();

export function aliasesText(aliases: Record<string, number>): string {
  return Object.entries(aliases).map(([alias, version]) => `${alias}=${version}`).join(', ');
}

export function modelListTable(models: readonly { model: RegisteredModel; latest?: ModelVersion }[], style: Style): string {
  const rows: Cell[][] = [header(style, 'NAME', 'VERSIONS', 'LATEST', 'ALIASES', 'METRICS (LATEST)', 'REGISTERED')];
  for (const { model, latest } of models) {
    const metrics = latest ? orderedMetrics(Object.keys(latest.metrics)).slice(0, METRICS_IN_LIST)
      .map((name) => `${name} ${formatNumber(latest.metrics[name])}`).join('  ') : '';
    rows.push([
      { text: model.name, paint: style.cyan },
      { text: String(model.versionCount) },
      { text: String(model.latestVersion), paint: style.bold },
      { text: aliasesText(model.aliases), paint: style.green },
      { text: metrics },
      { text: latest ? formatTime(latest.createdMs) : '-' },
    ]);
  }
  return `${formatTable(rows).join('\n')}\n`;
}

export function modelListJson(models: readonly { model: RegisteredModel; latest?: ModelVersion }[]) {
  return models.map(({ model, latest }) => ({
    name: model.name,
    description: model.description ?? null,
    created: iso(model.createdMs),
    versionCount: model.versionCount,
    latestVersion: model.latestVersion,
    aliases: model.aliases,
    latest: latest ? { version: latest.version, uri: latest.uri, registered: iso(latest.createdMs), metrics: latest.metrics } : null,
  }));
}

export function versionJson(version: ModelVersion, aliases: readonly ModelAlias[]) {
  return {
    name: version.name,
    version: version.version,
    uri: version.uri,
    aliases: aliases.filter((a) => a.version === version.version).map((a) => a.alias),
    description: version.description ?? null,
    registered: iso(version.createdMs),
    taskKind: version.taskKind ?? null,
    file: version.file,
    fileExists: existsSync(version.file),
    sha256: version.sha256,
    metrics: version.metrics,
    params: version.params,
    tags: version.tags,
    lineage: version.lineage,
    runId: version.runId ?? null,
    taskKey: version.taskKey ?? null,
    referenceProfile: version.referenceProfile === undefined ? null : profileSummary(version.referenceProfile),
  };
}

/**
 * What a stored reference profile covers. The profile itself (up to 10,000
 * values per column) is for the monitor task, and would bury the rest.
 */
function profileSummary(profile: unknown): { source: string | null; rows: number | null; columns: string[] } {
  const p = (typeof profile === 'object' && profile !== null ? profile : {}) as { source?: unknown; rows?: unknown; columns?: unknown };
  const columns = Array.isArray(p.columns) ? p.columns.map((c) => String((c as { name?: unknown }).name))
    : typeof p.columns === 'object' && p.columns !== null ? Object.keys(p.columns) : [];
  return { source: typeof p.source === 'string' ? p.source : null, rows: typeof p.rows === 'number' ? p.rows : null, columns };
}

export function versionDetail(version: ModelVersion, aliases: readonly ModelAlias[], style: Style): string {
  const own = aliases.filter((a) => a.version === version.version).map((a) => `@${a.alias}`);
  const lines = [`${style.bold(version.uri)}${own.length ? `  ${style.green(own.join(' '))}` : ''}`];
  const present = existsSync(version.file);
  const facts: [string, string][] = [
    ...(version.description ? [['description', version.description] as [string, string]] : []),
    ['registered', `${formatTime(version.createdMs)}${version.runId !== undefined ? ` by run ${version.runId} (${version.taskKey})` : ''}`],
    ...(version.taskKind ? [['task', version.taskKind] as [string, string]] : []),
    ['file', present ? version.file : style.red(`${version.file} (missing!)`)],
    ['sha256', version.sha256],
    ['reference profile', version.referenceProfile === undefined ? 'none' : describeProfile(profileSummary(version.referenceProfile))],
  ];
  lines.push(...section(facts));
  const metrics = orderedMetrics(Object.keys(version.metrics));
  lines.push('', style.bold('metrics'), ...(metrics.length ? section(metrics.map((m) => [m, formatNumber(version.metrics[m])])) : ['  none recorded']));
  const params = Object.entries(version.params);
  if (params.length) lines.push('', style.bold('params'), ...section(params.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])));
  const tags = Object.entries(version.tags);
  if (tags.length) lines.push('', style.bold('tags'), ...section(tags));
  lines.push('', style.bold('lineage'), ...section(lineageFacts(version.lineage)));
  const others = aliases.filter((a) => a.version !== version.version);
  if (others.length) lines.push('', style.dim(`other aliases of ${version.name}: ${others.map((a) => `@${a.alias} → ${a.version}`).join(', ')}`));
  return `${lines.join('\n')}\n`;
}

function section(pairs: readonly [string, string][]): string[] {
  return formatTable(pairs.map(([key, value]) => [{ text: key }, { text: value }]), '  ');
}

function lineageFacts(lineage: Record<string, unknown>): [string, string][] {
  const text = (key: string) => (lineage[key] === undefined || lineage[key] === null ? undefined : String(lineage[key]));
  const facts: [string, string][] = [];
  const add = (key: string, value: string | undefined) => { if (value !== undefined && value !== '') facts.push([key, value]); };
  add('run', text('runId') && `${text('runId')} (task ${text('taskKey')})`);
  add('pipeline', text('pipeline') && `${text('pipeline')}${text('pipelineFile') ? ` (${text('pipelineFile')})` : ''}`);
  add('pipeline hash', text('pipelineHash'));
  add('git commit', text('gitCommit') && `${text('gitCommit')}${lineage.gitDirty === true ? ' (uncommitted changes)' : ''}`);
  add('registered from', text('source'));
  add('datasets', Array.isArray(lineage.datasets) ? lineage.datasets.join(', ') : undefined);
  add('target', text('target'));
  add('algorithm', text('algorithm'));
  const plan = lineage.featureTransform as FeaturePlan | undefined;
  if (plan && Array.isArray(plan.columns)) {
    facts.push(['features', `${plan.columns.length} raw columns (--json shows the fitted constants)`]);
    // Columns with the same kind of steps read as one line: a plan often standardizes dozens alike.
    const groups = new Map<string, string[]>();
    for (const column of plan.columns) {
      const steps = describeColumn(column);
      groups.set(steps, [...groups.get(steps) ?? [], column.column]);
    }
    for (const [steps, columns] of groups) facts.push([`  ${steps}`, nameList(columns)]);
  }
  return facts;
}

function describeColumn(column: FeaturePlan['columns'][number]): string {
  if (column.kind === 'one_hot') return 'one_hot';
  return column.steps.length ? column.steps.map((step: NumericStep) => (step.op === 'log1p' ? 'log' : step.op)).join(' → ') : 'as is';
}

function nameList(names: readonly string[], shown = 6): string {
  return names.length <= shown ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

export interface DiffSide {
  /** As the user wrote it. */
  asked: string;
  version: ModelVersion;
}

export function metricDiff(a: ModelVersion, b: ModelVersion) {
  return orderedMetrics([...Object.keys(a.metrics), ...Object.keys(b.metrics)]).map((metric) => {
    const left = a.metrics[metric];
    const right = b.metrics[metric];
    return { metric, a: left ?? null, b: right ?? null, difference: left === undefined || right === undefined ? null : right - left };
  });
}

export function paramDiff(a: ModelVersion, b: ModelVersion) {
  const keys = [...new Set([...Object.keys(a.params), ...Object.keys(b.params)])].sort();
  return keys.filter((key) => JSON.stringify(a.params[key]) !== JSON.stringify(b.params[key]))
    .map((param) => ({ param, a: a.params[param] ?? null, b: b.params[param] ?? null }));
}

export function diffText(a: DiffSide, b: DiffSide, style: Style): string {
  const title = (side: DiffSide) => (side.asked === side.version.uri ? side.asked : `${side.asked} (${side.version.version})`);
  const rows: Cell[][] = [header(style, 'METRIC', title(a), title(b), 'DIFFERENCE')];
  for (const row of metricDiff(a.version, b.version)) {
    const sign = row.difference === null || Number.isNaN(row.difference) ? '' : row.difference > 0 ? '+' : '';
    rows.push([{ text: row.metric }, { text: formatNumber(row.a ?? undefined) }, { text: formatNumber(row.b ?? undefined) },
      { text: row.difference === null ? '-' : `${sign}${formatNumber(row.difference)}` }]);
  }
  const lines = rows.length > 1 ? formatTable(rows) : ['neither version has metrics recorded'];
  const params = paramDiff(a.version, b.version);
  if (params.length) {
    const show = (value: unknown) => (value === null ? '-' : typeof value === 'string' ? value : JSON.stringify(value));
    lines.push('', ...formatTable([header(style, 'PARAM', title(a), title(b)), ...params.map((p) => [{ text: p.param }, { text: show(p.a) }, { text: show(p.b) }])]));
  }
  return `${lines.join('\n')}\n`;
}

function describeProfile(summary: ReturnType<typeof profileSummary>): string {
  const rows = summary.rows === null ? '' : ` of ${summary.rows.toLocaleString('en-US')} rows`;
  return `stored: ${summary.columns.length} columns${rows}${summary.source ? ` of ${summary.source}` : ''}`;
}
