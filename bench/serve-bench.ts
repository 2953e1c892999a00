// Scheduler benchmark (`npm run bench` after `npm run build`):
//  1. cron fire → first task start: a daemon serving a `* * * * * *` schedule;
//     the latency of each run is its first attempt's start minus its fire time,
//  2. trigger → start: `sluice trigger` against a running daemon; from the
//     request's creation to its first attempt's start,
//  3. the daemon's idle CPU and resident memory while it serves 100 scheduled
//     pipelines whose fire times are hours away.
// Medians over 20; targets are printed, never asserted (machines are shared).
// `--json` prints JSON.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { median, ms, progress, SLUICE_BIN, table } from './measure.js';

const SAMPLES = 20;
const IDLE_PIPELINES = 100;
const IDLE_SETTLE_MS = 3_000;
const IDLE_WINDOW_MS = 20_000;
const TARGET_LATENCY_MS = 100;

const sluiceBin = SLUICE_BIN;
const require = createRequire(import.meta.url);
const asJson = process.argv.includes('--json');
const sleep = (millis: number) => new Promise((done) => setTimeout(done, millis));

interface Daemon {
  child: ChildProcess;
  stateFile: string;
  folder: string;
}

function startDaemon(root: string, pipelines: Record<string, string>): Daemon {
  const folder = join(root, 'pipelines');
  mkdirSync(folder, { recursive: true });
  for (const [name, yaml] of Object.entries(pipelines)) writeFileSync(join(folder, `${name}.yaml`), yaml);
  const stateFile = join(root, 'home', 'state.db');
  const child = spawn(process.execPath, [sluiceBin, 'serve', '--pipelines', folder, '--state', stateFile],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, stateFile, folder };
}

async function stopDaemon(daemon: Daemon): Promise<void> {
  const exited = new Promise((done) => daemon.child.once('exit', done));
  daemon.child.kill('SIGTERM');
  await exited;
}

