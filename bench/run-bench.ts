// Executor benchmark (`npm run bench` after `npm run build`):
//  1. `sluice run` of chain, wide and layered DAGs of 100 / 500 / 2,000
//     no-op `true` tasks at concurrency 2, beside the same DAG under ninja -j2
//     and make -j2 (when they are on PATH): ms per task and the ratios,
//  2. the fixed cost of `sluice run` of one `true` task,
//  3. 10,000 condition tasks (no process at all): wall time and peak RSS,
//  4. child_process.spawn against execa 9 starting 500 no-op processes at
//     concurrency 2: the evidence for the launcher choice.
// It prints figures and targets and asserts no timing (machines are shared
// and noisy). Against an older build without `sluice run` it measures the
// other tools only. It exits 1 when `sluice run` failed. `--json` prints JSON.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SHAPE_NOTES, SHAPES, type Shape } from './dag-generators.js';
import { externalBuilders, type ExternalBuilder } from './external-builders.js';
import { compareLaunchers, type LauncherResult } from './launcher-compare.js';
import { mib, ms, progress, SLUICE_BIN, table, timedSpawn } from './measure.js';
import { peakMethod } from './peak-rss.js';
import {
  bareNodePeakKiB, CONCURRENCY, measureConditions, measureDags, measureOneTask, ONE_TASK, SLOW_RUN_MS,
  type ConditionResult, type DagResult, type OneTaskResult, type Tool,
} from './run-measurements.js';

const SIZES = [100, 500, 2_000] as const;
const DAG_RUNS = 3;
const ONE_TASK_RUNS = 10;
const CONDITION_TASKS = 10_000;
const CONDITION_SHAPES: readonly Shape[] = ['chain', 'layered'];
const CONDITION_RUNS = 3;
const LAUNCHER_PROCESSES = 500;
const LAUNCHER_RUNS = 3;

const TARGET_NINJA_RATIO = 1.5;
const TARGET_OVERHEAD_MS = 150;
const TARGET_CONDITIONS_MS = 5_000;
const TARGET_RSS_BYTES = 300e6;

const sluiceBin = SLUICE_BIN;
const asJson = process.argv.includes('--json');

/** `sluice run` exists in this build: its help names it. */
function hasRunCommand(): boolean {
  const help = timedSpawn(process.execPath, [sluiceBin, 'run', '--help']);
  return help.status === 0 && /Usage: sluice run\b/.test(help.stdout);
}

interface Report {
  sluiceRun: boolean;
  builders: { name: string; executable: string; launches: string }[];
  dags: DagResult[];
  oneTask: OneTaskResult[];
  conditions: ConditionResult[];
  bareNodePeakKiB: number;
  launchers: LauncherResult[];
  totalSeconds: number;
}

