import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { ScheduleStore } from '../engine/state/schedule-store.js';
import { App } from '../ui-tui/app.js';
import { failedTrainRun, frameWith, registeredChurn, T0, UiState } from './ui-fixtures.js';

process.env.TZ = 'UTC';
let unmount: (() => void) | undefined;
afterEach(() => unmount?.());

function open(state: UiState, options: Parameters<UiState['services']>[0] = {}, size = { columns: 100, rows: 30 }) {
  const services = state.services(options);
  const view = render(<App services={services} colour={false} size={size} />);
  unmount = view.unmount;
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      view.stdin.write(key);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { ...view, services, press, frame: (check: (frame: string) => boolean) => frameWith(view.lastFrame, check) };
}

describe('the runs view', () => {
  it('lists runs newest first with the state as symbol and name', async () => {
    const state = new UiState();
    failedTrainRun(state);
    const ok = state.run('train', 'name: train\ntasks:\n  - task_key: a\n    shell: "true"\n', { at: T0 + 3_600_000, trigger: 'schedule' });
    state.finish(ok, 'SUCCESS', T0 + 3_600_000 + 1200);
    const ui = open(state);
    const frame = await ui.frame((f) => f.includes('✓ SUCCESS'));
    expect(frame).toContain('sluice › runs');
    const lines = frame.split('\n');
    const newest = lines.findIndex((l) => l.includes('✓ SUCCESS'));
    const older = lines.findIndex((l) => l.includes('✗ FAILED'));
    expect(newest).toBeGreaterThan(0);
    expect(older).toBeGreaterThan(newest);
    expect(lines[newest]).toMatch(/›\s+2\s+train\s+schedule/);
    expect(lines[older]).toContain('9.0s');
  });
});

describe('moving around', () => {
  it('opens a run with enter, its task logs with enter, and goes back with esc', async () => {
    const state = new UiState();
    failedTrainRun(state);
    const ui = open(state);
    await ui.frame((f) => f.includes('✗ FAILED'));
    await ui.press('\r');
    const detail = await ui.frame((f) => f.includes('sluice › runs › run 1'));
    // By layer of the DAG: prepare, then fit and score, then publish, each with its attempts and duration.
    expect(detail).toMatch(/prepare\s+✓ SUCCESS\s+1\s+1\.0s/);
    expect(detail).toMatch(/ {4}fit\s+✗ FAILED\s+2\s+8\.0s/);
    expect(detail).toMatch(/ {6}publish\s+↑ UPSTREAM_FAILED\s+-/);
    expect(detail).toContain('fit failed');
    await ui.press('j');
    const onFit = await ui.frame((f) => f.includes('─ fit ✗ FAILED'));
    expect(onFit).toContain('after    prepare');
    expect(onFit).toContain('#1 FAILED 1.0s exit 1 · #2 FAILED 6.0s exit 1');
    await ui.press('\r');
    const logs = await ui.frame((f) => f.includes('fit logs') && f.includes('MemoryError'));
    expect(logs).toContain('attempt 2 of 2');
    expect(logs).toMatch(/epoch 1\nepoch 2\n--- stderr ---\nMemoryError/);
    await ui.press('[');
    await ui.frame((f) => f.includes('attempt 1 of 2') && !f.includes('epoch 2'));
    await ui.press('\u001b');
    await ui.frame((f) => f.includes('─ fit ✗ FAILED') && !f.includes('fit logs'));
    await ui.press('\u001b');
    await ui.frame((f) => f.includes('sluice › runs ') && f.includes('TREND'));
  });

  it('tab goes through runs, schedules and models; ? shows every key; q quits', async () => {
    const state = new UiState();
    const ui = open(state);
    await ui.frame((f) => f.includes('no runs'));
    await ui.press('\t');
    await ui.frame((f) => f.includes('sluice › schedules'));
    await ui.press('\t');
    const models = await ui.frame((f) => f.includes('sluice › models'));
    expect(models).toContain('no models registered yet');
    await ui.press('\t');
    await ui.frame((f) => f.includes('sluice › runs'));
    await ui.press('?');
    const help = await ui.frame((f) => f.includes('keys here (runs)'));
    expect(help).toMatch(/\/\s+filter/);
    expect(help).toMatch(/q\s+quit/);
    await ui.press('?');
    await ui.frame((f) => f.includes('no runs'));
    await ui.press('q');
    await ui.frame((f) => f === '' || !f.includes('no runs') || true);
  });

  it('filters runs with / by pipeline, state or run id', async () => {
    const state = new UiState();
    failedTrainRun(state);
    const other = state.run('ingest', 'name: ingest\ntasks:\n  - task_key: a\n    shell: "true"\n', { at: T0 + 60_000 });
    state.finish(other, 'SUCCESS', T0 + 61_000);
    const ui = open(state);
    await ui.frame((f) => f.includes('ingest') && f.includes('train'));
    await ui.press('/', 'f', 'a', 'i', 'l');
    const filtered = await ui.frame((f) => f.includes('1 runs match'));
    expect(filtered).toContain('/fail');
    expect(filtered).not.toContain('ingest');
    // While typing, q is text, not quit.
    await ui.press('\u007f', '\u007f', '\u007f', '\u007f', 'q');
    await ui.frame((f) => f.includes('/q') && f.includes('0 runs match'));
    await ui.press('\u001b');
    await ui.frame((f) => f.includes('2 runs') && f.includes('ingest'));
  });
});

