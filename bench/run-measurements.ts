// The measurements of the executor benchmark (run-bench.ts prints them):
// `sluice run` of DAGs of no-op commands beside make and ninja, the fixed
// cost of a one-task run, and a large run of condition tasks that start no
// process. Every `sluice run` gets a fresh state folder unless said otherwise.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { edgeCount, makeDag, renderPipeline, SHAPES, type Shape } from './dag-generators.js';
import { builderEnv, findOnPath, type ExternalBuilder } from './external-builders.js';
import { median, timedSpawn, type SpawnResult } from './measure.js';
import { runMeasuringPeak, type PeakMethod } from './peak-rss.js';

export const CONCURRENCY = 2;
/** A case whose run takes longer than this is not repeated, to keep the benchmark within a few minutes. */
export const SLOW_RUN_MS = 4_000;
const MAX_BUFFER = 256 * 1024 * 1024;

export type Tool = 'sluice' | ExternalBuilder['name'];

export interface Timing {
  runs: number;
  medianMs: number;
  minMs: number;
  /** The tool failed; the first lines of what it said. */
  error?: string;
}

export interface DagResult {
  shape: Shape;
  tasks: number;
  edges: number;
  tools: Partial<Record<Tool, Timing>>;
}

export interface OneTaskResult {
  label: string;
  runs: number;
  medianMs: number;
  minMs: number;
  error?: string;
}

