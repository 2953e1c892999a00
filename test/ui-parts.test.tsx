// The UI's pure parts and small components: sparklines, timeline bars,
// virtual scrolling, DAG layers, log reading and the state queries.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { RunQueries } from '../engine/state/run-queries.js';
import { KeyFooter } from '../ui-tui/components/chrome.js';
import { TaskTable } from '../ui-tui/components/task-table.js';
import { layeredTasks } from '../ui-tui/dag-layers.js';
import { AttemptOutput } from '../ui-tui/data/log-tail.js';
import { windowStart } from '../ui-tui/list-window.js';
import { mainMetric, psiAxis, psiBar, psiScale } from '../ui-tui/model-lines.js';
import { sparkline } from '../ui-tui/sparkline.js';
import { ColourScope } from '../ui-tui/theme.js';
import { timelineBar } from '../ui-tui/timeline.js';
import { failedTrainRun, registeredChurn, T0, TRAIN_YAML, UiState } from './ui-fixtures.js';

describe('sparkline', () => {
  it('scales durations between their own minimum and maximum', () => {
    expect(sparkline([100, 200, 300, 800])).toBe('▁▂▃█');
    expect(sparkline([5, 5, 5])).toBe('▄▄▄');
    expect(sparkline([])).toBe('');
  });
});

describe('key footer', () => {
  const keys = ['move', 'open', 'filter', 'repair', 'cancel', 'first/last'].map((does, i) => ({ keys: `k${i}`, does }));
  const pinned = [{ keys: '?', does: 'help' }, { keys: 'q', does: 'quit' }];

  it('drops view keys, never help and quit, when the terminal is narrow', () => {
    const { lastFrame } = render(<ColourScope enabled={false}><KeyFooter keys={keys} pinned={pinned} width={43} /></ColourScope>);
    expect(lastFrame()).toBe('k0 move  k1 open  k2 filter  ? help  q quit');
  });

  it('shows every key when there is room', () => {
    const { lastFrame } = render(<ColourScope enabled={false}><KeyFooter keys={keys} pinned={pinned} width={120} /></ColourScope>);
    expect(lastFrame()).toBe('k0 move  k1 open  k2 filter  k3 repair  k4 cancel  k5 first/last  ? help  q quit');
  });
});

describe('timeline bar', () => {
  const run = { startMs: 0, endMs: 100 };
  it('places a task within the run', () => {
    expect(timelineBar(run, { startMs: 0, endMs: 50 }, 10)).toBe('██████····');
    expect(timelineBar(run, { startMs: 50, endMs: 100 }, 10)).toBe('·····█████');
  });
  it('gives a short task one block, a running one a bar to now, and a task that never started none', () => {
    expect(timelineBar(run, { startMs: 31, endMs: 32 }, 10)).toBe('···█······');
    expect(timelineBar(run, { startMs: 80, endMs: null }, 10)).toBe('········██');
    expect(timelineBar(run, { startMs: null, endMs: null }, 10)).toBe('          ');
  });
});

describe('virtual scrolling', () => {
  it('moves the window only when the selection leaves it', () => {
    expect(windowStart(5, 0, 10, 100)).toBe(0);
    expect(windowStart(10, 0, 10, 100)).toBe(1);
    expect(windowStart(3, 5, 10, 100)).toBe(3);
    expect(windowStart(99, 0, 10, 100)).toBe(90);
    expect(windowStart(4, 50, 10, 5)).toBe(0);
  });
});

describe('DAG layers', () => {
  it('puts each task on the layer of its longest chain of dependencies, loop iterations under their loop', () => {
    const state = new UiState();
    const yaml = `name: fan
tasks:
  - { task_key: late, depends_on: [mid], shell: "true" }
  - { task_key: root, shell: "true" }
  - { task_key: mid, depends_on: [root], shell: "true" }
  - task_key: loop
    depends_on: [root]
    for_each: { inputs: "[1,2]", task: { shell: "true" } }
`;
    const run = state.run('fan', yaml);
    state.writer.addIterations(run.id, 'loop', 2);
    const dependencies = state.services().dependenciesOf(run.pipeline_version_id);
    const lines = layeredTasks(state.writer.taskRuns(run.id), dependencies);
    expect(lines.map((l) => `${'  '.repeat(l.depth)}${l.row.task_key}@${l.layer}`)).toEqual([
      'root@0', '  mid@1', '  loop@1', '    loop[0]@1', '    loop[1]@1', '    late@2',
    ]);
    expect(lines.find((l) => l.row.task_key === 'late')!.dependsOn).toEqual(['mid']);
  });
});

describe('reading an attempt\'s output', () => {
  it('reads what was appended, keeps a character split between reads whole, and drops control sequences', () => {
    const state = new UiState();
    const stdout = join(state.dir, 'out.log');
    const stderr = join(state.dir, 'err.log');
    writeFileSync(stdout, Buffer.concat([Buffer.from('caf'), Buffer.from('é').subarray(0, 1)]));
    writeFileSync(stderr, '');
    const output = new AttemptOutput(state.dir, { stdout_path: stdout, stderr_path: stderr });
    expect(output.read()).toBe(true);
    appendFileSync(stdout, Buffer.concat([Buffer.from('é').subarray(1), Buffer.from('\n\u001b[31mred\u001b[0m\tdone\n')]));
    appendFileSync(stderr, 'oops\n');
    expect(output.read()).toBe(true);
    expect(output.lines()).toEqual(['café', 'red    done', '--- stderr ---', 'oops']);
    expect(output.read()).toBe(false);
  });
});

