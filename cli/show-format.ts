// `sluice show <run>` as text: the run's header, its tasks (for_each
// iterations under their loop), then each task's attempts and values.
import type { AttemptRow, PipelineVersionRow, RunRow, TaskRunRow } from '../engine/state/run-store.js';
import {
  type Cell, elapsed, formatDuration, formatState, formatTable, formatTime, header, indentLines, INTERRUPTED,
  parseParameters, type RunnerStatus, stateCell, taskTree, truncate,
} from './run-format.js';
import type { Style } from './terminal-style.js';

export interface RunDetail {
  run: RunRow;
  /** The state to show: the stored one, or INTERRUPTED. */
  state: string;
  runner: RunnerStatus;
  version: PipelineVersionRow | undefined;
  tasks: readonly TaskRunRow[];
  /** task key → its attempts, oldest first. */
  attempts: ReadonlyMap<string, readonly AttemptRow[]>;
  values: ReadonlyMap<string, Record<string, string>>;
}

/** Longer values are cut in text; --json has them whole. */
const VALUE_CHARS = 200;

export function formatRunDetail(detail: RunDetail, style: Style, clockMs: number): string {
  // What an interrupted run was doing stopped at an unknown time: no "running for" that grows forever.
  const nowMs = detail.state === INTERRUPTED ? null : clockMs;
  const sections = [runHeader(detail, style, nowMs), taskLines(detail, style, nowMs), attemptsAndValues(detail, style, nowMs)];
  return `${sections.filter((lines) => lines.length > 0).map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

function runHeader({ run, state, runner, version }: RunDetail, style: Style, nowMs: number | null): string[] {
  const fields: [string, string][] = [
    ['run', style.bold(String(run.id))],
    ['pipeline', `${run.pipeline}${version ? style.dim(`  (${versionNote(version)})`) : ''}`],
    ['state', formatState(state, style) + (run.state_message && !run.state_message.includes('\n') ? `: ${run.state_message}` : '')],
  ];
  const multiLine = run.state_message?.includes('\n') ? indentLines(run.state_message, ' '.repeat(14)) : [];
  const parameters = Object.entries(parseParameters(run.parameters_json)).map(([k, v]) => `${k}=${v}`);
  fields.push(
    ['trigger', `${run.trigger_type}, ${formatTime(run.trigger_time_ms)}`],
    ['parameters', parameters.length > 0 ? parameters.join('  ') : style.dim('none')],
    ['started', formatTime(run.start_ms)],
  );
  if (run.end_ms !== null) fields.push(['ended', `${formatTime(run.end_ms)}  (took ${formatDuration(elapsed(run.start_ms, run.end_ms, nowMs))})`]);
  else if (nowMs !== null) fields.push(['running for', formatDuration(elapsed(run.start_ms, null, nowMs))]);
  fields.push(['repairs', String(run.repair_count)]);
  if (run.parent_run_id !== null) fields.push(['parent', `run ${run.parent_run_id}${run.parent_task_key ? `, task ${run.parent_task_key}` : ''}`]);
  fields.push(['runner', runnerNote(run, runner, style)], ['folder', run.run_dir]);
  const lines = fields.map(([label, value]) => `${style.dim(label.padEnd(12))}  ${value}`);
  lines.splice(3, 0, ...multiLine);
  return lines;
}

function versionNote(version: PipelineVersionRow): string {
  const commit = version.git_commit ? ` @ ${version.git_commit.slice(0, 12)}` : '';
  return `${version.file}${commit}${version.git_dirty ? ', with uncommitted changes' : ''}`;
}

function runnerNote(run: RunRow, runner: RunnerStatus, style: Style): string {
  const pid = run.runner_pid === null ? '' : `pid ${run.runner_pid}`;
  switch (runner) {
    case 'finished': return pid ? `${pid}, finished` : 'finished';
    case 'alive': return pid ? `${pid}, running` : 'running';
    case 'unclaimed': return 'starting (no runner recorded yet)';
    case 'gone': return style.red(`${pid || 'the runner'} is gone: the run was interrupted; \`sluice resume ${run.id}\` continues it`);
  }
}

