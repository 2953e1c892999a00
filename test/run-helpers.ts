// Helpers for tests that execute pipelines with the built CLI: runners that
// can be killed mid-run, a read-only look into the state database, and
// checks for processes a run may have left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import { findProcessesByEnv } from '../engine/execute/process-control.js';

const SLUICE = fileURLToPath(new URL('../dist/bin/sluice.js', import.meta.url));
const require = createRequire(import.meta.url);

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** When the process was spawned (ms since the epoch), and its wall time to exit. */
  startedMs: number;
  millis: number;
}

export interface RunningSluice {
  child: ChildProcess;
  /** Resolves once the process has exited and been reaped (so its pid no longer looks alive). */
  exited: Promise<Finished>;
}

/** Starts the built `sluice` without waiting for it. */
export function startSluice(args: readonly string[], cwd?: string): RunningSluice {
  if (!existsSync(SLUICE)) throw new Error('dist/bin/sluice.js is missing; run `npm run build` first (npm test does)');
  const started = Date.now();
  const child = spawn(process.execPath, [SLUICE, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const exited = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, startedMs: started, millis: Date.now() - started }));
  });
  return { child, exited };
}

/** Runs the built `sluice` to its end without blocking the test's event loop. */
export function sluiceAsync(args: readonly string[], cwd?: string): Promise<Finished> {
  return startSluice(args, cwd).exited;
}

/** A fresh temporary folder holding `files` (paths relative to it). */
export function tempFolder(prefix: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `sluice-${prefix}-`));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Opens the state database without writing to it, as a second reader would. */
export function openStateReadonly(file: string): BetterSqlite3.Database {
  const Sqlite = require('better-sqlite3') as typeof BetterSqlite3;
  return new Sqlite(file, { readonly: true, fileMustExist: true });
}

/** Whether `pid` is a live process; a zombie (exited, not yet reaped) counts as dead. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes whose environment holds `name=value`. */
export function processesWithEnv(name: string, value: string): number[] {
  return (findProcessesByEnv(name, value) ?? []).filter(isRunning);
}

/** Polls `check` until it returns something other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Seeded, so that a failing sequence of kill times can be replayed with the same seed. */
export { seededRandom } from '../bench/generate-pipelines.js';