describe('state queries', () => {
  it('pages runs newest first, filters by pipeline, state, trigger or id, and lists recent durations', () => {
    const state = new UiState();
    failedTrainRun(state);
    for (let i = 0; i < 3; i++) {
      const run = state.run('train', TRAIN_YAML, { at: T0 + (i + 1) * 60_000, trigger: 'schedule' });
      state.finish(run, 'SUCCESS', T0 + (i + 1) * 60_000 + (i + 1) * 1000);
    }
    const queries = new RunQueries(state.services().store.db);
    expect(queries.runPage({ offset: 1, limit: 2 }).rows.map((r) => r.id)).toEqual([3, 2]);
    expect(queries.runPage({ offset: 0, limit: 10, text: 'fail' })).toMatchObject({ total: 1, rows: [{ id: 1 }] });
    expect(queries.runPage({ offset: 0, limit: 10, text: 'SCHED' }).total).toBe(3);
    expect(queries.runPage({ offset: 0, limit: 10, text: '#2' }).rows.map((r) => r.id)).toEqual([2]);
    expect(queries.runPage({ offset: 0, limit: 10, text: '100%' }).total).toBe(0);
    expect(queries.recentDurations('train', 3, 10)).toEqual([9000, 1000, 2000]);
    expect(queries.hasTable('models')).toBe(false);
  });
});

describe('model registry queries', () => {
  it('read models, versions, aliases and the newest drift verdict per model; an older database has none', () => {
    const state = new UiState();
    registeredChurn(state);
    const queries = new RunQueries(state.services().store.db);
    const models = queries.registeredModels()!;
    expect(models.map((m) => m.name)).toEqual(['churn', 'house_prices']);
    expect(models[0]!.aliases).toEqual({ challenger: 3, champion: 2 });
    expect(models[0]!.versions.map((v) => v.metrics.roc_auc)).toEqual([0.81, 0.9, 0.87]);
    expect(mainMetric(models[0]!.versions)).toBe('roc_auc');
    expect(mainMetric(models[1]!.versions)).toBe('r2');
    const drift = queries.lastDriftVerdicts();
    expect([...drift.keys()]).toEqual(['churn']);
    expect(drift.get('churn')).toEqual({
      runId: 2, taskKey: 'monitor', version: 2, detected: true, shareDrifted: 2 / 3, features: 3,
      driftedFeatures: ['age', 'plan'], featurePsi: { age: 0.3512, income: 0.0421, plan: 1.8 },
    });

    const old = new UiState();
    failedTrainRun(old);
    old.writer.db.exec('DROP TABLE run_model_pins; DROP TABLE model_aliases; DROP TABLE model_versions; DROP TABLE registered_models;');
    const oldQueries = new RunQueries(old.services().store.db);
    expect(oldQueries.registeredModels()).toBeUndefined();
    expect(oldQueries.lastDriftVerdicts().size).toBe(0);
  });
});

describe('PSI bars', () => {
  it('mark the 0.2 threshold at the same cell on every bar, whatever the value', () => {
    const top = psiScale([0.05, 0.1]);
    expect(top).toBe(0.4);
    expect(psiBar(0.1, 20, top)).toBe('█████····│··········');
    expect(psiBar(0.2, 20, top)).toBe('██████████··········');
    expect(psiBar(null, 20, top)).toBe('·········│··········');
    expect(psiAxis(20, top)).toBe('0        ▲0.2    0.4');
    expect(psiScale([3.7])).toBe(1);
    expect(psiBar(3.7, 10, 1)).toBe('█████████▸');
  });
});

describe('task table', () => {
  it('shows each task with state, attempts, duration and timeline, indented by layer', () => {
    const state = new UiState();
    const run = failedTrainRun(state);
    const services = state.services();
    const lines = layeredTasks(services.store.taskRuns(run.id), services.dependenciesOf(run.pipeline_version_id));
    const { lastFrame, unmount } = render(
      <ColourScope enabled={false}>
        <TaskTable lines={lines} selected={1} start={0} height={10} width={80} span={{ startMs: T0, endMs: T0 + 10_000 }} now={null}
          attemptCounts={new Map([['prepare', 1], ['fit', 2], ['score', 1]])} />
      </ColourScope>,
    );
    expect(lastFrame()!.split('\n').map((l) => l.trimEnd())).toEqual([
      '  TASK                      STATE             ATT DURATION TIMELINE',
      '  prepare                   ✓ SUCCESS         1   1.0s     ███·················',
      '›   fit                     ✗ FAILED          2   8.0s     ··█████████████████·',
      '    score                   ✓ SUCCESS         1   1.0s     ··███···············',
      '      publish               ↑ UPSTREAM_FAILED -   -',
    ]);
    unmount();
  });
});
