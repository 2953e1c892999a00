// Small timing and formatting helpers for the benchmarks. Figures only: the
// machines are shared, so nothing here asserts a timing.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The built CLI, beside this compiled file (dist/bench → dist/bin). */
export const SLUICE_BIN = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
/** Progress goes to stderr, so that stdout holds only the report (or its JSON). */
export const progress = (line: string): void => { process.stderr.write(`${line}\n`); };

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Linear interpolation between closest ranks (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** Runs `fn` once to warm up (unless told not to), then `runs` times; returns each run's milliseconds. */
export function timeRuns(runs: number, fn: () => void, options: { warmUp?: boolean } = {}): number[] {
  if (options.warmUp ?? true) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times;
}

export interface SpawnResult {
  ms: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Wall time of one child process, from spawn to exit. */
export function timedSpawn(command: string, args: readonly string[], options: SpawnSyncOptions = {}): SpawnResult {
  const start = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  const ms = performance.now() - start;
  if (result.error) throw result.error;
  return { ms, status: result.status, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
}

export const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : '-');
export const kib = (bytes: number): string => (bytes / 1024).toFixed(0);
export const mib = (kibibytes: number): string => (kibibytes / 1024).toFixed(1);

/** Right-aligns every column but the first; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  const line = (row: readonly string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const [header, ...body] = rows;
  if (!header) return '';
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** "RangeError: … at TaskGraph.cycles (engine/spec/task-graph.js:37)": the error and the first frame in Sluice's own code. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '));
  const own = frames.find((line) => /\/dist\/(engine|cli|tasks)\//.test(line));
  const where = (own ?? frames[0] ?? '').trim().replace(/^at /, '').replace(/\(?file:\/\/\S*\/dist\//, '(').replace(/:\d+\)?$/, ')');
  return `${error.name}: ${error.message}${where ? ` at ${where}` : ''}`;
}

/**
 * Runs `fn` with long stack traces: a stack overflow's first frames are all
 * inside the recursion, and describeError needs to reach Sluice's own code.
 */
export function withDeepStacks<T>(fn: () => T): T {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 100_000;
  try {
    return fn();
  } finally {
    Error.stackTraceLimit = saved;
  }
}