function taskLines({ tasks, attempts }: RunDetail, style: Style, nowMs: number | null): string[] {
  if (tasks.length === 0) return [style.dim('no tasks')];
  const rows: Cell[][] = [header(style, 'TASK', 'STATE', 'ATTEMPTS', 'DURATION', 'NOTE')];
  /** Row index (in `rows`) → the multi-line message printed under it. */
  const below = new Map<number, string[]>();
  for (const { row, depth } of taskTree(tasks)) {
    const indent = '  '.repeat(depth);
    const message = row.state_message ?? '';
    const notes = [
      ...(row.child_run_id !== null ? [`child run ${row.child_run_id}`] : []),
      ...(row.state === 'RETRY_WAIT' && row.retry_at_ms !== null ? [`retry at ${formatTime(row.retry_at_ms)}`] : []),
      ...(message && !message.includes('\n') ? [message] : []),
    ];
    const tried = attempts.get(row.task_key)?.length ?? 0;
    if (message.includes('\n')) below.set(rows.length, indentLines(message, `${indent}    `));
    rows.push([
      { text: indent + row.task_key, paint: style.cyan },
      stateCell(row.state, style),
      { text: tried === 0 ? '-' : String(tried) },
      { text: formatDuration(elapsed(row.start_ms, row.end_ms, nowMs)) },
      { text: notes.join('; ') },
    ]);
  }
  return formatTable(rows).flatMap((line, i) => [line, ...below.get(i) ?? []]);
}

function attemptsAndValues({ tasks, attempts, values }: RunDetail, style: Style, nowMs: number | null): string[] {
  const lines: string[] = [];
  // Not indented by depth: a loop itself has no attempts, so its iterations would sit under the task before it.
  for (const { row } of taskTree(tasks)) {
    const tried = attempts.get(row.task_key) ?? [];
    const set = Object.entries(values.get(row.task_key) ?? {});
    if (tried.length === 0 && set.length === 0) continue;
    lines.push(style.bold(style.cyan(row.task_key)));
    if (tried.length > 0) lines.push(...attemptLines(tried, style, nowMs, '  '));
    if (set.length > 0) {
      lines.push(`  ${style.dim('values')}`);
      for (const [name, value] of set) lines.push(...valueLines(name, value, '    '));
    }
  }
  return lines;
}

function attemptLines(tried: readonly AttemptRow[], style: Style, nowMs: number | null, indent: string): string[] {
  const rows: Cell[][] = [header(style, 'ATTEMPT', 'STATE', 'STARTED', 'DURATION', 'RESULT')];
  const below = new Map<number, string[]>();
  for (const attempt of tried) {
    const error = attempt.error ?? '';
    const result = [
      ...(attempt.exit_code !== null ? [`exit ${attempt.exit_code}`] : []),
      ...(attempt.signal !== null ? [`signal ${attempt.signal}`] : []),
      ...(error && !error.includes('\n') ? [error] : []),
    ];
    if (error.includes('\n')) below.set(rows.length, indentLines(error, `${indent}    `));
    rows.push([
      { text: String(attempt.attempt) },
      stateCell(attempt.state, style),
      { text: formatTime(attempt.start_ms) },
      { text: formatDuration(elapsed(attempt.start_ms, attempt.end_ms, nowMs)) },
      { text: result.join('; ') },
    ]);
  }
  return formatTable(rows, indent).flatMap((line, i) => [line, ...below.get(i) ?? []]);
}

function valueLines(name: string, value: string, indent: string): string[] {
  const shown = truncate(value, VALUE_CHARS);
  if (!shown.includes('\n')) return [`${indent}${name} = ${shown}`];
  return [`${indent}${name} =`, ...indentLines(shown, `${indent}    `)];
}
