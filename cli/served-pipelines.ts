// The pipelines of a folder as `sluice serve` schedules them, for the
// commands that name them (`schedules`, `pause`, `trigger`). A file that
// does not validate now is still a pipeline a daemon may serve: its last
// valid version stays scheduled. The state database's stored versions tell
// which one, and the name of a file too broken to read.
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { isError } from '../engine/diagnostics.js';
import { isProcessAlive } from '../engine/execute/process-control.js';
import type { Pipeline } from '../engine/spec/model.js';
import type { LoadedPipeline, PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { findPipelineFiles, loadPipelineSet } from '../engine/spec/pipeline-set.js';
import type { PipelineVersionRow } from '../engine/state/run-store.js';
import type { ScheduleStore } from '../engine/state/schedule-store.js';
import { locateState } from '../engine/state/state-home.js';
import { openScheduleState, servingDaemons } from './schedule-state.js';

export interface BrokenFile {
  /** The first error, located: `pipelines/tick.yaml:4:5: unknown key 'comand' …`. */
  firstError: string;
  /** The newest stored version of the pipeline: what a daemon that loaded it before keeps serving. */
  lastValid?: PipelineVersionRow;
}

export interface FolderPipeline {
  name: string;
  file: string;
  /** The file's pipeline; for a broken file, its last valid version when one is stored and still reads. */
  pipeline?: Pipeline;
  /** It has a schedule or a trigger (for a broken file without a readable last version: its YAML says so). */
  scheduled: boolean;
  broken?: BrokenFile;
}

/** Every pipeline of the folder by name, broken files included when their name is known. */
export function folderPipelines(loader: PipelineLoader, folder: string, store: ScheduleStore | undefined): FolderPipeline[] {
  const loaded = loadPipelineSet(loader, findPipelineFiles([folder]));
  const found: FolderPipeline[] = loaded.flatMap((item) => (item.pipeline
    ? [{ name: item.pipeline.name, file: item.file, pipeline: item.pipeline, scheduled: isScheduled(item.pipeline) }] : []));
  const validNames = new Set(found.map((item) => item.name));
  const filesOfNames = store?.versionFiles() ?? [];
  for (const item of loaded) {
    if (item.pipeline) continue;
    const name = nameInFile(item) ?? filesOfNames.find((stored) => resolve(stored.file) === resolve(item.file))?.name;
    // A second file with a valid pipeline's name is a mistake of its own, not another pipeline.
    if (name === undefined || validNames.has(name)) continue;
    const lastValid = store?.latestVersion(name);
    const pipeline = lastValid ? loader.loadText(lastValid.file, lastValid.yaml).pipeline : undefined;
    const raw = item.value as { schedule?: unknown; trigger?: unknown } | undefined;
    const scheduled = pipeline ? isScheduled(pipeline) : raw?.schedule != null || raw?.trigger != null;
    found.push({ name, file: item.file, pipeline, scheduled, broken: { firstError: firstError(item), lastValid } });
  }
  return found;
}

function isScheduled(pipeline: Pipeline): boolean {
  return pipeline.schedule !== undefined || pipeline.trigger !== undefined;
}

/** The name a file gives itself, read even when the file has errors. */
export function nameInFile(loaded: LoadedPipeline): string | undefined {
  const name = (loaded.value as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

export function firstError(loaded: LoadedPipeline): string {
  const first = loaded.diagnostics.find(isError);
  const file = relative(process.cwd(), resolve(loaded.file)) || loaded.file;
  return first ? `${file}:${first.line}:${first.col}: ${first.message}` : `${file}: not a valid pipeline`;
}

/** One sentence on what a daemon does with a broken file's pipeline. */
export function servedNote(name: string, broken: BrokenFile): string {
  return broken.lastValid
    ? `its file does not validate (${broken.firstError}); sluice serve keeps serving the last valid version of '${name}' (yaml ${broken.lastValid.source_hash.slice(0, 12)})`
    : `its file does not validate (${broken.firstError}); sluice serve schedules it once the file is fixed, unless a running daemon loaded it before`;
}

/**
 * For `sluice trigger` or `backfill` of a file with errors: a running daemon
 * still serves the pipeline's last valid version on its schedule and
 * triggers, while a request made by hand takes the file as it is now.
 */
export function explainBrokenRequest(loader: PipelineLoader, options: { state?: string }, command: 'trigger' | 'backfill'): (file: string) => string | undefined {
  return (file) => {
    if (!existsSync(locateState(options).databaseFile)) return undefined;
    const state = openScheduleState(options);
    try {
      const live = state.schedules.liveDaemons().filter((daemon) => isProcessAlive(daemon.pid, daemon.process_started));
      const daemons = servingDaemons(live, file);
      if (daemons.length === 0) return undefined;
      const name = nameInFile(loader.loadFile(file)) ?? state.schedules.versionFiles().find((stored) => resolve(stored.file) === resolve(file))?.name;
      const version = name === undefined ? undefined : state.schedules.latestVersion(name);
      const served = version ? `the last valid version of '${name}' (yaml ${version.source_hash.slice(0, 12)})` : 'the last valid version it loaded, if any';
      return `sluice serve (process ${daemons.map((daemon) => daemon.pid).join(', ')}) keeps serving ${served} on its schedule and triggers; ` +
        `\`sluice ${command}\` takes the file as it is now: fix it, then ${command} again`;
    } finally {
      state.close();
    }
  };
}
