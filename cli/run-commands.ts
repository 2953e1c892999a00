// `sluice run`, `resume`, `repair` and `cancel`: the commands that execute
// pipelines or stop them. They open the state database, compose the engine's
// RunService with the local launcher, and print progress.
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../engine/diagnostics.js';
import { LocalLauncher } from '../engine/execute/launcher.js';
import { parseParameterArguments } from '../engine/execute/parameters.js';
import { RunService, type PipelineSource } from '../engine/execute/run-service.js';
import type { RunEvent } from '../engine/execute/run-executor.js';
import type { Pipeline } from '../engine/spec/model.js';
import { findPipelineFiles, loadPipelineSet } from '../engine/spec/pipeline-set.js';
import type { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { openStateDatabase } from '../engine/state/database.js';
import { RunStore, type RunRow } from '../engine/state/run-store.js';
import { locateState, type StateLocation } from '../engine/state/state-home.js';
import { isTerminalRunState } from '../engine/state/states.js';
import { formatText } from './diagnostic-format.js';
import { createLoader } from './pipeline-loader.js';
import { formatDuration } from './run-format.js';
import { parseRunId } from './run-id.js';
import { RunProgress } from './run-progress.js';
import { styleFor } from './terminal-style.js';

const DEFAULT_KILL_GRACE_MILLIS = 5000;

interface StateOptions {
  state?: string;
}

interface RunOptions extends StateOptions {
  param: string[];
  concurrency?: string;
}

export function registerRunCommands(program: Command): void {
  program.command('run')
    .description('Run a pipeline now and wait for it: tasks start as soon as their dependencies settle.')
    .argument('<file>', 'pipeline file')
    .option('-p, --param <name=value>', 'set a parameter (repeatable)', collect, [])
    .option('-c, --concurrency <n>', 'processes that may run at once (default: number of CPUs)')
    .option('--state <file>', 'state database (default: .sluice/state.db, or $SLUICE_HOME/state.db)')
    .addHelpText('after', '\nExit status: 0 when the run succeeds (all leaf tasks succeeded), 1 when it fails, is canceled or times out, 2 for usage errors.')
    .action(async (file: string, options: RunOptions) => {
      const loader = await createLoader();
      const source = loadSource(loader, file);
      const given = parseParameterArguments(options.param);
      const session = openSession(loader, options, parseConcurrency(options.concurrency));
      const run = session.service.createRun(source, { parameters: given });
      process.exitCode = await session.drive(run, source.pipeline.tasks.length, () => session.service.execute(source.pipeline, run));
    });

  program.command('resume')
    .description('Go on with a run whose runner died: lost attempts run again, succeeded tasks are kept.')
    .argument('<run-id>', 'run id (sluice runs lists them)')
    .option('-c, --concurrency <n>', 'processes that may run at once (default: number of CPUs)')
    .option('--state <file>', 'state database')
    .action(async (id: string, options: StateOptions & { concurrency?: string }) => {
      const session = openSession(await createLoader(), options, parseConcurrency(options.concurrency));
      const runId = parseRunId(id);
      process.exitCode = await session.drive(session.store.run(runId), 0, () => session.service.resume(runId));
    });

  program.command('repair')
    .description('Rerun failed, canceled and skipped tasks of a finished run, and everything downstream of them.')
    .argument('<run-id>', 'run id')
    .option('--only <tasks>', 'rerun these instead: a,+b,c+ (+b adds b\'s upstream, c+ adds c\'s downstream)')
    .option('-c, --concurrency <n>', 'processes that may run at once (default: number of CPUs)')
    .option('--state <file>', 'state database')
    .action(async (id: string, options: StateOptions & { only?: string; concurrency?: string }) => {
      const session = openSession(await createLoader(), options, parseConcurrency(options.concurrency));
      const runId = parseRunId(id);
      process.exitCode = await session.drive(session.store.run(runId), 0, () => session.service.repair(runId, options.only));
    });

  program.command('cancel')
    .description('Cancel a running run: its processes are stopped and its tasks recorded as canceled.')
    .argument('<run-id>', 'run id')
    .option('--state <file>', 'state database')
    .action(async (id: string, options: StateOptions) => {
      const session = openSession(await createLoader(), options, 1);
      const runId = parseRunId(id);
      const { signaled } = session.service.cancel(runId);
      if (signaled) {
        const run = await waitForEnd(session.store, runId, DEFAULT_KILL_GRACE_MILLIS + 10_000);
        process.stdout.write(run ? `run ${runId} ${run.state}\n` : `asked run ${runId} to stop; it has not finished yet (sluice show ${runId})\n`);
      } else {
        process.stdout.write(`run ${runId} CANCELED (its runner had stopped; its processes were stopped)\n`);
      }
    });
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseConcurrency(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new UsageError(`--concurrency must be a whole number from 1 to 1024, not ${JSON.stringify(text)}`);
  return n;
}

export function loadSource(loader: PipelineLoader, file: string): PipelineSource {
  let loaded = loader.loadFile(file);
  if (loaded.pipeline && callsOtherPipelines(loaded.pipeline)) {
    // run_pipeline targets are the pipelines beside the file: check the calls
    // (names, parameters, cycles) as `sluice validate <folder>` does, before anything runs.
    const set = loadPipelineSet(loader, findPipelineFiles([dirname(file)]));
    loaded = set.find((item) => resolve(item.file) === resolve(file)) ?? loaded;
  }
  if (!loaded.pipeline) {
    process.stderr.write(formatText([{ file: loaded.file, text: loaded.text, diagnostics: loaded.diagnostics }], styleFor(process.stderr), false));
    throw new UsageError(`${file} is not a valid pipeline; nothing was run`, 1);
  }
  return { pipeline: loaded.pipeline, text: loaded.text ?? '' };
}

function callsOtherPipelines(pipeline: Pipeline): boolean {
  return pipeline.tasks.some((task) => task.body.type === 'run_pipeline' ||
    (task.body.type === 'for_each' && task.body.task.body.type === 'run_pipeline'));
}

/**
 * Built-in tasks run as `sluice exec-task <type> <params>` in their own
 * process, started by the same launcher as any command: the executor never
 * loads DuckDB or onnxruntime itself.
 */
export function builtinTaskCommand(type: string, paramsFile: string): string[] {
  return [process.execPath, resolve(process.argv[1]!), 'exec-task', type, paramsFile];
}

export function openSession(loader: PipelineLoader, options: StateOptions, concurrency: number) {
  const location = locateState({ state: options.state });
  const store = new RunStore(openStateDatabase(location.databaseFile));
  const live = Boolean(process.stdout.isTTY) && process.env.CI === undefined;
  const progress = new RunProgress({ out: process.stdout, style: styleFor(process.stdout), live });
  const service = createRunService(loader, store, location, concurrency, progress.handle);

  /** Runs `work`, stopping it on Ctrl-C / SIGTERM (sluice cancel), and prints the outcome. */
  const drive = async (known: RunRow | undefined, taskCount: number, work: () => Promise<RunRow>): Promise<number> => {
    progress.setTaskCount(taskCount || (known ? store.taskRuns(known.id).filter((t) => t.parent_task_key === null).length : 0));
    const stop = (signal: NodeJS.Signals) => {
      if (signal === 'SIGINT') service.stopAll('canceled with Ctrl-C');
      else service.stopRequested('canceled by SIGTERM (sluice cancel)');
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      const run = await work();
      progress.close();
      printSummary(run, store, progress);
      return run.state === 'SUCCESS' || run.state === 'SUCCESS_WITH_FAILURES' ? 0 : 1;
    } finally {
      progress.close();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      store.db.close();
    }
  };
  return { store, service, drive };
}

/** The RunService of every command that runs pipelines: the local launcher, the stored YAML for repair and resume. */
export function createRunService(loader: PipelineLoader, store: RunStore, location: StateLocation, concurrency: number,
  onEvent?: (event: RunEvent) => void): RunService {
  return new RunService({
    store, databaseFile: location.databaseFile, runsDir: location.runsDir, launcher: new LocalLauncher(), concurrency,
    killGraceMillis: killGraceMillis(), onEvent,
    builtinCommand: builtinTaskCommand,
    parsePipeline: (file, text) => {
      const loaded = loader.loadText(file, text);
      if (!loaded.pipeline) throw new UsageError(`the stored version of ${file} no longer validates: ${loaded.diagnostics[0]?.message ?? 'unknown error'}`);
      return loaded.pipeline;
    },
    findPipeline: (name, besideFile) => findPipelineByName(loader, name, besideFile),
  });
}

/** SIGTERM to SIGKILL, for tasks being stopped: SLUICE_KILL_GRACE_MS or 5 s. */
export function killGraceMillis(): number {
  const fromEnv = Number(process.env.SLUICE_KILL_GRACE_MS);
  return Number.isFinite(fromEnv) && fromEnv >= 0 ? fromEnv : DEFAULT_KILL_GRACE_MILLIS;
}

export function printSummary(run: RunRow, store: RunStore, progress: RunProgress): void {
  const took = formatDuration((run.end_ms ?? Date.now()) - (run.start_ms ?? run.created_ms));
  const tasks = store.taskRuns(run.id).filter((task) => task.parent_task_key === null);
  const counts = new Map<string, number>();
  for (const task of tasks) counts.set(task.state, (counts.get(task.state) ?? 0) + 1);
  const breakdown = [...counts].map(([state, n]) => `${n} ${state.toLowerCase()}`).join(', ');
  const repair = run.repair_count > 0 ? ` (repair ${run.repair_count})` : '';
  process.stdout.write(`run ${run.id} of '${run.pipeline}'${repair} ${progress.colour(run.state)} in ${took}: ${breakdown}\n`);
  // Small runs show what they produced; big ones would bury the summary.
  const values = [...store.values(run.id)].filter(([key]) => !key.includes('['))
    .flatMap(([key, named]) => Object.entries(named).map(([name, value]) => `${key}.${name} = ${value.length > 80 ? `${value.slice(0, 77)}...` : value}`));
  if (values.length > 0 && values.length <= 12) process.stdout.write(`  values: ${values.join(', ')}\n`);
  if (run.state !== 'SUCCESS') {
    process.stdout.write(`  details: sluice show ${run.id}   logs: sluice logs ${run.id} <task>   rerun failed tasks: sluice repair ${run.id}\n`);
  }
}

function findPipelineByName(loader: PipelineLoader, name: string, besideFile: string): PipelineSource {
  const folder = dirname(besideFile);
  const names: string[] = [];
  for (const file of findPipelineFiles([folder])) {
    const loaded = loader.loadFile(file);
    if (!loaded.pipeline) continue;
    if (loaded.pipeline.name === name) return { pipeline: loaded.pipeline, text: loaded.text ?? '' };
    names.push(loaded.pipeline.name);
  }
  throw new Error(`no valid pipeline named '${name}' in ${folder}${names.length > 0 ? ` (there: ${names.sort().join(', ')})` : ''}`);
}

async function waitForEnd(store: RunStore, runId: number, timeoutMs: number): Promise<RunRow | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const run = store.run(runId);
    if (run && isTerminalRunState(run.state)) return run;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}