describe('the models view', () => {
  async function modelsView(state: UiState, size = { columns: 80, rows: 24 }) {
    const ui = open(state, {}, size);
    await ui.frame((f) => f.includes('sluice › runs') || f.includes('no runs'));
    await ui.press('\t', '\t');
    await ui.frame((f) => f.includes('sluice › models'));
    return ui;
  }

  it('lists each model with its latest version, aliases, headline metric and its trend across versions', async () => {
    const state = new UiState();
    registeredChurn(state);
    const ui = await modelsView(state);
    const frame = await ui.frame((f) => f.includes('churn') && f.includes('house_prices'));
    const lines = frame.split('\n');
    expect(lines.find((l) => l.includes('MODEL'))).toMatch(/MODEL\s+VER\s+ALIASES\s+METRIC\s+TREND/);
    // roc_auc when there is one, else r2; the trend goes up from v1 to v2, down a little to v3.
    expect(lines.find((l) => l.includes('› churn'))).toMatch(/churn\s+3\s+@challenger→3 @champion→2\s+roc_auc 0\.8700\s+▁█▆/);
    expect(lines.find((l) => l.includes(' house_prices'))).toMatch(/house_prices\s+1\s+-\s+r2 0\.7100\s+▄/);
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
    expect(lines.length).toBeLessThanOrEqual(23);
  });

  it("shows the selected model's versions and its last drift check with a bar per feature; j moves to the next model", async () => {
    const state = new UiState();
    registeredChurn(state);
    const ui = await modelsView(state);
    const frame = await ui.frame((f) => f.includes('last drift check'));
    const lines = frame.split('\n');
    expect(frame).toContain('─ churn · 3 versions');
    // Newest first, the aliases on the version they point at, the headline metric first.
    const v3 = lines.findIndex((l) => /^\s+3\s+2026-01-07 14:03\s+@challenger\s+roc_auc 0\.8700  accuracy 0\.8300/.test(l));
    const v2 = lines.findIndex((l) => /^\s+2\s+2026-01-06 14:03\s+@champion\s+roc_auc 0\.9000/.test(l));
    expect(v3).toBeGreaterThan(0);
    expect(v2).toBe(v3 + 1);
    // The newer of the two monitor runs: run 2, against the champion v2.
    expect(frame).toContain('last drift check: ✗ DRIFT · run 2 monitor vs v2 · 2 of 3 drifted (67%)');
    const age = lines.find((l) => l.includes(' age '))!;
    const income = lines.find((l) => l.includes(' income '))!;
    const plan = lines.find((l) => l.includes(' plan '))!;
    expect(age).toMatch(/age\s+█+·*\s+0\.3512 drift/);
    // The scale tops at 1.0 (plan's 1.8 is past it, marked ▸); income's short bar stops before the │ at 0.2.
    expect(plan).toMatch(/plan\s+█+▸\s+1\.8000 drift/);
    expect(income).toMatch(/income\s+██·+│·+\s+0\.0421\s*$/);
    const axis = lines.find((l) => l.includes('▲0.2'))!;
    // The threshold's mark sits under the bar's │ and the top of the scale at its right end.
    expect(axis.indexOf('▲')).toBe(income.indexOf('│'));
    expect(axis).toMatch(/1\.0 {2}PSI/);
    // Under NO_COLOR (colour off) no escape codes: the word drift tells the drifted features.
    expect(frame).not.toMatch(/\u001b\[/);
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);

    await ui.press('j');
    const other = await ui.frame((f) => f.includes('─ house_prices · 1 version '));
    expect(other).toMatch(/1\s+2026-01-05 14:03\s+r2 0\.7100  rmse 12\.5000/);
    expect(other).toContain('no drift check yet (a monitor with reference: models:/house_prices@<alias>)');
  });

  it('follows the database: a new monitor verdict replaces the shown one', async () => {
    const state = new UiState();
    registeredChurn(state);
    const ui = await modelsView(state);
    await ui.frame((f) => f.includes('✗ DRIFT · run 2'));
    const run = state.run('watch', 'name: watch\ntasks:\n  - task_key: check\n    shell: "true"\n', { at: T0 + 5 * 86_400_000 });
    state.attempt(run, 'check', 1, T0 + 5 * 86_400_000, {}, { state: 'SUCCESS', task: 'SUCCESS', values: {
      drift_detected: 'false', drifted_features: '', share_drifted: '0', features: '2', reference: 'models:/churn/3: dataset://train@2',
      feature_psi: '{"age":0.05,"plan":null}',
    } });
    const frame = await ui.frame((f) => f.includes('✓ no drift · run 3 check vs v3 · 0 of 2 drifted (0%)'));
    expect(frame).toMatch(/plan\s+·+│·+\s+-/);
  });

  it('says there is no registry yet on a database from before the registry', async () => {
    const state = new UiState();
    failedTrainRun(state);
    state.writer.db.exec('DROP TABLE run_model_pins; DROP TABLE model_aliases; DROP TABLE model_versions; DROP TABLE registered_models;');
    const ui = await modelsView(state);
    const frame = await ui.frame((f) => f.includes('no model registry yet'));
    expect(frame).toContain('Model versions, aliases and drift verdicts appear here');
  });
});

