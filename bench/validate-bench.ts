// Validation benchmark (`npm run bench` after `npm run build`):
//  1. in-process validation time of generated 100 / 1,000 / 10,000-task
//     pipelines in three shapes (chain, wide, layered),
//  2. the peak RSS of a fresh process validating each file once,
//  3. the time of each step of one 10,000-task load (phases.ts),
//  4. the cold-process wall time of `sluice validate` on small files against bare `node -e 0`.
// It prints figures and targets; it asserts no timing (machines are shared and
// noisy), only that every generated pipeline is valid: it stops at once on a
// validation error, and exits 1 after the report when the loader threw (a bug
// in Sluice). `--json` prints JSON instead of the tables.
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createLoader } from '../cli/pipeline-loader.js';
import type { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { generatePipeline, SHAPES, type Shape } from './generate-pipelines.js';
import { describeError, withDeepStacks, kib, median, mib, ms, percentile, table, timedSpawn, timeRuns } from './measure.js';
import { PHASES, schemaValidator, timePhases, type PhaseTimes } from './phases.js';

const SIZES = [100, 1_000, 10_000] as const;
/** Timed runs after one warm-up; fewer for the big files to stay within ~2 minutes. */
const RUNS: Record<(typeof SIZES)[number], number> = { 100: 15, 1_000: 7, 10_000: 3 };
const CLI_RUNS = 20;
const TARGET_10K_MS = 1_000;
const TARGET_CLI_MS = 150;

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const repo = resolve(here, '..', '..');
const sluiceBin = join(repo, 'dist', 'bin', 'sluice.js');
const childScript = join(here, 'validate-child.js');
const asJson = process.argv.includes('--json');
const progress = (line: string) => process.stderr.write(`${line}\n`);

interface InProcessResult {
  shape: Shape;
  tasks: number;
  fileBytes: number;
  /** Warnings the loader reported (errors stop the benchmark). */
  warnings: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** The loader threw instead of returning diagnostics: a bug in Sluice, reported and counted as a miss. */
  crash?: string;
  /** Fresh process, validating only this file once. */
  child: { maxRSSKiB: number; createLoaderMs: number; loadFileMs: number; crash?: string };
}

interface CliResult {
  label: string;
  runs: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
}

function fail(message: string): never {
  process.stderr.write(`validate-bench: ${message}\n`);
  process.exit(1);
}

/**
 * Generated pipelines must be valid, or the benchmark measures the error path.
 * Returns the number of warnings, or the crash when the loader threw.
 */
function checkValid(loader: PipelineLoader, file: string, tasks: number): { warnings: number; crash?: string } {
  let result: ReturnType<PipelineLoader['loadFile']>;
  try {
    result = withDeepStacks(() => loader.loadFile(file));
  } catch (error) {
    return { warnings: 0, crash: describeError(error) };
  }
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !result.pipeline) {
    const shown = errors.slice(0, 5).map((d) => `  ${d.file}:${d.line}:${d.col} ${d.code}: ${d.message}`).join('\n');
    fail(`generated pipeline ${file} has ${errors.length} error(s):\n${shown}`);
  }
  if (result.pipeline.tasks.length !== tasks) fail(`${file}: expected ${tasks} tasks, loader saw ${result.pipeline.tasks.length}`);
  return { warnings: result.diagnostics.length };
}

function runChild(file: string): InProcessResult['child'] {
  const run = timedSpawn(process.execPath, [childScript, file]);
  let report: InProcessResult['child'] & { errors: number; precompiled: boolean };
  try {
    report = JSON.parse(run.stdout) as typeof report;
  } catch {
    fail(`child validation of ${file} exited ${run.status} without a report:\n${run.stderr}${run.stdout}`);
  }
  if (report.errors > 0) fail(`child found ${report.errors} error(s) in ${file}`);
  if (!report.precompiled) progress(`warning: the child process did not use the precompiled validator for ${file}`);
  return { maxRSSKiB: report.maxRSSKiB, createLoaderMs: report.createLoaderMs, loadFileMs: report.loadFileMs, crash: report.crash };
}

