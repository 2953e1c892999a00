// The scheduler's rules against a real SQLite store and a fake clock: when
// time triggers record run requests, that fire keys make two daemons' looks
// one request, pauses, periodic catch-up, and the file arrival decision.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideArrival, lookAtFileArrival, type ArrivalState } from '../engine/schedule/file-arrival.js';
import { TimeTriggers } from '../engine/schedule/time-triggers.js';
import { lookAtUpstream } from '../engine/schedule/upstream-triggers.js';
import type { Pipeline } from '../engine/spec/model.js';
import { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { openStateDatabase } from '../engine/state/database.js';
import { ScheduleStore } from '../engine/state/schedule-store.js';
import { builtinTaskTypes } from '../tasks/index.js';
import { sleep, tempFolder } from './run-helpers.js';

const loader = new PipelineLoader(builtinTaskTypes);
const pipeline = (yaml: string): Pipeline => {
  const loaded = loader.loadText('p.yaml', `${yaml}tasks: [{ task_key: t, command: ["true"] }]\n`);
  if (!loaded.pipeline) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
  return loaded.pipeline;
};
const freshStore = () => new ScheduleStore(openStateDatabase(join(tempFolder('rules'), 'state.db')));
const at = (text: string) => new Date(text);
const requests = (store: ScheduleStore) => store.queued().map((r) => `${r.trigger_type} ${new Date(r.trigger_time_ms).toISOString()}`);

describe('time triggers', () => {
  const hourly = pipeline('name: hourly\nschedule: { cron: "0 * * * *", catchup: all }\n');

  it('start counting when a schedule is first seen, then record each fire time as it comes', () => {
    const store = freshStore();
    const triggers = new TimeTriggers(store);
    expect(triggers.look(hourly, false, at('2026-05-01T10:30:00Z'))).toEqual({ enqueued: [], nextWake: at('2026-05-01T11:00:00Z') });
    triggers.look(hourly, false, at('2026-05-01T11:00:00.005Z'));
    expect(requests(store)).toEqual(['schedule 2026-05-01T11:00:00.000Z']);
  });

  it('catch up every fire time missed while no daemon looked (catchup: all), each once, however many daemons look', () => {
    const store = freshStore();
    new TimeTriggers(store).look(hourly, false, at('2026-05-01T10:30:00Z'));
    const later = at('2026-05-01T13:00:10Z');
    const first = new TimeTriggers(store).look(hourly, false, later);
    const second = new TimeTriggers(store).look(hourly, false, later);
    expect(first.enqueued).toHaveLength(3);
    expect(second.enqueued).toEqual([]);
    expect(requests(store)).toEqual(['schedule 2026-05-01T11:00:00.000Z', 'schedule 2026-05-01T12:00:00.000Z', 'schedule 2026-05-01T13:00:00.000Z']);
  });

  it('after downtime, a schedule every few seconds with catchup: latest records one request, then goes on each fire', () => {
    const store = freshStore();
    const frequent = pipeline('name: frequent\nschedule: { cron: "*/5 * * * * *", catchup: latest }\n');
    const triggers = new TimeTriggers(store);
    triggers.look(frequent, false, at('2026-05-01T10:00:00.100Z'));
    const back = triggers.look(frequent, false, at('2026-05-01T10:30:02Z'));
    expect(back.enqueued).toEqual([{ triggerType: 'schedule', time: at('2026-05-01T10:30:00Z') }]);
    expect(back.skippedFrom).toEqual(at('2026-05-01T10:00:05Z'));
    triggers.look(frequent, false, at('2026-05-01T10:30:05.010Z'));
    expect(requests(store)).toEqual(['schedule 2026-05-01T10:30:00.000Z', 'schedule 2026-05-01T10:30:05.000Z']);
  });

  it('two looks at the same moment record one request: the fire key is unique', () => {
    const store = freshStore();
    store.advanceCursor('hourly', 'schedule', at('2026-05-01T10:30:00Z').getTime());
    // Both read the cursor before either writes: the unique key still keeps one request.
    const time = at('2026-05-01T11:00:00Z').getTime();
    const request = { pipeline: 'hourly', fireKey: 'schedule:2026-05-01T11:00:00.000Z', triggerType: 'schedule', triggerTimeMs: time, nowMs: time };
    expect([store.enqueue(request), store.enqueue(request)]).toEqual([true, false]);
    expect(store.queued()).toHaveLength(1);
  });

  it('do not catch up fire times that passed while the pipeline was paused', () => {
    const store = freshStore();
    const triggers = new TimeTriggers(store);
    triggers.look(hourly, false, at('2026-05-01T10:30:00Z'));
    triggers.look(hourly, true, at('2026-05-01T12:30:00Z'));
    triggers.look(hourly, false, at('2026-05-01T12:31:00Z'));
    expect(requests(store)).toEqual([]);
  });

  it('start a periodic run one interval after the last, and one run for the latest interval after downtime', () => {
    const store = freshStore();
    const periodic = pipeline('name: every\ntrigger: { periodic: { interval: 10, unit: minutes } }\n');
    const triggers = new TimeTriggers(store);
    expect(triggers.look(periodic, false, at('2026-05-01T10:00:00Z')).nextWake).toEqual(at('2026-05-01T10:10:00Z'));
    triggers.look(periodic, false, at('2026-05-01T10:10:00Z'));
    triggers.look(periodic, false, at('2026-05-01T11:05:00Z'));
    expect(requests(store)).toEqual(['periodic 2026-05-01T10:10:00.000Z', 'periodic 2026-05-01T11:00:00.000Z']);
  });
  it('start no periodic run while paused, and no burst or catch-up when unpaused', () => {
    const store = freshStore();
    const periodic = pipeline('name: every\ntrigger: { periodic: { interval: 10, unit: minutes } }\n');
    const triggers = new TimeTriggers(store);
    triggers.look(periodic, false, at('2026-05-01T10:00:00Z'));
    for (const time of ['2026-05-01T10:10:00Z', '2026-05-01T10:20:00Z', '2026-05-01T11:05:00Z']) {
      expect(triggers.look(periodic, true, at(time)).enqueued).toEqual([]);
    }
    // The intervals kept their phase: unpaused at 11:06, the next run is at 11:10.
    expect(triggers.look(periodic, false, at('2026-05-01T11:06:00Z'))).toEqual({ enqueued: [], nextWake: at('2026-05-01T11:10:00Z') });
    triggers.look(periodic, false, at('2026-05-01T11:10:00Z'));
    expect(requests(store)).toEqual(['periodic 2026-05-01T11:10:00.000Z']);
  });
});

describe('upstream triggers', () => {
  it('start one run per successful upstream run that ended after the trigger was first seen', () => {
    const store = freshStore();
    const after = pipeline('name: after\ntrigger: { on_success_of: [before] }\n');
    const db = store.db;
    db.prepare(`INSERT INTO pipeline_versions (id, name, file, source_hash, yaml, first_seen_ms) VALUES (1, 'before', 'b.yaml', 'h', 'y', 0)`).run();
    const addRun = (state: string, endMs: number) => db.prepare(`INSERT INTO runs (pipeline, pipeline_version_id, trigger_type, trigger_time_ms,
      parameters_json, state, concurrency, created_ms, end_ms, run_dir) VALUES ('before', 1, 'manual', 0, '{}', ?, 1, 0, ?, 'r')`).run(state, endMs);
    addRun('SUCCESS', 500);
    expect(lookAtUpstream(store, after, 1000)).toEqual([]);
    addRun('SUCCESS', 1500);
    addRun('FAILED', 1600);
    addRun('SUCCESS_WITH_FAILURES', 1700);
    expect(lookAtUpstream(store, after, 2000)).toEqual([{ triggerType: 'upstream', upstreamRunId: 2 }, { triggerType: 'upstream', upstreamRunId: 4 }]);
    expect(lookAtUpstream(store, after, 3000)).toEqual([]);
  });

  it('pass over upstream runs that end while the pipeline is paused', () => {
    const store = freshStore();
    const after = pipeline('name: after\ntrigger: { on_success_of: [before] }\n');
    const db = store.db;
    db.prepare(`INSERT INTO pipeline_versions (id, name, file, source_hash, yaml, first_seen_ms) VALUES (1, 'before', 'b.yaml', 'h', 'y', 0)`).run();
    const addRun = (endMs: number) => db.prepare(`INSERT INTO runs (pipeline, pipeline_version_id, trigger_type, trigger_time_ms,
      parameters_json, state, concurrency, created_ms, end_ms, run_dir) VALUES ('before', 1, 'manual', 0, '{}', 'SUCCESS', 1, 0, ?, 'r')`).run(endMs).lastInsertRowid;
    lookAtUpstream(store, after, 1000);
    addRun(1500);
    addRun(1600);
    expect(lookAtUpstream(store, after, 2000, true)).toEqual([]);
    expect(lookAtUpstream(store, after, 3000)).toEqual([]);
    const later = Number(addRun(3500));
    expect(lookAtUpstream(store, after, 4000)).toEqual([{ triggerType: 'upstream', upstreamRunId: later }]);
    expect(store.queued().map((r) => r.fire_key)).toEqual([`upstream:${later}`]);
  });

  it('start a drift run when a task of an upstream run wrote drift_detected=true', () => {
    const store = freshStore();
    const retrain = pipeline('name: retrain\ntrigger: { on_drift_of: [monitor] }\n');
    const db = store.db;
    db.prepare(`INSERT INTO pipeline_versions (id, name, file, source_hash, yaml, first_seen_ms) VALUES (1, 'monitor', 'm.yaml', 'h', 'y', 0)`).run();
    expect(lookAtUpstream(store, retrain, 1000)).toEqual([]);
    for (const [id, drift] of [[1, 'false'], [2, 'TRUE']] as const) {
      db.prepare(`INSERT INTO runs (id, pipeline, pipeline_version_id, trigger_type, trigger_time_ms, parameters_json, state, concurrency,
        created_ms, end_ms, run_dir) VALUES (?, 'monitor', 1, 'schedule', 0, '{}', 'SUCCESS', 1, 0, 1500, 'r')`).run(id);
      db.prepare(`INSERT INTO task_runs (run_id, task_key, state) VALUES (?, 'check', 'SUCCESS')`).run(id);
      db.prepare(`INSERT INTO task_values (run_id, task_key, name, value) VALUES (?, 'check', 'drift_detected', ?)`).run(id, drift);
    }
    expect(lookAtUpstream(store, retrain, 2000)).toEqual([{ triggerType: 'drift', upstreamRunId: 2 }]);
    expect(store.queued().map((r) => [r.trigger_type, r.fire_key])).toEqual([['drift', 'drift:2']]);
  });
});

describe('file arrival', () => {
  const spec = { path: 'in', minTimeBetweenTriggersSeconds: 60, waitAfterLastChangeSeconds: 5 };

  it('waits until the path has been quiet long enough, then fires once for that change', () => {
    let state = { handledChange: 100 };
    let look = decideArrival(spec, state, 200, 10_000);
    expect(look.fire).toBe(false);
    look = decideArrival(spec, look.state, 300, 12_000); // still being written
    look = decideArrival(spec, look.state, 300, 16_000);
    expect(look.fire).toBe(false);
    look = decideArrival(spec, look.state, 300, 17_000);
    expect(look.fire).toBe(true);
    state = look.state;
    expect(decideArrival(spec, state, 300, 30_000).fire).toBe(false);
  });

  it('takes files that arrive while paused as handled: unpausing starts no run for them, a later file does', async () => {
    const store = freshStore();
    const folder = tempFolder('arrival-pause');
    mkdirSync(join(folder, 'in'));
    const load = pipeline('name: load\ntrigger: { file_arrival: { path: in } }\n');
    const watched = { ...load, baseDir: folder };
    const states = new Map<string, ArrivalState>();
    expect(lookAtFileArrival(store, watched, states, 1_000)).toBe(false);
    await sleep(20); // a change time after the first look's
    writeFileSync(join(folder, 'in', 'during-pause.csv'), 'a\n');
    expect(lookAtFileArrival(store, watched, states, 2_000, true)).toBe(false);
    expect(lookAtFileArrival(store, watched, states, 3_000)).toBe(false);
    // A daemon started after the pause (no state in memory) agrees: the cursor moved.
    expect(lookAtFileArrival(store, watched, new Map(), 3_000)).toBe(false);
    await sleep(20);
    writeFileSync(join(folder, 'in', 'after-pause.csv'), 'b\n');
    expect(lookAtFileArrival(store, watched, states, 4_000)).toBe(true);
    expect(store.queued().map((r) => r.trigger_type)).toEqual(['file_arrival']);
  });

  it('keeps min_time_between_triggers_seconds between two runs', () => {
    const fired = decideArrival({ ...spec, waitAfterLastChangeSeconds: 0 }, { handledChange: 0 }, 10, 1_000);
    expect(fired.fire).toBe(true);
    const tooSoon = decideArrival({ ...spec, waitAfterLastChangeSeconds: 0 }, fired.state, 20, 30_000);
    expect(tooSoon.fire).toBe(false);
    expect(decideArrival({ ...spec, waitAfterLastChangeSeconds: 0 }, tooSoon.state, 20, 61_000).fire).toBe(true);
  });
});