async function main(): Promise<void> {
  if (!existsSync(sluiceBin)) {
    process.stderr.write('run-bench: run `npm run build` first (dist/bin/sluice.js is missing)\n');
    process.exit(1);
  }
  const started = performance.now();
  const sluiceRun = hasRunCommand();
  if (!sluiceRun) progress('run-bench: this build has no `sluice run`; measuring the other tools only');
  const runner = sluiceRun ? sluiceBin : undefined;
  const builders = externalBuilders();
  const folder = mkdtempSync(join(tmpdir(), 'sluice-run-bench-'));
  try {
    const dags = measureDags(folder, runner, builders, SIZES, DAG_RUNS);
    const oneTask = measureOneTask(folder, runner, ONE_TASK_RUNS);
    const conditions = runner ? await measureConditions(folder, runner, CONDITION_SHAPES, CONDITION_TASKS, CONDITION_RUNS) : [];
    const bareNode = await bareNodePeakKiB();
    progress(`launchers: ${LAUNCHER_PROCESSES} processes × ${LAUNCHER_RUNS} runs per variant…`);
    const launchers = await compareLaunchers(LAUNCHER_PROCESSES, CONCURRENCY, LAUNCHER_RUNS);
    const totalSeconds = (performance.now() - started) / 1000;
    report({
      sluiceRun, builders: builders.map(describeBuilder), dags, oneTask, conditions, bareNodePeakKiB: bareNode, launchers, totalSeconds,
    });
    const failed = dags.some((d) => d.tools.sluice?.error) || oneTask.some((o) => o.error) || conditions.some((c) => c.error);
    if (failed) process.exitCode = 1;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const describeBuilder = (b: ExternalBuilder) => ({ name: b.name, executable: b.executable, launches: b.launches });

const perTask = (t: { medianMs: number } | undefined, tasks: number): number | undefined =>
  t && Number.isFinite(t.medianMs) ? t.medianMs / tasks : undefined;

function ratio(r: DagResult, other: Tool): number | undefined {
  const a = r.tools.sluice;
  const b = r.tools[other];
  return a && b && !a.error && !b.error ? a.medianMs / b.medianMs : undefined;
}

function targets(r: Report) {
  const ratios = r.dags.map((d) => ({ shape: d.shape, tasks: d.tasks, ratio: ratio(d, 'ninja') }))
    .filter((x): x is { shape: Shape; tasks: number; ratio: number } => x.ratio !== undefined);
  const worstRatio = ratios.reduce<(typeof ratios)[number] | undefined>((a, b) => (!a || b.ratio > a.ratio ? b : a), undefined);
  const at = (label: string) => r.oneTask.find((o) => o.label === label);
  const fresh = at(ONE_TASK.sluiceFresh);
  // Node's own start-up is no overhead of Sluice's: the baseline is a bare node that spawns `true`.
  const overheadMs = fresh && !fresh.error ? fresh.medianMs - at(ONE_TASK.nodeSpawnsTrue)!.medianMs : undefined;
  const beyondTrueMs = fresh && !fresh.error ? fresh.medianMs - at(ONE_TASK.true)!.medianMs : undefined;
  const conditionsOk = r.conditions.length > 0 && r.conditions.every((c) => !c.error);
  const slowest = r.conditions.reduce<ConditionResult | undefined>((a, b) => (!a || b.medianMs > a.medianMs ? b : a), undefined);
  const biggest = r.conditions.reduce<ConditionResult | undefined>((a, b) => (!a || b.peakRssKiB > a.peakRssKiB ? b : a), undefined);
  return {
    ninjaRatio: {
      target: TARGET_NINJA_RATIO, worst: worstRatio,
      pass: worstRatio !== undefined && ratios.length === r.dags.length && worstRatio.ratio <= TARGET_NINJA_RATIO,
    },
    oneTaskOverhead: { targetMs: TARGET_OVERHEAD_MS, overheadMs, beyondTrueMs, pass: overheadMs !== undefined && overheadMs <= TARGET_OVERHEAD_MS },
    conditionsTime: {
      targetMs: TARGET_CONDITIONS_MS, slowestShape: slowest?.shape, medianMs: slowest?.medianMs,
      pass: conditionsOk && slowest!.medianMs <= TARGET_CONDITIONS_MS,
    },
    conditionsRss: {
      targetBytes: TARGET_RSS_BYTES, shape: biggest?.shape, peakRssKiB: biggest?.peakRssKiB,
      pass: conditionsOk && biggest!.peakRssKiB * 1024 <= TARGET_RSS_BYTES,
    },
  };
}

function report(r: Report): void {
  const t = targets(r);
  if (asJson) {
    process.stdout.write(`${JSON.stringify({ node: process.version, cpus: cpus().length, concurrency: CONCURRENCY, ...r, targets: t }, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  out.push(`sluice run benchmark — node ${process.version}, ${cpus().length} CPUs, concurrency ${CONCURRENCY}`);
  if (!r.sluiceRun) out.push('NOTE: this build has no `sluice run` (dist/bin/sluice.js run --help); sluice figures are missing.');
  out.push('');
  out.push(...dagSection(r));
  out.push('');
  out.push(...oneTaskSection(r));
  out.push('');
  out.push(...conditionSection(r));
  out.push('');
  out.push(...launcherSection(r));
  out.push('');
  out.push('Targets');
  const pf = (pass: boolean, measured: boolean) => (!measured ? 'NOT MEASURED' : pass ? 'PASS' : 'MISS');
  const w = t.ninjaRatio.worst;
  out.push(`  sluice ≤ ${TARGET_NINJA_RATIO}× ninja per task, every DAG above` +
    ` (worst: ${w ? `${w.shape} ${w.tasks}, ${w.ratio.toFixed(2)}×` : '-'})  ${pf(t.ninjaRatio.pass, w !== undefined)}`);
  out.push(...spawnFloor(r));
  const o = t.oneTaskOverhead;
  out.push(`  one-task run overhead ≤ ${TARGET_OVERHEAD_MS} ms beyond a bare node spawning \`true\`` +
    ` (fresh state folder: ${o.overheadMs === undefined ? '-' : `${ms(o.overheadMs)} ms; ${ms(o.beyondTrueMs!)} ms beyond \`true\` alone`})` +
    `  ${pf(o.pass, o.overheadMs !== undefined)}`);
  const c = t.conditionsTime;
  out.push(`  ${CONDITION_TASKS.toLocaleString('en-US')} condition tasks in ≤ ${TARGET_CONDITIONS_MS / 1000} s` +
    ` (slowest: ${c.slowestShape ?? '-'}, ${c.medianMs === undefined ? '-' : `${(c.medianMs / 1000).toFixed(2)} s`})  ${pf(c.pass, r.conditions.length > 0)}`);
  const m = t.conditionsRss;
  out.push(`  ${CONDITION_TASKS.toLocaleString('en-US')} condition tasks in ≤ 300 MB peak RSS (${mib(TARGET_RSS_BYTES / 1024)} MiB;` +
    ` largest: ${m.shape ?? '-'}, ${m.peakRssKiB === undefined ? '-' : `${mib(m.peakRssKiB)} MiB`})  ${pf(m.pass, r.conditions.length > 0)}`);
  out.push('');
  out.push(`(benchmark took ${r.totalSeconds.toFixed(1)} s)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/**
 * What node's own spawn costs beside ninja, measured in this run: the floor
 * under any launcher built on child_process, and what Sluice adds above it.
 */
function spawnFloor(r: Report): string[] {
  const floor = r.launchers.find((l) => l.label.includes('spawn') && l.label.includes('log files'));
  const chain = r.dags.find((d) => d.shape === 'chain' && d.tasks === 500);
  const ninja = chain && perTask(chain.tools.ninja, chain.tasks);
  const sluice = chain && perTask(chain.tools.sluice, chain.tasks);
  if (!floor || ninja === undefined || sluice === undefined) return [];
  const spawnMs = floor.medianMsPerProcess;
  return [`    context: node's child_process.spawn alone (log files, detached) takes ${spawnMs.toFixed(3)} ms/process here,` +
    ` ${(spawnMs / ninja).toFixed(2)}× ninja's ${ninja.toFixed(3)} ms/task on chain 500; sluice adds ${(sluice - spawnMs).toFixed(3)} ms/task above it`];
}

function dagSection(r: Report): string[] {
  const tools: Tool[] = [...(r.sluiceRun ? ['sluice' as const] : []), ...r.builders.map((b) => b.name as Tool)];
  const others = tools.filter((x) => x !== 'sluice');
  const out = [`DAGs of no-op \`true\` tasks, ${CONCURRENCY} at a time; median wall time of ${DAG_RUNS} runs, then ms per task`];
  const fewer = r.dags.flatMap((d) => Object.entries(d.tools)
    .filter(([, x]) => !x.error && x.runs < DAG_RUNS).map(([tool, x]) => `${tool} ${d.shape}-${d.tasks}: ${x.runs}`));
  const cell = (d: DagResult, tool: Tool) => {
    const x = d.tools[tool];
    return !x ? '-' : x.error ? 'FAIL' : ms(x.medianMs);
  };
  out.push(table([
    ['shape', 'tasks', 'edges', ...tools.map((x) => `${x} ms`), ...tools.map((x) => `${x} /task`), ...(r.sluiceRun ? others.map((x) => `sluice/${x}`) : [])],
    ...r.dags.map((d) => [
      d.shape, String(d.tasks), String(d.edges),
      ...tools.map((x) => cell(d, x)),
      ...tools.map((x) => { const p = d.tools[x]?.error ? undefined : perTask(d.tools[x], d.tasks); return p === undefined ? '-' : p.toFixed(3); }),
      ...(r.sluiceRun ? others.map((x) => { const q = ratio(d, x); return q === undefined ? '-' : `${q.toFixed(2)}×`; }) : []),
    ]),
  ]));
  for (const shape of SHAPES) out.push(`  ${shape}: ${SHAPE_NOTES[shape]}`);
  out.push(`  sluice: \`sluice run FILE --concurrency ${CONCURRENCY} --state <fresh>/state.db\`, command: ["true"] (argv, no shell), a cold node process each run`);
  for (const b of r.builders) out.push(`  ${b.name}: ${b.executable} -j${CONCURRENCY}, ${b.launches}`);
  if (r.builders.length === 0) out.push('  (neither make nor ninja is on PATH: no comparison)');
  if (fewer.length > 0) out.push(`  fewer runs (a run over ${SLOW_RUN_MS / 1000} s is not repeated): ${fewer.join(', ')}`);
  for (const d of r.dags) {
    for (const [tool, x] of Object.entries(d.tools)) if (x.error) out.push(`  FAIL ${tool} ${d.shape}-${d.tasks}: ${x.error}`);
  }
  return out;
}

function oneTaskSection(r: Report): string[] {
  const base = (label: string) => r.oneTask.find((o) => o.label === label)?.medianMs ?? Number.NaN;
  const trueMs = base(ONE_TASK.true);
  const nodeTrueMs = base(ONE_TASK.nodeSpawnsTrue);
  const out = [`One task (\`true\`): cold process wall time, ${ONE_TASK_RUNS} runs each, interleaved`];
  out.push(table([
    ['command', 'runs', 'median ms', 'min ms', 'minus true', 'minus node+true'],
    ...r.oneTask.map((o) => [
      o.label, String(o.runs), o.error ? 'FAIL' : ms(o.medianMs), ms(o.minMs),
      o.label === ONE_TASK.true || o.error ? '' : ms(o.medianMs - trueMs),
      o.label.startsWith('sluice') && !o.error ? ms(o.medianMs - nodeTrueMs) : '',
    ]),
  ]));
  out.push('  minus true: overhead beyond the command\'s own time; minus node+true: beyond a bare node that spawns `true`');
  for (const o of r.oneTask) if (o.error) out.push(`  FAIL ${o.error}`);
  return out;
}

function conditionSection(r: Report): string[] {
  const out = [`${CONDITION_TASKS.toLocaleString('en-US')} condition tasks (no process): sluice run wall time and peak RSS, median of up to ${CONDITION_RUNS} runs (one over ${SLOW_RUN_MS / 1000} s is not repeated)`];
  if (!r.sluiceRun) return [...out, '  (skipped: no `sluice run` in this build)'];
  out.push(table([
    ['shape', 'tasks', 'edges', 'runs', 'median s', 'ms/1k tasks', 'peak RSS MiB'],
    ...r.conditions.map((c) => [
      c.shape, String(c.tasks), String(c.edges), String(c.runs), c.error && c.runs === 0 ? 'FAIL' : (c.medianMs / 1000).toFixed(2),
      ms((c.medianMs / c.tasks) * 1000), c.runs === 0 ? '-' : mib(c.peakRssKiB),
    ]),
  ]));
  out.push(`  peak RSS by ${r.conditions[0]?.method ?? peakMethod()} (largest of the runs); a bare node measures ${mib(r.bareNodePeakKiB)} MiB the same way`);
  out.push(`  condition: { left: "1", op: EQUAL_TO, right: "1" }; chain and layered as above`);
  for (const c of r.conditions) if (c.error) out.push(`  FAIL ${c.shape}: ${c.error}`);
  return out;
}

function launcherSection(r: Report): string[] {
  const fastest = Math.min(...r.launchers.map((l) => l.medianMsPerProcess));
  const out = [`Launcher: ${LAUNCHER_PROCESSES} no-op processes (\`true\`) started in-process, ${CONCURRENCY} at a time; median of ${LAUNCHER_RUNS} runs`];
  out.push(table([
    ['launcher', 'median ms/process', 'min ms/process', 'vs fastest'],
    ...r.launchers.map((l) => [l.label, l.medianMsPerProcess.toFixed(3), l.minMsPerProcess.toFixed(3), `${(l.medianMsPerProcess / fastest).toFixed(2)}×`]),
  ]));
  return out;
}

await main();