export interface ConditionResult {
  shape: Shape;
  tasks: number;
  edges: number;
  runs: number;
  medianMs: number;
  peakRssKiB: number;
  method: PeakMethod;
  error?: string;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** What a failed process said, shortened for a table footnote. */
function failure(label: string, run: SpawnResult): string {
  const said = `${run.stderr}${run.stdout}`.trim().split('\n').slice(0, 6).join('\n    ');
  return `${label} exited ${run.status}${said ? `:\n    ${said}` : ''}`;
}

export function sluiceRunArgs(sluiceBin: string, file: string, stateDb: string): string[] {
  return [sluiceBin, 'run', file, '--concurrency', String(CONCURRENCY), '--state', stateDb];
}

/** One `sluice run` with a fresh state folder inside `folder`, removed afterwards (untimed). */
function sluiceRunFresh(sluiceBin: string, file: string, folder: string): SpawnResult {
  const stateDir = mkdtempSync(join(folder, 'state-'));
  try {
    return timedSpawn(process.execPath, sluiceRunArgs(sluiceBin, file, join(stateDir, 'state.db')), { cwd: folder, maxBuffer: MAX_BUFFER });
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

interface Contender {
  tool: Tool;
  /** Runs once; returns the wall time, or throws with what went wrong. */
  run(): number;
}

function contenders(sluiceBin: string | undefined, builders: readonly ExternalBuilder[], dir: string, tasks: number): Contender[] {
  const list: Contender[] = [];
  if (sluiceBin) {
    list.push({
      tool: 'sluice',
      run() {
        const run = sluiceRunFresh(sluiceBin, join(dir, 'pipeline.yaml'), dir);
        if (run.status !== 0) throw new Error(failure('sluice run', run));
        return run.ms;
      },
    });
  }
  for (const builder of builders) {
    list.push({
      tool: builder.name,
      run() {
        builder.reset(dir);
        const run = timedSpawn(builder.executable, builder.args(CONCURRENCY), { cwd: dir, env: builderEnv(), maxBuffer: MAX_BUFFER });
        if (run.status !== 0) throw new Error(failure(builder.name, run));
        const wrong = builder.check(run.stdout, tasks);
        if (wrong) throw new Error(wrong);
        return run.ms;
      },
    });
  }
  return list;
}

function summarize(times: readonly number[], error?: string): Timing {
  return { runs: times.length, medianMs: median(times), minMs: Math.min(...times), error };
}

/** Each size and shape, every tool `runs` times in rotating order; a tool that fails is dropped from that case. */
export function measureDags(
  folder: string, sluiceBin: string | undefined, builders: readonly ExternalBuilder[],
  sizes: readonly number[], runs: number,
): DagResult[] {
  const results: DagResult[] = [];
  let warmedUp = false;
  for (const tasks of sizes) {
    for (const shape of SHAPES) {
      const dag = makeDag(shape, tasks);
      const dir = join(folder, `${shape}-${tasks}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'pipeline.yaml'), renderPipeline(dag, 'command'));
      for (const builder of builders) builder.write(dag, dir);
      const list = contenders(sluiceBin, builders, dir, tasks);
      progress(`run  ${shape.padEnd(7)} ${String(tasks).padStart(5)} tasks: ${list.map((c) => c.tool).join(', ')} × ${runs}…`);
      if (!warmedUp) {
        // Untimed: load the file cache and the tools' binaries once.
        for (const c of list) { try { c.run(); } catch { /* reported by the timed runs */ } }
        warmedUp = true;
      }
      const times = new Map<Tool, number[]>(list.map((c) => [c.tool, []]));
      const errors = new Map<Tool, string>();
      const stopped = new Set<Tool>();
      for (let r = 0; r < runs; r++) {
        for (let j = 0; j < list.length; j++) {
          const c = list[(r + j) % list.length]!;
          if (stopped.has(c.tool)) continue;
          try {
            const ms = c.run();
            times.get(c.tool)!.push(ms);
            if (ms > SLOW_RUN_MS) stopped.add(c.tool);
          } catch (error) {
            errors.set(c.tool, error instanceof Error ? error.message : String(error));
            stopped.add(c.tool);
          }
        }
      }
      const tools: DagResult['tools'] = {};
      for (const c of list) tools[c.tool] = summarize(times.get(c.tool)!, errors.get(c.tool));
      results.push({ shape, tasks, edges: edgeCount(dag), tools });
    }
  }
  return results;
}

const NODE_SPAWNS_TRUE = "require('node:child_process').spawnSync('true')";

/** The cases of measureOneTask, by what run-bench.ts compares. */
export const ONE_TASK = {
  true: 'true',
  node: "node -e ''",
  nodeSpawnsTrue: 'node -e "spawnSync(\'true\')"',
  sluiceFresh: 'sluice run (fresh state folder)',
  sluiceExisting: 'sluice run (existing state.db)',
} as const;

/**
 * The fixed cost of a run: `sluice run` of one `true` task beside `true`
 * alone, a bare node, and a bare node that spawns `true`, interleaved.
 */
export function measureOneTask(folder: string, sluiceBin: string | undefined, runs: number): OneTaskResult[] {
  const dir = join(folder, 'one-task');
  mkdirSync(dir);
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(file, renderPipeline({ shape: 'chain', deps: [[]] }, 'command'));
  const trueBin = findOnPath('true') ?? 'true';
  const warmState = join(dir, 'warm', 'state.db');
  const cases: { label: string; run: () => SpawnResult }[] = [
    { label: ONE_TASK.true, run: () => timedSpawn(trueBin, []) },
    { label: ONE_TASK.node, run: () => timedSpawn(process.execPath, ['-e', '']) },
    { label: ONE_TASK.nodeSpawnsTrue, run: () => timedSpawn(process.execPath, ['-e', NODE_SPAWNS_TRUE]) },
  ];
  if (sluiceBin) {
    cases.push(
      { label: ONE_TASK.sluiceFresh, run: () => sluiceRunFresh(sluiceBin, file, dir) },
      { label: ONE_TASK.sluiceExisting, run: () => timedSpawn(process.execPath, sluiceRunArgs(sluiceBin, file, warmState), { cwd: dir, maxBuffer: MAX_BUFFER }) },
    );
  }
  progress(`one-task run: ${runs} × ${cases.length} spawns, interleaved…`);
  const errors = new Map<number, string>();
  for (const [i, c] of cases.entries()) {
    const run = c.run(); // warm-up, and creates the existing state.db
    if (run.status !== 0) errors.set(i, failure(c.label, run));
  }
  const times = cases.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    for (let j = 0; j < cases.length; j++) {
      const index = (r + j) % cases.length;
      if (errors.has(index)) continue;
      const run = cases[index]!.run();
      if (run.status === 0) times[index]!.push(run.ms);
      else errors.set(index, failure(cases[index]!.label, run));
    }
  }
  return cases.map((c, i) => ({ label: c.label, runs: times[i]!.length, medianMs: median(times[i]!), minMs: Math.min(...times[i]!), error: errors.get(i) }));
}

/** `sluice run` of `tasks` condition tasks per shape: wall time and the process's peak RSS. */
export async function measureConditions(
  folder: string, sluiceBin: string, shapes: readonly Shape[], tasks: number, runs: number,
): Promise<ConditionResult[]> {
  const results: ConditionResult[] = [];
  for (const shape of shapes) {
    const dir = join(folder, `conditions-${shape}-${tasks}`);
    mkdirSync(dir);
    const dag = makeDag(shape, tasks);
    const file = join(dir, 'pipeline.yaml');
    writeFileSync(file, renderPipeline(dag, 'condition'));
    progress(`conditions ${shape} ${tasks} tasks: up to ${runs} runs…`);
    const times: number[] = [];
    let peak = 0;
    let method: PeakMethod | undefined;
    let error: string | undefined;
    for (let r = 0; r < runs; r++) {
      const stateDir = mkdtempSync(join(dir, 'state-'));
      const run = await runMeasuringPeak(process.execPath, sluiceRunArgs(sluiceBin, file, join(stateDir, 'state.db')), { cwd: dir });
      rmSync(stateDir, { recursive: true, force: true });
      method = run.method;
      if (run.status !== 0) {
        error = failure('sluice run', run);
        break;
      }
      times.push(run.ms);
      peak = Math.max(peak, run.peakRssKiB);
      if (run.ms > SLOW_RUN_MS) break;
    }
    results.push({ shape, tasks, edges: edgeCount(dag), runs: times.length, medianMs: median(times), peakRssKiB: peak, method: method!, error });
  }
  return results;
}

/** Peak RSS of a bare node, measured the same way, to read the figures above against. */
export async function bareNodePeakKiB(): Promise<number> {
  return (await runMeasuringPeak(process.execPath, ['-e', ''])).peakRssKiB;
}