function writePipelines(folder: string): { shape: Shape; tasks: number; file: string }[] {
  const files: { shape: Shape; tasks: number; file: string }[] = [];
  for (const tasks of SIZES) {
    for (const shape of SHAPES) {
      const generated = generatePipeline(shape, tasks);
      const file = join(folder, `${shape}-${tasks}.yaml`);
      writeFileSync(file, generated.text);
      files.push({ shape, tasks, file });
    }
  }
  return files;
}

function measureInProcess(loader: PipelineLoader, files: { shape: Shape; tasks: number; file: string }[]): InProcessResult[] {
  // JIT warm-up on a small file before anything is timed.
  for (let i = 0; i < 5; i++) checkValid(loader, files[0]!.file, files[0]!.tasks);
  const results: InProcessResult[] = [];
  for (const { shape, tasks, file } of files) {
    const runs = RUNS[tasks as (typeof SIZES)[number]];
    progress(`in-process  ${shape.padEnd(7)} ${String(tasks).padStart(6)} tasks: ${runs} runs…`);
    // The validity check is this file's warm-up run.
    const { warnings, crash } = checkValid(loader, file, tasks);
    const times = crash ? [] : timeRuns(runs, () => {
      if (!loader.loadFile(file).pipeline) fail(`${file} stopped validating`);
    }, { warmUp: false });
    results.push({
      shape, tasks, fileBytes: statSync(file).size, warnings, runs: times.length, crash,
      medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times),
      child: runChild(file),
    });
  }
  return results;
}

interface PhaseResult {
  shape: Shape;
  tasks: number;
  times: PhaseTimes;
}

/** One phase-by-phase load of each 10,000-task file (after the timed runs warmed everything up). */
async function measurePhases(loader: PipelineLoader, files: { shape: Shape; tasks: number; file: string }[]): Promise<PhaseResult[]> {
  const validate = await schemaValidator(loader);
  const big = files.filter((f) => f.tasks === SIZES[SIZES.length - 1]);
  progress(`phases: ${big.length} files…`);
  return big.map(({ shape, tasks, file }) => ({ shape, tasks, times: timePhases(file, validate) }));
}

const SCHEDULED_PIPELINE = `# A small scheduled pipeline: validating it reads the cron expression and the time zone.
name: nightly-refresh
description: Retrains the model every night in Berlin time
schedule:
  cron: "30 2 * * *"
  timezone: Europe/Berlin
  catchup: latest
parameters:
  - { name: date, default: "2024-06-01", description: partition to process }
tasks:
  - task_key: extract
    shell: |
      python3 extract.py --date {{job.parameters.date}}
      echo "path=/data/{{job.parameters.date}}/raw.parquet" >> "$SLUICE_OUTPUT"
  - task_key: train
    depends_on: [extract]
    max_retries: 2
    min_retry_interval_millis: 1000
    command: [python3, train.py, --in, "{{tasks.extract.values.path}}"]
`;

