// How runs, tasks and attempts read in `sluice runs/show/logs`: each state by
// symbol and colour (the symbol for NO_COLOR and colour-blind users), local
// times, short durations, aligned columns, and the camelCase JSON shapes.
import type { AttemptRow, PipelineVersionRow, RunRow, TaskRunRow } from '../engine/state/run-store.js';
import type { Style } from './terminal-style.js';

/** Shown instead of RUNNING when the run's runner process is gone: only `sluice resume` moves it on. */
export const INTERRUPTED = 'INTERRUPTED';

/**
 * Whether someone still drives a run. `unclaimed`: RUNNING with no runner
 * recorded yet (a runner records itself just after it creates the run).
 */
export type RunnerStatus = 'finished' | 'alive' | 'gone' | 'unclaimed';

export function shownState(run: RunRow, runner: RunnerStatus): string {
  return run.state === 'RUNNING' && runner === 'gone' ? INTERRUPTED : run.state;
}

export type Paint = keyof Style;
const LOOKS: Record<string, { symbol: string; paint: Paint }> = {
  SUCCESS: { symbol: '✓', paint: 'green' },
  SUCCESS_WITH_FAILURES: { symbol: '✓', paint: 'yellow' },
  FAILED: { symbol: '✗', paint: 'red' },
  TIMEDOUT: { symbol: '✗', paint: 'red' },
  LOST: { symbol: '✗', paint: 'red' },
  CANCELED: { symbol: '⊘', paint: 'yellow' },
  UPSTREAM_FAILED: { symbol: '↑', paint: 'yellow' },
  UPSTREAM_CANCELED: { symbol: '↑', paint: 'yellow' },
  RUNNING: { symbol: '●', paint: 'cyan' },
  RETRY_WAIT: { symbol: '↻', paint: 'yellow' },
  PENDING: { symbol: '○', paint: 'dim' },
  SKIPPED: { symbol: '–', paint: 'dim' },
  EXCLUDED: { symbol: '–', paint: 'dim' },
  DISABLED: { symbol: '–', paint: 'dim' },
  [INTERRUPTED]: { symbol: '!', paint: 'red' },
};

/** A table cell: its plain text (which sets the column width) and how to paint it. */
export interface Cell {
  text: string;
  paint?: (text: string) => string;
}

/** A state's symbol and colour; the terminal UI paints states from the same table. */
export function stateLook(state: string): { symbol: string; paint: Paint } {
  return LOOKS[state] ?? { symbol: '?', paint: 'bold' };
}

export function stateCell(state: string, style: Style): Cell {
  const look = stateLook(state);
  return { text: `${look.symbol} ${state}`, paint: style[look.paint] };
}

/** The state's name in its colour, without the symbol (progress lines). */
export function paintState(state: string, style: Style): string {
  return style[(LOOKS[state] ?? { paint: 'bold' as Paint }).paint](state);
}

export function formatState(state: string, style: Style): string {
  const cell = stateCell(state, style);
  return cell.paint!(cell.text);
}

/** Rows of cells as aligned columns, two spaces apart; trailing blanks trimmed. */
export function formatTable(rows: readonly (readonly Cell[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, [...cell.text].length); });
  return rows.map((row) => {
    let last = row.length - 1;
    while (last >= 0 && row[last]!.text === '') last--;
    const cells = row.slice(0, last + 1).map((cell, i) => {
      const padding = i === last ? '' : ' '.repeat(widths[i]! - [...cell.text].length);
      return (cell.paint ? cell.paint(cell.text) : cell.text) + padding;
    });
    return indent + cells.join('  ');
  });
}

export const header = (style: Style, ...titles: string[]): Cell[] => titles.map((text) => ({ text, paint: style.dim }));

/** Local time as `2026-01-05 14:03:22`: sortable, and what the user's clock shows. */
export function formatTime(ms: number | null): string {
  if (ms === null) return '-';
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** `12ms`, `1.4s`, `12s`, `3m04s`, `2h05m`, `3d04h`; rounded down, so a run never reads as longer than it was. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.floor(Math.max(0, ms))}ms`;
  const s = Math.floor(ms / 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 10) return `${(Math.floor(Math.max(0, ms) / 100) / 10).toFixed(1)}s`;
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d${two(Math.floor(s / 3600) % 24)}h`;
}