function query<T>(stateFile: string, sql: string): T[] {
  const Sqlite = require('better-sqlite3') as typeof BetterSqlite3;
  try {
    const db = new Sqlite(stateFile, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  } catch {
    return [];
  }
}

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** First-attempt start minus the given start point, per run. */
function latencies(stateFile: string, from: 'fire' | 'request'): number[] {
  const start = from === 'fire' ? 'r.trigger_time_ms' : 'q.created_ms';
  return query<{ latency: number }>(stateFile, `SELECT a.start_ms - ${start} AS latency FROM run_requests q
    JOIN runs r ON r.id = q.run_id JOIN attempts a ON a.run_id = r.id AND a.attempt = 1 ORDER BY r.id`).map((row) => row.latency);
}

async function cronLatency(root: string): Promise<number[]> {
  progress(`cron fire → first task start: ${SAMPLES} fires of a schedule every second…`);
  const daemon = startDaemon(root, { tick: 'name: tick\nschedule: { cron: "* * * * * *" }\ntasks:\n  - task_key: t\n    command: ["true"]\n' });
  try {
    // The first fire comes while the daemon is still warming up: measure the 20 after it.
    await waitUntil(`${SAMPLES + 1} fires`, () => latencies(daemon.stateFile, 'fire').length > SAMPLES, (SAMPLES + 15) * 1000);
  } finally {
    await stopDaemon(daemon);
  }
  return latencies(daemon.stateFile, 'fire').slice(1, SAMPLES + 1);
}

async function triggerLatency(root: string): Promise<number[]> {
  progress(`trigger → first task start: ${SAMPLES} sluice trigger calls against a running daemon…`);
  const daemon = startDaemon(root, { manual: 'name: manual\nmax_concurrent_runs: 1000\ntasks:\n  - task_key: t\n    command: ["true"]\n' });
  try {
    await waitUntil('the daemon', () => query(daemon.stateFile, 'SELECT 1 FROM daemons').length > 0, 30_000);
    for (let i = 0; i <= SAMPLES; i++) {
      const result = spawnSync(process.execPath, [sluiceBin, 'trigger', 'manual', '--pipelines', daemon.folder, '--state', daemon.stateFile], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`sluice trigger failed: ${result.stderr}`);
      await waitUntil('the run to start', () => latencies(daemon.stateFile, 'request').length > i, 30_000);
    }
  } finally {
    await stopDaemon(daemon);
  }
  return latencies(daemon.stateFile, 'request').slice(1, SAMPLES + 1);
}

interface IdleResult {
  pipelines: number;
  windowSeconds: number;
  cpuPercent: number;
  rssMiB: number;
}

async function idleCost(root: string): Promise<IdleResult> {
  progress(`idle: ${IDLE_PIPELINES} scheduled pipelines, ${IDLE_WINDOW_MS / 1000} s…`);
  const pipelines: Record<string, string> = {};
  for (let i = 0; i < IDLE_PIPELINES; i++) {
    // Nightly at varied minutes and zones: nothing fires while we watch.
    const zone = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'][i % 4];
    pipelines[`p${i}`] = `name: p${i}\nschedule: { cron: "${i % 60} 3 * * *", timezone: ${zone} }\ntasks:\n  - task_key: t\n    command: ["true"]\n`;
  }
  const daemon = startDaemon(root, pipelines);
  try {
    await waitUntil('the daemon', () => query(daemon.stateFile, 'SELECT 1 FROM daemons').length > 0, 60_000);
    await sleep(IDLE_SETTLE_MS);
    const pid = daemon.child.pid!;
    const before = cpuTicks(pid);
    await sleep(IDLE_WINDOW_MS);
    const used = cpuTicks(pid) - before;
    const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    return { pipelines: IDLE_PIPELINES, windowSeconds: IDLE_WINDOW_MS / 1000, cpuPercent: (used / ticksPerSecond) / (IDLE_WINDOW_MS / 1000) * 100, rssMiB: rssKiB / 1024 };
  } finally {
    await stopDaemon(daemon);
  }
}

/** User plus system CPU time of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function main(): Promise<void> {
  const help = spawnSync(process.execPath, [sluiceBin, 'serve', '--help'], { encoding: 'utf8' });
  if (help.status !== 0) {
    progress('serve-bench: this build has no `sluice serve`; nothing to measure');
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'sluice-serve-bench-'));
  try {
    const cron = await cronLatency(join(root, 'cron'));
    const trigger = await triggerLatency(join(root, 'trigger'));
    const idle = await idleCost(join(root, 'idle'));
    const summary = (values: number[]) => ({ medianMs: median(values), maxMs: Math.max(...values), samples: values.length });
    const result = {
      node: process.version, cpus: cpus().length,
      cronFireToStart: { ...summary(cron), targetMs: TARGET_LATENCY_MS, pass: median(cron) <= TARGET_LATENCY_MS },
      triggerToStart: { ...summary(trigger), targetMs: TARGET_LATENCY_MS, pass: median(trigger) <= TARGET_LATENCY_MS },
      idle,
    };
    if (asJson) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const mark = (pass: boolean) => (pass ? 'ok' : 'MISSED');
    process.stdout.write(`\nsluice serve benchmark — node ${process.version}, ${cpus().length} CPUs\n\n${table([
      ['latency', 'median ms', 'max ms', 'samples', `target ≤ ${TARGET_LATENCY_MS} ms`],
      ['cron fire → first task start', ms(result.cronFireToStart.medianMs), ms(result.cronFireToStart.maxMs), String(cron.length), mark(result.cronFireToStart.pass)],
      ['sluice trigger → first task start', ms(result.triggerToStart.medianMs), ms(result.triggerToStart.maxMs), String(trigger.length), mark(result.triggerToStart.pass)],
    ])}\n\n${table([
      ['idle daemon', 'pipelines', 'window s', 'CPU %', 'RSS MiB'],
      ['sluice serve, nothing due', String(idle.pipelines), String(idle.windowSeconds), idle.cpuPercent.toFixed(2), idle.rssMiB.toFixed(1)],
    ])}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