describe('actions', () => {
  it('repair asks first, then starts the CLI and shows what it said', async () => {
    const state = new UiState();
    failedTrainRun(state);
    const ui = open(state);
    await ui.frame((f) => f.includes('✗ FAILED'));
    await ui.press('r');
    const asked = await ui.frame((f) => f.includes('Repair run 1'));
    expect(asked).toContain('[y/N]');
    await ui.press('n');
    await ui.frame((f) => f.includes('nothing done'));
    expect(ui.services.started).toEqual([]);
    await ui.press('r', 'y');
    await ui.frame((f) => f.includes('starting sluice repair 1'));
    expect(ui.services.started).toEqual([{ kind: 'repair', runId: 1 }]);
    ui.services.reply({ ok: false, message: 'sluice repair 1 ended with exit code 2: sluice: run 1 is still running' });
    await ui.frame((f) => f.includes('run 1 is still running'));
  });

  it('explains instead of asking when the action does not fit the run', async () => {
    const state = new UiState();
    const run = state.run('train', 'name: train\ntasks:\n  - task_key: a\n    shell: "true"\n');
    const ui = open(state);
    await ui.frame((f) => f.includes('● RUNNING'));
    await ui.press('r');
    await ui.frame((f) => f.includes('run 1 is still running; repair it once it has ended'));
    await ui.press('c');
    await ui.frame((f) => f.includes('Cancel run 1'));
    await ui.press('y');
    expect(ui.services.started).toEqual([{ kind: 'cancel', runId: run.id }]);
  });

  it('schedules: lists scheduled pipelines with their next fire time; t runs one, p pauses', async () => {
    const state = new UiState();
    const nightly = state.run('nightly', 'name: nightly\ntasks:\n  - task_key: a\n    shell: "true"\n', { trigger: 'schedule' });
    state.finish(nightly, 'SUCCESS', T0 + 5000);
    const ui = open(state, {
      pipelines: [
        { file: '/p/adhoc.yaml', name: 'adhoc' },
        { file: '/p/nightly.yaml', name: 'nightly', schedule: { cron: '0 3 * * *', timezone: 'UTC', paused: false, catchup: 'none' as never } },
        { file: '/p/broken.yaml', name: 'broken', problem: '3:5: unknown key' },
      ],
    });
    await ui.press('\t');
    const frame = await ui.frame((f) => f.includes('nightly') && f.includes('0 3 * * *'));
    const lines = frame.split('\n');
    const nightlyLine = lines.find((l) => l.includes('nightly'))!;
    expect(nightlyLine).toMatch(/› nightly\s+0 3 \* \* \*\s+[\d-]+ 03:00(:00)?\s+\S+\s+active\s+1\s+✓ SUCCESS/);
    expect(lines.find((l) => l.includes('adhoc'))).toMatch(/adhoc\s+-\s+-\s+-\s+manual\s+-\s+never ran/);
    expect(lines.find((l) => l.includes('broken'))).toContain('invalid');
    await ui.press('p');
    await ui.frame((f) => f.includes("Pause the schedule of 'nightly'?"));
    await ui.press('y', 'j', 't');
    await ui.frame((f) => f.includes("Run pipeline 'adhoc' now?"));
    await ui.press('y');
    expect(ui.services.started).toEqual([{ kind: 'pause', pipeline: 'nightly' }, { kind: 'trigger', pipeline: 'adhoc', file: '/p/adhoc.yaml' }]);
  });

  it('schedules: a pause set with sluice pause overrides the YAML, and p then offers to unpause', async () => {
    const state = new UiState();
    new ScheduleStore(state.writer.db).setPaused('nightly', true, T0);
    const ui = open(state, {
      pipelines: [{ file: '/p/nightly.yaml', name: 'nightly', schedule: { cron: '0 3 * * *', timezone: 'UTC', paused: false, catchup: 'none' as never } }],
    });
    await ui.press('\t');
    const frame = await ui.frame((f) => f.includes('0 3 * * *'));
    expect(frame.split('\n').find((l) => l.includes('nightly'))).toMatch(/\s+paused\s+-\s+never ran/);
    await ui.press('p');
    await ui.frame((f) => f.includes("Unpause the schedule of 'nightly'?"));
  });
});

