// `sluice ui`: composes the terminal UI with the state database (read-only),
// the CLI's pipeline loader and a way to start sluice commands detached.
// Ink and React load here only, through import(), so that they are a chunk
// of their own that `sluice validate` and `sluice run` never read.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../engine/diagnostics.js';
import { readTaskDependencies, type TaskDependencies } from '../engine/spec/stored-dependencies.js';
import type { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { findPipelineFiles } from '../engine/spec/pipeline-set.js';
import { openStateReadOnly, RunQueries } from '../engine/state/run-queries.js';
import { RunStore } from '../engine/state/run-store.js';
import { locateState } from '../engine/state/state-home.js';
import type { PipelineEntry, UiServices } from '../ui-tui/services.js';
import { DetachedCli } from '../ui-tui/actions.js';
import { runnerStatus } from './inspect-commands.js';
import { internalErrorMessage, INTERNAL_ERROR_EXIT } from './internal-error.js';
import { createLoader } from './pipeline-loader.js';

/** Often enough that a change shows within a second, rarely enough to cost nothing. */
const POLL_MS = 250;

interface UiOptions {
  state?: string;
  pipelines: string;
}

export function registerUiCommand(program: Command): void {
  program.command('ui')
    .description('Watch and steer runs in a full-screen terminal UI: runs, tasks, logs, schedules; repair, cancel, trigger.')
    .option('--state <file>', 'the state database (default: $SLUICE_HOME/state.db, else the nearest .sluice/state.db)')
    .option('--pipelines <folder>', 'the pipelines the schedules view lists and can run', 'pipelines')
    .addHelpText('after', '\nKeys: arrows or j/k move, enter opens, esc goes back, tab changes view, ? shows all keys, q quits.\n' +
      'The UI only reads the state database; its actions start `sluice repair`, `cancel` or `run` in the background.')
    .action(async (options: UiOptions) => {
      await openUi(options);
    });
}

async function openUi(options: UiOptions): Promise<void> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UsageError('sluice ui needs a terminal; in scripts and pipes use `sluice runs`, `sluice show` and `sluice logs`');
  }
  const location = locateState({ state: options.state });
  let db;
  try {
    db = openStateReadOnly(location.databaseFile);
  } catch (error) {
    // Nothing to show is the user's situation, not a usage mistake: exit status 1.
    if (error instanceof UsageError) throw new UsageError(error.message, 1);
    throw error;
  }
  const store = new RunStore(db);
  const loader = await createLoader();
  const folder = resolve(options.pipelines);
  const services: UiServices = {
    queries: new RunQueries(db),
    store,
    runnerStatus: (run) => runnerStatus(store, run),
    pipelines: () => listPipelines(loader, folder),
    dependenciesOf: storedDependencies(store),
    actions: new DetachedCli({ executable: process.execPath, args: [process.argv[1]!] }, location.databaseFile,
      mkdtempSync(join(tmpdir(), 'sluice-ui-')), folder),
    pollMs: POLL_MS,
    now: Date.now,
  };
  // Ink decides when it loads whether it runs under CI, and then draws nothing
  // until it exits. The UI runs only on a terminal, where it has to draw.
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  const { startUi } = await import('../ui-tui/start-ui.js');
  try {
    await startUi(services, {
      onCrash: (error) => {
        process.stderr.write(internalErrorMessage(error));
        process.exit(INTERNAL_ERROR_EXIT);
      },
    });
  } finally {
    db.close();
  }
}

function listPipelines(loader: PipelineLoader, folder: string): PipelineEntry[] {
  return findPipelineFiles([folder]).map((file) => {
    const loaded = loader.loadFile(file);
    if (loaded.pipeline) return { file, name: loaded.pipeline.name, schedule: loaded.pipeline.schedule };
    const first = loaded.diagnostics.find((d) => d.severity === 'error');
    return { file, name: basename(file).replace(/\.ya?ml$/, ''), problem: first ? `${first.line}:${first.col}: ${first.message}` : 'does not validate' };
  });
}

/** The task dependencies of each run's pipeline, read from the YAML stored with it, once per version. */
function storedDependencies(store: RunStore): (versionId: number) => TaskDependencies | undefined {
  const parsed = new Map<number, TaskDependencies | undefined>();
  return (versionId) => {
    if (!parsed.has(versionId)) {
      const version = store.pipelineVersion(versionId);
      parsed.set(versionId, version ? readTaskDependencies(version.yaml) : undefined);
    }
    return parsed.get(versionId);
  };
}