function measureCli(folder: string): { results: CliResult[]; bareNodeMaxRSSKiB: number } {
  const branch = join(folder, 'branch.yaml');
  copyFileSync(join(repo, 'pipelines', 'examples', 'branch.yaml'), branch);
  const scheduled = join(folder, 'scheduled.yaml');
  writeFileSync(scheduled, SCHEDULED_PIPELINE);

  const cases = [
    { label: 'node -e 0', args: ['-e', '0'] },
    { label: 'sluice validate branch.yaml', args: [sluiceBin, 'validate', branch] },
    { label: 'sluice validate scheduled.yaml (Europe/Berlin)', args: [sluiceBin, 'validate', scheduled] },
  ];
  // Once each, untimed: fail loudly on a broken build, and warm the file cache.
  for (const c of cases) {
    const run = timedSpawn(process.execPath, c.args);
    if (run.status !== 0) fail(`${c.label} exited ${run.status}:\n${run.stderr}${run.stdout}`);
  }
  const times = cases.map(() => [] as number[]);
  progress(`cold process: ${CLI_RUNS} × ${cases.length} spawns, interleaved…`);
  for (let i = 0; i < CLI_RUNS; i++) {
    // Rotate the order, so that no case always runs right after another.
    for (let j = 0; j < cases.length; j++) {
      const index = (i + j) % cases.length;
      const c = cases[index]!;
      const run = timedSpawn(process.execPath, c.args);
      if (run.status !== 0) fail(`${c.label} exited ${run.status}:\n${run.stderr}${run.stdout}`);
      times[index]!.push(run.ms);
    }
  }
  const bare = timedSpawn(process.execPath, ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS))']);
  return {
    results: cases.map((c, i) => ({
      label: c.label, runs: CLI_RUNS, medianMs: median(times[i]!), p90Ms: percentile(times[i]!, 90), minMs: Math.min(...times[i]!),
    })),
    bareNodeMaxRSSKiB: Number(bare.stdout),
  };
}