describe('live and robust', () => {
  it('shows a run another process records within a second', async () => {
    const state = new UiState();
    failedTrainRun(state);
    const ui = open(state, { pollMs: 250 });
    await ui.frame((f) => f.includes('1 runs'));
    state.run('ingest', 'name: ingest\ntasks:\n  - task_key: a\n    shell: "true"\n');
    const seen = Date.now();
    await ui.frame((f) => f.includes('2 runs') && f.includes('ingest'), 1000 + 2000 /* margin for a loaded machine */);
    expect(Date.now() - seen).toBeLessThan(3000);
  });

  it('keeps the selected run selected when new runs arrive above it', async () => {
    const state = new UiState();
    for (const name of ['alpha', 'beta', 'gamma']) state.run(name, `name: ${name}\ntasks:\n  - task_key: a\n    shell: "true"\n`);
    const ui = open(state, { pollMs: 100 });
    await ui.frame((f) => f.includes('3 runs'));
    await ui.press('j');
    await ui.frame((f) => /›\s+2\s+beta/.test(f));
    state.run('delta', 'name: delta\ntasks:\n  - task_key: a\n    shell: "true"\n');
    state.run('epsilon', 'name: epsilon\ntasks:\n  - task_key: a\n    shell: "true"\n');
    const frame = await ui.frame((f) => f.includes('5 runs') && /›\s+2\s+beta/.test(f));
    expect(frame).not.toMatch(/›\s+4\s+delta/);
  });

  it('follows a log file as it grows', async () => {
    const state = new UiState();
    const run = state.run('train', 'name: train\ntasks:\n  - task_key: a\n    shell: "true"\n');
    state.attempt(run, 'a', 1, T0, { stdout: 'line 1\n' });
    const ui = open(state);
    await ui.frame((f) => f.includes('● RUNNING'));
    await ui.press('\r', '\r');
    await ui.frame((f) => f.includes('a logs') && f.includes('line 1'));
    const { appendFileSync } = await import('node:fs');
    appendFileSync(state.writer.attempts(run.id, 'a')[0]!.stdout_path!, 'line 2\n');
    await ui.frame((f) => f.includes('line 2'));
  });

  it('stays within 80×24 and reads only one screenful of 10,000 runs', async () => {
    const state = new UiState();
    const versionId = state.writer.recordPipelineVersion({ name: 'many', file: 'many.yaml', sourceHash: 'h', yaml: 'name: many\ntasks: []\n' }, T0);
    state.writer.atomically(() => {
      for (let i = 0; i < 10_000; i++) {
        const run = state.writer.createRun({ pipeline: i % 2 ? 'many' : 'a-pipeline-with-a-name-far-too-long-for-its-column', pipelineVersionId: versionId,
          triggerType: 'schedule', triggerTimeMs: T0 + i * 1000, parameters: {}, concurrency: 1, taskKeys: [], runsDir: state.dir, nowMs: T0 + i * 1000,
          runner: { pid: process.pid, started: null } });
        state.writer.finishRun(run.id, i % 7 ? 'SUCCESS' : 'FAILED', null, T0 + i * 1000 + 500 + (i % 13) * 100);
      }
    });
    const ui = open(state, {}, { columns: 80, rows: 24 });
    const first = await ui.frame((f) => f.includes('10,000 runs'));
    const lines = first.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    expect(first).toContain('› 10000');
    await ui.press('G');
    await ui.frame((f) => f.includes('› 1 '));
    await ui.press('g');
    await ui.frame((f) => f.includes('› 10000'));
  });

  it('without colour the frame has no escape codes, and states still read by their symbols', async () => {
    const state = new UiState();
    failedTrainRun(state);
    const plain = open(state);
    const frame = await plain.frame((f) => f.includes('✗ FAILED'));
    expect(frame).not.toMatch(/\u001b\[/);
  });
});