/** How long something took, or has taken so far while it runs; null `nowMs`: unknown unless it ended. */
export function elapsed(startMs: number | null, endMs: number | null, nowMs: number | null): number | null {
  const end = endMs ?? nowMs;
  return startMs === null || end === null ? null : end - startMs;
}

/** Indents every line of a multi-line text (failure messages, tracebacks, values). */
export function indentLines(text: string, indent: string): string[] {
  return text.replace(/\s+$/, '').split(/\r?\n/).map((line) => `${indent}${line}`.trimEnd());
}

/** At most `max` characters, saying how many more there are. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return `${chars.slice(0, max).join('')}… (${chars.length - max} more characters; --json shows all)`;
}

export function parseParameters(json: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Record<string, string> : {};
  } catch {
    return {};
  }
}

/** Task rows with each for_each iteration right under its loop, in stored order otherwise. */
export function taskTree(rows: readonly TaskRunRow[]): { row: TaskRunRow; depth: number }[] {
  const keys = new Set(rows.map((r) => r.task_key));
  const children = new Map<string, TaskRunRow[]>();
  for (const row of rows) {
    if (row.parent_task_key === null || !keys.has(row.parent_task_key)) continue;
    const list = children.get(row.parent_task_key) ?? [];
    list.push(row);
    children.set(row.parent_task_key, list);
  }
  const out: { row: TaskRunRow; depth: number }[] = [];
  const visit = (row: TaskRunRow, depth: number) => {
    out.push({ row, depth });
    const list = [...children.get(row.task_key) ?? []].sort((a, b) => (a.iteration ?? 0) - (b.iteration ?? 0));
    for (const child of list) visit(child, depth + 1);
  };
  for (const row of rows) if (row.parent_task_key === null || !keys.has(row.parent_task_key)) visit(row, 0);
  return out;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const span = (start: number | null, end: number | null) => (start === null || end === null ? null : end - start);

export function runJson(run: RunRow, state: string) {
  return {
    id: run.id,
    pipeline: run.pipeline,
    state,
    stateMessage: run.state_message,
    trigger: run.trigger_type,
    triggerTime: iso(run.trigger_time_ms),
    parameters: parseParameters(run.parameters_json),
    startTime: iso(run.start_ms),
    endTime: iso(run.end_ms),
    durationMs: span(run.start_ms, run.end_ms),
    repairCount: run.repair_count,
    parentRunId: run.parent_run_id,
    parentTaskKey: run.parent_task_key,
    runnerPid: run.runner_pid,
    runDir: run.run_dir,
  };
}

export function pipelineVersionJson(version: PipelineVersionRow | undefined) {
  if (!version) return null;
  return {
    id: version.id,
    file: version.file,
    sourceHash: version.source_hash,
    gitCommit: version.git_commit,
    gitDirty: version.git_dirty === null ? null : version.git_dirty !== 0,
  };
}

export function taskJson(row: TaskRunRow) {
  return {
    key: row.task_key,
    parentKey: row.parent_task_key,
    iteration: row.iteration,
    state: row.state,
    message: row.state_message,
    attemptCount: row.attempt_count,
    startTime: iso(row.start_ms),
    endTime: iso(row.end_ms),
    durationMs: span(row.start_ms, row.end_ms),
    retryAt: iso(row.retry_at_ms),
    repairRound: row.repair_round,
    childRunId: row.child_run_id,
  };
}

export function attemptJson(row: AttemptRow) {
  return {
    attempt: row.attempt,
    state: row.state,
    startTime: iso(row.start_ms),
    endTime: iso(row.end_ms),
    durationMs: span(row.start_ms, row.end_ms),
    pid: row.pid,
    exitCode: row.exit_code,
    signal: row.signal,
    error: row.error,
    stdoutPath: row.stdout_path,
    stderrPath: row.stderr_path,
  };
}
