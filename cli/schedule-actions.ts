// What `sluice schedules`, `pause` and `unpause` do: what the daemon will do, and a
// pause kept in the state database that overrides the YAML's `paused`
// (the YAML lives in git; pausing during an incident should not need a commit).
import { existsSync } from 'node:fs';
import { UsageError } from '../engine/diagnostics.js';
import { isRunnerAlive } from '../engine/execute/run-recovery.js';
import { cronSchedule, nextFireTimes } from '../engine/schedule/cron-schedule.js';
import type { ScheduleStore } from '../engine/state/schedule-store.js';
import { locateState } from '../engine/state/state-home.js';
import { formatTimeArgument } from '../engine/template/render.js';
import { didYouMean } from '../engine/suggest.js';
import { createLoader } from './pipeline-loader.js';
import { formatTable, header, INTERRUPTED, stateCell, type Cell } from './run-format.js';
import { folderPipelines, servedNote, type FolderPipeline } from './served-pipelines.js';
import { nudgeDaemons, openScheduleState } from './schedule-state.js';
import { styleFor } from './terminal-style.js';

export interface ListOptions {
  pipelines: string;
  state?: string;
  json?: boolean;
}

interface ScheduleView {
  pipeline: string;
  file: string;
  cron: string | null;
  timezone: string;
  next_fire_times: string[];
  triggers: string[];
  paused: boolean;
  paused_by: 'yaml' | 'sluice pause' | null;
  last_run: { id: number; state: string; trigger_type: string; trigger_time: string } | null;
  /** What a daemon schedules: the file, or for a file with errors its last valid version (or nothing, when none is known). */
  served: 'file' | 'last valid version' | 'none';
  /** A file with errors: its first error, located. */
  file_error: string | null;
}

export async function listSchedules(options: ListOptions): Promise<void> {
  // Listing never creates a state database: without one, nothing has run or been paused.
  const state = existsSync(locateState(options).databaseFile) ? openScheduleState(options) : undefined;
  try {
    const served = folderPipelines(await createLoader(), options.pipelines, state?.schedules)
      .filter((item) => item.scheduled);
    const pauses = state?.schedules.pauses() ?? new Map<string, boolean>();
    const views = served.sort((a, b) => a.name.localeCompare(b.name)).map((item) => viewOf(item, pauses, state?.schedules));
    if (options.json) {
      process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
      return;
    }
    if (views.length === 0) {
      process.stdout.write(`no pipeline in ${options.pipelines} has a schedule or trigger\n`);
      return;
    }
    const style = styleFor(process.stdout);
    const rows: Cell[][] = [header(style, 'PIPELINE', 'WHEN', 'NEXT FIRE TIMES', 'LAST RUN', 'STATE')];
    for (const view of views) {
      const when = [view.cron ? `${view.cron} (${view.timezone})` : '', ...view.triggers].filter(Boolean).join('; ');
      const last = view.last_run ? stateCell(view.last_run.state, style) : { text: '-' };
      const broken = view.file_error ? `${view.served === 'last valid version' ? 'invalid file: last valid version served' : 'invalid file: not served'}; ` : '';
      rows.push([
        { text: view.pipeline, paint: style.bold }, { text: when || '-' },
        { text: view.next_fire_times.join(', ') || '-' },
        { text: view.last_run ? `${view.last_run.id} (${view.last_run.trigger_type})` : '-' },
        view.paused ? { text: `${broken}paused (${view.paused_by})`, paint: style.yellow }
          : broken ? { text: `${broken}${view.last_run ? `last ${last.text}` : 'no run yet'}`, paint: style.red } : last,
      ]);
    }
    const errors = views.filter((view) => view.file_error).map((view) => `${view.pipeline}: ${view.file_error}`);
    process.stdout.write(`${formatTable(rows).join('\n')}\n${errors.length ? `\n${errors.join('\n')}\n` : ''}`);
  } finally {
    state?.close();
  }
}

function viewOf(item: FolderPipeline, pauses: Map<string, boolean>, store: ScheduleStore | undefined): ScheduleView {
  const pipeline = item.pipeline;
  const name = item.name;
  const override = pauses.get(name);
  const yamlPaused = pipeline?.schedule?.paused ?? false;
  const paused = override ?? yamlPaused;
  const zone = pipeline?.schedule?.timezone ?? 'UTC';
  const next = pipeline?.schedule ? nextFireTimes(cronSchedule(pipeline.schedule.cron, zone), new Date(), 3) : [];
  const last = store?.latestRun(name);
  const trigger = pipeline?.trigger;
  const triggers = [
    ...(trigger?.onSuccessOf.length ? [`on success of ${trigger.onSuccessOf.join(', ')}`] : []),
    ...(trigger?.onDriftOf.length ? [`on drift of ${trigger.onDriftOf.join(', ')}`] : []),
    ...(trigger?.fileArrival ? [`files in ${trigger.fileArrival.path}`] : []),
    ...(trigger?.periodic ? [`every ${trigger.periodic.interval} ${trigger.periodic.unit}`] : []),
  ];
  return {
    pipeline: name, file: item.file, cron: pipeline?.schedule?.cron ?? null, timezone: zone,
    next_fire_times: next.map((time) => formatTimeArgument(time, 'iso_datetime', zone)), triggers,
    paused, paused_by: !paused ? null : override === true ? 'sluice pause' : 'yaml',
    last_run: last ? {
      id: last.id, state: last.state === 'RUNNING' && !isRunnerAlive(last) ? INTERRUPTED : last.state, trigger_type: last.trigger_type,
      trigger_time: formatTimeArgument(new Date(last.trigger_time_ms), 'iso_datetime', zone),
    } : null,
    served: !item.broken ? 'file' : item.broken.lastValid ? 'last valid version' : 'none',
    file_error: item.broken?.firstError ?? null,
  };
}

export async function setPaused(name: string, paused: boolean, options: ListOptions): Promise<void> {
  const state = openScheduleState(options);
  try {
    const known = folderPipelines(await createLoader(), options.pipelines, state.schedules);
    const item = known.find((candidate) => candidate.name === name);
    if (!item) {
      const names = known.map((candidate) => candidate.name);
      throw new UsageError(`no pipeline named '${name}' in ${options.pipelines}${didYouMean(name, names) || (names.length ? ` (there: ${names.sort().join(', ')})` : '')}`);
    }
    state.schedules.setPaused(name, paused, Date.now());
    const daemons = nudgeDaemons(state.schedules);
    const effect = paused ? 'its schedule and triggers start no runs until `sluice unpause`; manual triggers still run'
      : 'its schedule and triggers start runs again; what happened while paused (fire times, upstream runs, new files) starts no run';
    process.stdout.write(`${paused ? 'paused' : 'unpaused'} '${name}': ${effect}${daemons.length === 0 ? ' (no sluice serve is running now)' : ''}\n`);
    if (item.broken) process.stdout.write(`note: ${servedNote(name, item.broken)}\n`);
  } finally {
    state.close();
  }
}