async function main(): Promise<void> {
  if (!existsSync(sluiceBin) || !existsSync(childScript)) fail('run `npm run build` first (dist/bin/sluice.js or dist/bench/validate-child.js is missing)');
  const started = performance.now();
  const folder = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  try {
    const loader = await createLoader();
    const files = writePipelines(folder);
    const inProcess = measureInProcess(loader, files);
    const phases = await measurePhases(loader, files);
    const cli = measureCli(folder);
    const totalSeconds = (performance.now() - started) / 1000;
    report({ precompiled: loader.usesPrecompiledValidator, inProcess, phases, cli: cli.results, bareNodeMaxRSSKiB: cli.bareNodeMaxRSSKiB, totalSeconds });
    const crashed = inProcess.filter((r) => r.crash);
    if (crashed.length > 0) {
      process.stderr.write(`validate-bench: the loader crashed on ${crashed.length} generated pipeline(s) ` +
        `(${crashed.map((r) => `${r.shape}-${r.tasks}`).join(', ')}): ${crashed[0]!.crash!}\n`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

interface Report {
  precompiled: boolean;
  inProcess: InProcessResult[];
  phases: PhaseResult[];
  cli: CliResult[];
  bareNodeMaxRSSKiB: number;
  totalSeconds: number;
}

function report({ precompiled, inProcess, phases, cli, bareNodeMaxRSSKiB, totalSeconds }: Report): void {
  const big = inProcess.filter((r) => r.tasks === SIZES[SIZES.length - 1]);
  const crashedBig = big.filter((r) => r.crash);
  const measuredBig = big.filter((r) => !r.crash);
  const worstBig = measuredBig.reduce<InProcessResult | undefined>((a, b) => (!a || b.medianMs > a.medianMs ? b : a), undefined);
  const bareNode = cli[0]!;
  const sluiceRuns = cli.slice(1);
  const worstCli = sluiceRuns.reduce((a, b) => (b.medianMs > a.medianMs ? b : a));
  const targets = {
    validate10k: {
      targetMs: TARGET_10K_MS,
      worstShape: crashedBig[0]?.shape ?? worstBig?.shape,
      worstMeasuredShape: worstBig?.shape,
      worstMeasuredMedianMs: worstBig?.medianMs,
      crashedShapes: crashedBig.map((r) => r.shape),
      pass: crashedBig.length === 0 && worstBig !== undefined && worstBig.medianMs <= TARGET_10K_MS,
    },
    coldCli: {
      targetMs: TARGET_CLI_MS, worstFile: worstCli.label, medianMs: worstCli.medianMs, bareNodeMedianMs: bareNode.medianMs,
      pass: worstCli.medianMs <= TARGET_CLI_MS,
    },
  };

  if (asJson) {
    process.stdout.write(`${JSON.stringify({
      node: process.version, cpus: cpus().length, precompiledValidator: precompiled, totalSeconds,
      inProcess, phases, bareNodeMaxRSSKiB,
      cli: cli.map((c, i) => ({ ...c, minusBareNodeMs: i === 0 ? 0 : c.medianMs - bareNode.medianMs })),
      targets,
    }, null, 2)}\n`);
    return;
  }

  const out: string[] = [];
  out.push(`sluice validate benchmark — node ${process.version}, ${cpus().length} CPUs, precompiled validator: ${precompiled ? 'yes' : 'NO'}`);
  out.push('');
  out.push('In-process loader.loadFile (parse + schema + semantic checks); fresh process validating the file once');
  out.push(table([
    ['shape', 'tasks', 'KiB', 'runs', 'median ms', 'min ms', 'ms/1k tasks', 'cold ms', 'peak RSS MiB'],
    ...inProcess.map((r) => [
      r.shape, String(r.tasks), kib(r.fileBytes), String(r.runs), r.crash ? 'CRASH' : ms(r.medianMs), ms(r.minMs),
      r.crash ? '' : ms((r.medianMs / r.tasks) * 1000), r.child.crash ? 'CRASH' : ms(r.child.loadFileMs), mib(r.child.maxRSSKiB),
    ]),
  ]));
  out.push(`(cold ms: first loadFile in the fresh process; bare node peak RSS ${mib(bareNodeMaxRSSKiB)} MiB)`);
  for (const r of inProcess.filter((x) => x.crash)) out.push(`CRASH ${r.shape}-${r.tasks}: ${r.crash!}`);
  out.push('');
  out.push(`Phases of one load at ${SIZES[SIZES.length - 1]!.toLocaleString('en-US')} tasks, ms (steps of PipelineLoader.fromSource)`);
  out.push(table([
    ['shape', ...PHASES, 'total'],
    ...phases.map(({ shape, times }) => [
      shape,
      ...PHASES.map((p) => (times.crash?.phase === p ? 'CRASH' : times.ms[p] === undefined ? '-' : ms(times.ms[p]!))),
      times.crash ? '-' : ms(Object.values(times.ms).reduce((a, b) => a + b, 0)),
    ]),
  ]));
  for (const { shape, times } of phases.filter((x) => x.times.crash)) out.push(`CRASH ${shape} in ${times.crash!.phase}: ${times.crash!.message}`);
  out.push('');
  out.push(`Cold process wall time, ${CLI_RUNS} spawns each, interleaved`);
  out.push(table([
    ['command', 'median ms', 'p90 ms', 'min ms', 'minus bare node'],
    ...cli.map((c, i) => [c.label, ms(c.medianMs), ms(c.p90Ms), ms(c.minMs), i === 0 ? '' : ms(c.medianMs - bareNode.medianMs)]),
  ]));
  out.push('');
  out.push('Targets');
  const bigWhat = [
    ...crashedBig.map((r) => `${r.shape}: CRASH`),
    ...(worstBig ? [`worst measured ${worstBig.shape}: median ${ms(worstBig.medianMs)} ms`] : []),
  ].join('; ');
  out.push(`  10,000 tasks validated in ≤ ${TARGET_10K_MS} ms (${bigWhat})  ${targets.validate10k.pass ? 'PASS' : 'MISS'}`);
  out.push(`  sluice validate, small file, cold, ≤ ${TARGET_CLI_MS} ms (worst: ${worstCli.label.replace('sluice validate ', '')},` +
    ` median ${ms(worstCli.medianMs)} ms; bare node ${ms(bareNode.medianMs)} ms)  ${targets.coldCli.pass ? 'PASS' : 'MISS'}`);
  out.push('');
  out.push(`(benchmark took ${totalSeconds.toFixed(1)} s)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
