// Terminal UI benchmark (`npm run bench`): a state database with 10,000 runs
// and one run of 500 tasks; in a fresh Node process, the time from process
// start to the UI's first frame, then the time from a key to the next frame
// (median and p95) in the runs list and in the 500-task run. Figures only:
// machines are shared and noisy. Target: a frame in 50 ms or less.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openStateDatabase } from '../engine/state/database.js';
import { RunStore } from '../engine/state/run-store.js';
import { median, percentile, table } from './measure.js';

const RUNS = 10_000;
const TASKS = 500;
const KEYS = 60;
const TARGET_FRAME_MS = 50;

function buildState(file: string): void {
  const store = new RunStore(openStateDatabase(file));
  const yaml = ['name: big', 'tasks:', ...Array.from({ length: TASKS }, (_, i) =>
    `  - { task_key: t${i}, shell: "true"${i > 0 ? `, depends_on: [t${Math.floor((i - 1) / 3)}]` : ''} }`)].join('\n');
  const small = store.recordPipelineVersion({ name: 'nightly', file: 'nightly.yaml', sourceHash: 'a', yaml: 'name: nightly\ntasks: []\n' }, 0);
  const big = store.recordPipelineVersion({ name: 'big', file: 'big.yaml', sourceHash: 'b', yaml }, 0);
  const runner = { pid: process.pid, started: null };
  store.atomically(() => {
    for (let i = 0; i < RUNS; i++) {
      const at = 1_700_000_000_000 + i * 60_000;
      const run = store.createRun({ pipeline: i % 3 ? 'nightly' : `train-${i % 7}`, pipelineVersionId: small, triggerType: 'schedule',
        triggerTimeMs: at, parameters: {}, concurrency: 1, taskKeys: [], runsDir: join(file, '..', 'runs'), nowMs: at, runner });
      store.finishRun(run.id, i % 11 ? 'SUCCESS' : 'FAILED', null, at + 1000 + (i % 17) * 250);
    }
    const at = 1_700_000_000_000 + RUNS * 60_000;
    const keys = Array.from({ length: TASKS }, (_, i) => `t${i}`);
    const run = store.createRun({ pipeline: 'big', pipelineVersionId: big, triggerType: 'manual', triggerTimeMs: at, parameters: {},
      concurrency: 4, taskKeys: keys, runsDir: join(file, '..', 'runs'), nowMs: at, runner });
    keys.forEach((key, i) => {
      store.startAttempt(run.id, key, 1, at + i * 100, null);
      store.finishAttempt(run.id, key, 1, { state: 'SUCCESS', endMs: at + i * 100 + 90, exitCode: 0 }, { state: 'SUCCESS', values: { n: String(i) } });
    });
    store.finishRun(run.id, 'SUCCESS', null, at + TASKS * 100);
  });
  store.db.close();
}

interface ChildReport {
  firstFrameMs: number;
  runsFrames: number[];
  bigRunFirstMs: number;
  bigRunFrames: number[];
}

/** In the child: everything the UI loads, from process start to frames. */
async function measureInChild(stateFile: string): Promise<ChildReport> {
  const [{ createElement }, { render }, { App }, queriesModule, { RunStore: Store }, { runnerStatus }, { readTaskDependencies }] = await Promise.all([
    import('react'), import('ink-testing-library'), import('../ui-tui/app.js'), import('../engine/state/run-queries.js'),
    import('../engine/state/run-store.js'), import('../cli/inspect-commands.js'), import('../engine/spec/stored-dependencies.js'),
  ]);
  const db = queriesModule.openStateReadOnly(stateFile);
  const store = new Store(db);
  const services = {
    queries: new queriesModule.RunQueries(db), store, runnerStatus: (run: Parameters<typeof runnerStatus>[1]) => runnerStatus(store, run),
    pipelines: () => [], dependenciesOf: (id: number) => { const v = store.pipelineVersion(id); return v ? readTaskDependencies(v.yaml) : undefined; },
    actions: { start: () => undefined }, pollMs: 250, now: Date.now,
  };
  const ui = render(createElement(App, { services, colour: true, size: { columns: 120, rows: 40 } }));
  await until(() => ui.lastFrame()?.includes('10,001 runs') ?? false);
  const firstFrameMs = performance.now();
  const keyToFrame = async (key: string, expect: (frame: string) => boolean): Promise<number> => {
    const before = ui.frames.length;
    const start = performance.now();
    ui.stdin.write(key);
    await until(() => ui.frames.length > before && expect(ui.lastFrame() ?? ''));
    return performance.now() - start;
  };
  const runsFrames: number[] = [];
  for (let i = 0; i < KEYS; i++) runsFrames.push(await keyToFrame(i % 2 ? 'k' : 'j', () => true));
  const bigRunFirstMs = await keyToFrame('\r', (f) => f.includes('run 10001'));
  const bigRunFrames: number[] = [];
  for (let i = 0; i < KEYS; i++) bigRunFrames.push(await keyToFrame('j', () => true));
  ui.unmount();
  return { firstFrameMs, runsFrames, bigRunFirstMs, bigRunFrames };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await measureInChild(process.argv[3]!)));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ui-bench-'));
  try {
    const stateFile = join(dir, 'state.db');
    const built = performance.now();
    buildState(stateFile);
    process.stderr.write(`ui bench: state database with ${RUNS.toLocaleString('en-US')} runs and a ${TASKS}-task run in ${ms(performance.now() - built)}\n`);
    // React's production build, as the bundled CLI has it.
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', stateFile],
      { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
    if (child.status !== 0) throw new Error(`the UI bench child failed:\n${child.stderr}`);
    const r = JSON.parse(child.stdout) as ChildReport;
    process.stdout.write(`\nTerminal UI (sluice ui), ${RUNS.toLocaleString('en-US')} runs, a ${TASKS}-task run; target: a frame in ≤ ${TARGET_FRAME_MS} ms\n`);
    process.stdout.write(`${table([
      ['measure', 'median', 'p95'],
      ['process start to first frame (runs list)', ms(r.firstFrameMs), ''],
      [`key to frame, runs list (${KEYS} keys)`, ms(median(r.runsFrames)), ms(percentile(r.runsFrames, 95))],
      [`open the ${TASKS}-task run (enter to frame)`, ms(r.bigRunFirstMs), ''],
      [`key to frame, ${TASKS}-task run (${KEYS} keys)`, ms(median(r.bigRunFrames)), ms(percentile(r.bigRunFrames, 95))],
    ])}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
