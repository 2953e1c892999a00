// `sluice runs`, `sluice show` and `sluice logs`: read-only views of the run
// state database. The database is in WAL mode, so they read while a runner
// writes; they never change a run.
import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../engine/diagnostics.js';
import { isProcessAlive } from '../engine/execute/process-control.js';
import { openStateDatabase } from '../engine/state/database.js';
import { type AttemptRow, type RunRow, RunStore } from '../engine/state/run-store.js';
import { locateState } from '../engine/state/state-home.js';
import { TERMINAL_RUN_STATES } from '../engine/state/states.js';
import { hint, listChoices } from '../engine/suggest.js';
import {
  attemptJson, type Cell, elapsed, formatDuration, formatTable, formatTime, header, INTERRUPTED, pipelineVersionJson,
  runJson, type RunnerStatus, shownState, stateCell, taskJson,
} from './run-format.js';
import { parseRunId } from './run-id.js';
import { FollowStatus } from './follow-status.js';
import { formatRunDetail } from './show-format.js';
import { printLogs, type Streams } from './task-logs.js';
import { styleFor } from './terminal-style.js';

/** What `--status` accepts: the stored run states, and INTERRUPTED (RUNNING with its runner gone). */
const RUN_STATUSES: readonly string[] = ['RUNNING', INTERRUPTED, ...TERMINAL_RUN_STATES];
const STATE_OPTION = ['--state <file>', 'the state database (default: $SLUICE_HOME/state.db, else the nearest .sluice/state.db)'] as const;

interface StateOptions {
  state?: string;
}

export function registerInspectCommands(program: Command): void {
  program.command('runs')
    .description('List runs, newest first.')
    .option('--pipeline <name>', 'only runs of this pipeline')
    .option('--status <state>', `only runs in this state: ${listChoices(RUN_STATUSES)}`)
    .option('--limit <n>', 'at most this many runs', wholeNumber('--limit'), 20)
    .option('--json', 'print a JSON array instead of a table')
    .option(...STATE_OPTION)
    .addHelpText('after', '\nINTERRUPTED: stored as RUNNING, but its runner process is gone; `sluice resume <run-id>` continues it.')
    .action((options: StateOptions & { pipeline?: string; status?: string; limit: number; json?: boolean }) => {
      const status = options.status === undefined ? undefined : parseStatus(options.status);
      return withStore(options, (store) => listRuns(store, { ...options, status }));
    });

  program.command('show')
    .description("Show a run: its parameters and state, every task's attempts, exit codes, errors and values.")
    .argument('<run-id>', 'the run, as `sluice runs` lists it')
    .option('--json', 'print one JSON object {run, tasks} instead of text')
    .option(...STATE_OPTION)
    .action((runId: string, options: StateOptions & { json?: boolean }) => {
      const id = parseRunId(runId);
      return withStore(options, (store) => showRun(store, id, options.json ?? false));
    });

  program.command('logs')
    .description("Print a run's task output: the latest attempt of every task, or of one task.")
    .argument('<run-id>', 'the run, as `sluice runs` lists it')
    .argument('[task]', "a task key; a for_each loop's iterations are 'loop[3]' (quote it in the shell)")
    .option('--attempt <n>', 'that attempt of the task instead of its latest', wholeNumber('--attempt'))
    .option('-f, --follow', 'keep printing new output until the run (or the task) ends')
    .addOption(new Option('--stdout', 'standard output only').conflicts('stderr'))
    .addOption(new Option('--stderr', 'standard error only').conflicts('stdout'))
    .option(...STATE_OPTION)
    .addHelpText('after', '\nWithout --stdout or --stderr, each attempt\'s standard output comes first, then its standard error under "--- stderr ---".')
    .action(async (runId: string, task: string | undefined,
      options: StateOptions & { attempt?: number; follow?: boolean; stdout?: boolean; stderr?: boolean }) => {
      const id = parseRunId(runId);
      if (options.attempt !== undefined && task === undefined) throw new UsageError('--attempt needs a task: sluice logs <run-id> <task> --attempt <n>');
      const streams: Streams = options.stdout ? 'stdout' : options.stderr ? 'stderr' : 'both';
      await withStore(options, async (store) => {
        const run = requireRun(store, id);
        // On a terminal, a followed run gets a live status line under its output; pipes and CI logs stay plain.
        const live = options.follow && process.stdout.isTTY && process.env.CI === undefined
          ? new FollowStatus(process.stdout, styleFor(process.stdout), () => ({ run: store.run(id)!, tasks: store.taskRuns(id) }))
          : undefined;
        try {
          await printLogs({
            store, run, task, attempt: options.attempt, streams, follow: options.follow ?? false,
            runnerStatus: (r) => runnerStatus(store, r),
            write: live?.write ?? ((chunk) => process.stdout.write(chunk)),
            note: (message) => {
              const print = () => process.stderr.write(`sluice: ${message}\n`);
              if (live) live.aside(print);
              else print();
            },
            style: styleFor(process.stdout),
          });
        } finally {
          live?.close();
        }
      });
    });
}

async function withStore<T>(options: StateOptions, use: (store: RunStore) => T | Promise<T>): Promise<T> {
  const db = openStateDatabase(locateState({ state: options.state }).databaseFile, { mustExist: true });
  try {
    return await use(new RunStore(db));
  } finally {
    db.close();
  }
}

