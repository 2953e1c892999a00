// on_success_of and on_drift_of: a run of the pipeline for each finished run
// of an upstream pipeline that succeeded (or reported drift). The fire key is
// the upstream run's id, so each upstream run starts at most one run.
import type { Pipeline } from '../spec/model.js';
import type { ScheduleStore } from '../state/schedule-store.js';

/** A task reports drift by writing this value as `true` (the monitor task does). */
export const DRIFT_VALUE = 'drift_detected';

/**
 * Records a request per upstream run that ended since the last look. While
 * `paused`, those runs are passed over: unpausing does not start runs for them.
 */
export function lookAtUpstream(store: ScheduleStore, pipeline: Pipeline, nowMs: number, paused = false): { triggerType: 'upstream' | 'drift'; upstreamRunId: number }[] {
  const trigger = pipeline.trigger;
  if (!trigger || (trigger.onSuccessOf.length === 0 && trigger.onDriftOf.length === 0)) return [];
  const since = store.cursor(pipeline.name, 'upstream');
  // Upstream runs that ended before this trigger existed do not start runs.
  if (since === undefined) {
    store.advanceCursor(pipeline.name, 'upstream', nowMs);
    return [];
  }
  const started: { triggerType: 'upstream' | 'drift'; upstreamRunId: number }[] = [];
  let watermark = since;
  for (const run of store.endedRuns([...new Set([...trigger.onSuccessOf, ...trigger.onDriftOf])], since)) {
    watermark = Math.max(watermark, run.end_ms);
    if (paused) continue;
    const succeeded = run.state === 'SUCCESS' || run.state === 'SUCCESS_WITH_FAILURES';
    if (succeeded && trigger.onSuccessOf.includes(run.pipeline)) {
      if (store.enqueue({ pipeline: pipeline.name, fireKey: `upstream:${run.id}`, triggerType: 'upstream', triggerTimeMs: run.end_ms, nowMs })) {
        started.push({ triggerType: 'upstream', upstreamRunId: run.id });
      }
    }
    if (run.drift && trigger.onDriftOf.includes(run.pipeline)) {
      if (store.enqueue({ pipeline: pipeline.name, fireKey: `drift:${run.id}`, triggerType: 'drift', triggerTimeMs: run.end_ms, nowMs })) {
        started.push({ triggerType: 'drift', upstreamRunId: run.id });
      }
    }
  }
  // Runs ending in the same millisecond as the watermark are read again next time; their fire keys keep them single.
  // Passed over while paused, they must not be read again once unpaused.
  if (paused && watermark > since) store.advanceCursor(pipeline.name, 'upstream', watermark + 1);
  else if (watermark > since) store.advanceCursor(pipeline.name, 'upstream', watermark);
  return started;
}
