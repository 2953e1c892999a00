// The file_arrival trigger: a run when files under a path appear or change,
// once the path has been quiet for wait_after_last_change_seconds and at
// least min_time_between_triggers_seconds after the previous such run
// (Databricks' file arrival trigger). The path is polled: inotify misses
// changes on network file systems, and a stat per look is cheap.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Pipeline, TriggerSpec } from '../spec/model.js';
import type { ScheduleStore } from '../state/schedule-store.js';

type FileArrival = NonNullable<TriggerSpec['fileArrival']>;

/** The newest change time (mtime or ctime) of the path and what is directly inside it; 0 when it does not exist. */
export function newestChange(path: string): number {
  let newest = 0;
  const consider = (file: string) => {
    try {
      const stat = statSync(file);
      newest = Math.max(newest, stat.mtimeMs, stat.ctimeMs);
      return stat;
    } catch {
      return undefined;
    }
  };
  const stat = consider(path);
  if (stat?.isDirectory()) {
    try {
      for (const name of readdirSync(path)) if (!name.startsWith('.')) consider(join(path, name));
    } catch {
      // Unreadable folder: its own change time still counts.
    }
  }
  return Math.floor(newest);
}

export interface ArrivalState {
  /** The newest change already turned into a run (a cursor in the database). */
  handledChange: number;
  /** When this trigger last started a run (ms), for min_time_between_triggers_seconds. */
  lastTriggerMs?: number;
  /** The newest change seen, and when it was first seen; the path is quiet once it stops moving. */
  seenChange?: number;
  seenAtMs?: number;
}

/**
 * One look at the path: whether to start a run now, and the state after the
 * look. Pure, given the newest change time and the clock.
 */
export function decideArrival(spec: FileArrival, state: ArrivalState, newest: number, nowMs: number): { fire: boolean; state: ArrivalState } {
  if (newest <= state.handledChange) return { fire: false, state: { ...state, seenChange: undefined, seenAtMs: undefined } };
  const moved = newest !== state.seenChange;
  const seen = moved ? { seenChange: newest, seenAtMs: nowMs } : { seenChange: state.seenChange, seenAtMs: state.seenAtMs };
  const quietFor = nowMs - seen.seenAtMs!;
  const quiet = quietFor >= spec.waitAfterLastChangeSeconds * 1000 && !(moved && spec.waitAfterLastChangeSeconds > 0);
  const rested = state.lastTriggerMs === undefined || nowMs - state.lastTriggerMs >= spec.minTimeBetweenTriggersSeconds * 1000;
  if (quiet && rested) return { fire: true, state: { handledChange: newest, lastTriggerMs: nowMs } };
  return { fire: false, state: { ...state, ...seen } };
}

export function arrivalPath(spec: FileArrival, baseDir: string): string {
  return resolve(baseDir, spec.path);
}

/**
 * Looks at a pipeline's file_arrival path and records a run request when the
 * decision says so. While `paused`, changes are taken as handled: files that
 * arrive during a pause do not start a run when it ends.
 */
export function lookAtFileArrival(store: ScheduleStore, pipeline: Pipeline, states: Map<string, ArrivalState>, nowMs: number, paused = false): boolean {
  const spec = pipeline.trigger?.fileArrival;
  if (!spec) return false;
  const newest = newestChange(arrivalPath(spec, pipeline.baseDir));
  let state = states.get(pipeline.name);
  if (!state) {
    const handled = store.cursor(pipeline.name, 'file_arrival');
    // Files already there when the trigger is first seen do not start a run.
    if (handled === undefined) store.advanceCursor(pipeline.name, 'file_arrival', newest);
    state = { handledChange: handled ?? newest, lastTriggerMs: store.cursor(pipeline.name, 'file_arrival_fired') };
  }
  if (paused) {
    if (newest > state.handledChange) store.advanceCursor(pipeline.name, 'file_arrival', newest);
    states.set(pipeline.name, { handledChange: Math.max(newest, state.handledChange), lastTriggerMs: state.lastTriggerMs });
    return false;
  }
  const decision = decideArrival(spec, state, newest, nowMs);
  states.set(pipeline.name, decision.state);
  if (!decision.fire) return false;
  store.enqueue({ pipeline: pipeline.name, fireKey: `file_arrival:${newest}`, triggerType: 'file_arrival', triggerTimeMs: nowMs, nowMs });
  store.advanceCursor(pipeline.name, 'file_arrival', newest);
  store.advanceCursor(pipeline.name, 'file_arrival_fired', nowMs);
  return true;
}