function wholeNumber(option: string) {
  return (text: string): number => {
    if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
      throw new InvalidArgumentError(`${option} takes a whole number of 1 or more`);
    }
    return Number(text);
  };
}

function parseStatus(text: string): string {
  const upper = text.toUpperCase();
  if (RUN_STATUSES.includes(upper)) return upper;
  throw new UsageError(`unknown run status '${text}'${hint(text, RUN_STATUSES, `use one of ${listChoices(RUN_STATUSES)}`)}`);
}

function requireRun(store: RunStore, id: number): RunRow {
  const run = store.run(id);
  if (!run) throw new UsageError(`no run ${id}; \`sluice runs\` lists them`);
  return run;
}

/**
 * Whether the process that drives a RUNNING run is still there. A child run
 * (run_pipeline) with no runner of its own is driven by its parent's.
 */
export function runnerStatus(store: RunStore, run: RunRow): RunnerStatus {
  if (run.state !== 'RUNNING') return 'finished';
  let owner: RunRow | undefined = run;
  for (let hops = 0; owner && owner.runner_pid === null && owner.parent_run_id !== null && hops < 20; hops++) {
    owner = store.run(owner.parent_run_id);
  }
  if (!owner || owner.runner_pid === null) return 'unclaimed';
  return isProcessAlive(owner.runner_pid, owner.runner_started) ? 'alive' : 'gone';
}

interface RunsQuery {
  pipeline?: string;
  status?: string;
  limit: number;
  json?: boolean;
}

function listRuns(store: RunStore, query: RunsQuery): void {
  // RUNNING and INTERRUPTED are both stored as RUNNING: tell them apart here, then limit.
  const derived = query.status === 'RUNNING' || query.status === INTERRUPTED;
  const rows = store.runs({ pipeline: query.pipeline, state: derived ? 'RUNNING' : query.status, limit: derived ? undefined : query.limit });
  const runs = rows.map((run) => ({ run, state: shownState(run, runnerStatus(store, run)) }))
    .filter(({ state }) => !derived || state === query.status)
    .slice(0, query.limit);
  if (query.json) {
    process.stdout.write(`${JSON.stringify(runs.map(({ run, state }) => runJson(run, state)), null, 2)}\n`);
    return;
  }
  if (runs.length === 0) {
    process.stdout.write(`${noRunsLine(store, query)}\n`);
    return;
  }
  const style = styleFor(process.stdout);
  const now = Date.now();
  const table: Cell[][] = [header(style, 'RUN', 'PIPELINE', 'TRIGGER', 'STATE', 'STARTED', 'DURATION', 'REPAIRS')];
  for (const { run, state } of runs) {
    table.push([
      { text: String(run.id), paint: style.bold },
      { text: run.pipeline, paint: style.cyan },
      { text: run.trigger_type },
      stateCell(state, style),
      { text: formatTime(run.start_ms) },
      { text: formatDuration(elapsed(run.start_ms, run.end_ms, state === INTERRUPTED ? null : now)) },
      { text: String(run.repair_count) },
    ]);
  }
  const lines = formatTable(table);
  const interrupted = runs.filter(({ state }) => state === INTERRUPTED).map(({ run }) => run.id);
  if (interrupted.length === 1) {
    lines.push('', style.red(`${INTERRUPTED}: the runner of run ${interrupted[0]} died; \`sluice resume ${interrupted[0]}\` continues it`));
  } else if (interrupted.length > 1) {
    lines.push('', style.red(`${INTERRUPTED}: the runners of runs ${listChoices(interrupted.map(String), 'and')} died; \`sluice resume <run-id>\` continues each`));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function noRunsLine(store: RunStore, query: RunsQuery): string {
  if (query.pipeline === undefined && query.status === undefined) return 'no runs yet; `sluice run <pipeline>` starts one';
  const filters = [
    ...(query.status !== undefined ? [query.status] : []),
    'runs',
    ...(query.pipeline !== undefined ? [`of pipeline '${query.pipeline}'`] : []),
  ].join(' ');
  const pipelines = new Set(store.runs().map((run) => run.pipeline));
  const suggestion = query.pipeline !== undefined && !pipelines.has(query.pipeline)
    ? hint(query.pipeline, pipelines, pipelines.size > 0 ? `runs exist for ${listChoices([...pipelines].sort(), 'and')}` : 'nothing has run yet')
    : '';
  return `no ${filters}${suggestion}`;
}

function showRun(store: RunStore, id: number, json: boolean): void {
  const run = requireRun(store, id);
  const runner = runnerStatus(store, run);
  const state = shownState(run, runner);
  const tasks = store.taskRuns(id);
  const attempts = new Map<string, AttemptRow[]>();
  for (const attempt of store.attempts(id)) attempts.set(attempt.task_key, [...attempts.get(attempt.task_key) ?? [], attempt]);
  const values = store.values(id);
  const version = store.pipelineVersion(run.pipeline_version_id);
  if (json) {
    const out = {
      run: { ...runJson(run, state), runner, pipelineVersion: pipelineVersionJson(version) },
      tasks: tasks.map((task) => ({
        ...taskJson(task),
        attempts: (attempts.get(task.task_key) ?? []).map(attemptJson),
        values: values.get(task.task_key) ?? {},
      })),
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  process.stdout.write(formatRunDetail({ run, state, runner, version, tasks, attempts, values }, styleFor(process.stdout), Date.now()));
}

