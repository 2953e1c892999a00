// Wall time and peak resident memory of one child process. GNU time's %M
// (ru_maxrss from wait4) is exact; without /usr/bin/time, VmHWM in
// /proc/<pid>/status is polled while the child runs, which can miss growth in
// its last milliseconds.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SpawnResult } from './measure.js';

export type PeakMethod = '/usr/bin/time -f %M' | 'polled VmHWM';

export interface PeakResult extends SpawnResult {
  peakRssKiB: number;
  method: PeakMethod;
}

const GNU_TIME = '/usr/bin/time';
const MAX_BUFFER = 256 * 1024 * 1024;

export function peakMethod(): PeakMethod {
  return existsSync(GNU_TIME) ? '/usr/bin/time -f %M' : 'polled VmHWM';
}

export async function runMeasuringPeak(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<PeakResult> {
  return peakMethod() === 'polled VmHWM' ? polled(command, args, options) : withGnuTime(command, args, options);
}

/** The wall time includes starting /usr/bin/time, about a millisecond. */
function withGnuTime(command: string, args: readonly string[], options: SpawnOptions): PeakResult {
  const folder = mkdtempSync(join(tmpdir(), 'sluice-time-'));
  try {
    const report = join(folder, 'time.txt');
    const start = performance.now();
    const result = spawnSync(GNU_TIME, ['-f', '%M', '-o', report, command, ...args], { ...options, encoding: 'utf8', maxBuffer: MAX_BUFFER });
    const ms = performance.now() - start;
    if (result.error) throw result.error;
    // On a non-zero exit GNU time writes "Command exited with non-zero status N" first.
    const lines = readFileSync(report, 'utf8').trim().split('\n');
    return {
      ms, status: result.status, stdout: String(result.stdout), stderr: String(result.stderr),
      peakRssKiB: Number(lines.at(-1)), method: '/usr/bin/time -f %M',
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function readHighWaterMarkKiB(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // exited already
  }
}

function polled(command: string, args: readonly string[], options: SpawnOptions): Promise<PeakResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    let peak = 0;
    const poll = setInterval(() => {
      peak = Math.max(peak, readHighWaterMarkKiB(child.pid!) ?? 0);
    }, 2);
    child.once('error', (error) => {
      clearInterval(poll);
      reject(error);
    });
    child.once('close', (status) => {
      clearInterval(poll);
      resolve({ ms: performance.now() - start, status, stdout, stderr, peakRssKiB: peak, method: 'polled VmHWM' });
    });
  });
}
