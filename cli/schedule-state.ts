// What the scheduling commands share: the state database with its run and
// schedule stores, finding a pipeline by name in the served folder, and
// telling running daemons to look at once (SIGUSR2) instead of at their next poll.
import { statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../engine/diagnostics.js';
import { LocalLauncher } from '../engine/execute/launcher.js';
import { isProcessAlive } from '../engine/execute/process-control.js';
import type { PipelineSource } from '../engine/execute/run-service.js';
import { Notifier } from '../engine/schedule/notifier.js';
import { RunMonitor } from '../engine/schedule/run-monitor.js';
import type { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { findPipelineFiles, loadPipelineSet } from '../engine/spec/pipeline-set.js';
import { openStateDatabase } from '../engine/state/database.js';
import { RunStore } from '../engine/state/run-store.js';
import { ScheduleStore, type DaemonRow } from '../engine/state/schedule-store.js';
import { locateState, type StateLocation } from '../engine/state/state-home.js';
import { didYouMean } from '../engine/suggest.js';
import { killGraceMillis, loadSource } from './run-commands.js';

/** The signal `sluice trigger`, `pause` and `unpause` send to daemons: look now. */
export const NUDGE_SIGNAL = 'SIGUSR2';

export interface ScheduleState {
  location: StateLocation;
  runs: RunStore;
  schedules: ScheduleStore;
  close(): void;
}

export function openScheduleState(options: { state?: string }): ScheduleState {
  const location = locateState({ state: options.state });
  const db = openStateDatabase(location.databaseFile);
  return { location, runs: new RunStore(db), schedules: new ScheduleStore(db), close: () => db.close() };
}

/** Notifications of the runs this process drives: webhooks, and commands whose output goes to notifications/ beside the state. */
export function createRunMonitor(location: StateLocation, log: (line: string) => void): { monitor: RunMonitor; notifier: Notifier } {
  const notifier = new Notifier({
    launcher: new LocalLauncher(), logDir: join(dirname(location.databaseFile), 'notifications'), log, killGraceMillis: killGraceMillis(),
  });
  return { monitor: new RunMonitor(notifier, log), notifier };
}

/**
 * A pipeline named on the command line: a YAML file, or the `name` of a
 * pipeline in the folder (validated with the folder, as `sluice serve` reads
 * it). For a file with errors, `explainInvalid` may add what else the user
 * should know (a daemon still serving its last valid version).
 */
export function findServedPipeline(loader: PipelineLoader, nameOrFile: string, folder: string, explainInvalid?: (file: string) => string | undefined): PipelineSource {
  const file = servedPipelineFile(loader, nameOrFile, folder);
  try {
    return loadSource(loader, file);
  } catch (error) {
    const explanation = error instanceof UsageError && error.exitCode === 1 ? explainInvalid?.(file) : undefined;
    throw explanation ? new UsageError(`${(error as Error).message}\n${explanation}`, 1) : error;
  }
}

function servedPipelineFile(loader: PipelineLoader, nameOrFile: string, folder: string): string {
  if (statSync(nameOrFile, { throwIfNoEntry: false })?.isFile()) return nameOrFile;
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`no pipeline file ${nameOrFile}, and no folder ${folder} to look for a pipeline of that name; pass --pipelines <folder>`);
  }
  const names: string[] = [];
  for (const loaded of loadPipelineSet(loader, findPipelineFiles([folder]))) {
    const name = loaded.pipeline?.name ?? (loaded.value as { name?: unknown } | undefined)?.name;
    if (name === nameOrFile) return loaded.file;
    if (typeof name === 'string') names.push(name);
  }
  throw new UsageError(`no pipeline named '${nameOrFile}' in ${relative(process.cwd(), resolve(folder)) || '.'}${didYouMean(nameOrFile, names) ||
    (names.length > 0 ? ` (there: ${names.sort().join(', ')})` : '')}`);
}

/** Daemons whose folder holds the pipeline's file: only they can start its runs. */
export function servingDaemons(daemons: DaemonRow[], file: string): DaemonRow[] {
  const path = resolve(file);
  return daemons.filter((daemon) => !relative(daemon.pipelines_dir, path).startsWith('..') && !isAbsolute(relative(daemon.pipelines_dir, path)));
}

/** Daemons whose process lives; each is told to look at once. */
export function nudgeDaemons(schedules: ScheduleStore): DaemonRow[] {
  const live = schedules.liveDaemons().filter((daemon) => isProcessAlive(daemon.pid, daemon.process_started));
  for (const daemon of live) {
    try {
      process.kill(daemon.pid, NUDGE_SIGNAL);
    } catch {
      // It exited a moment ago; its successor polls.
    }
  }
  return live;
}
