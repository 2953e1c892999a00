// `sluice runs`, `show` and `logs` read a real state database (written
// through RunStore, as a runner writes it) and real log files.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStateDatabase } from '../engine/state/database.js';
import { processStartTime } from '../engine/execute/process-control.js';
import { type AttemptEnd, type RunRow, RunStore } from '../engine/state/run-store.js';
import type { RunState, TaskState } from '../engine/state/states.js';
import { PROJECT_ROOT, runSluice } from './run-sluice.js';

// Times print in the local zone; the CLI processes inherit this one.
process.env.TZ = 'UTC';
/** 2026-01-05 14:03:22 UTC. */
const T0 = Date.UTC(2026, 0, 5, 14, 3, 22);

/** A process id that is certainly not running: a child that has exited. */
function deadPid(): number {
  return spawnSync('true').pid!;
}

interface AttemptSpec extends Partial<AttemptEnd> {
  start: number;
  stdout?: string;
  stderr?: string;
  /** The task's state after this attempt; none leaves the task as it is. */
  task?: { state: TaskState; message?: string; values?: Record<string, string> };
}

/** A state folder with its database, filled the way a runner fills it. */
class StateFixture {
  readonly file: string;
  readonly store: RunStore;

  constructor(readonly dir = mkdtempSync(join(tmpdir(), 'sluice-inspect-'))) {
    this.file = join(dir, 'state.db');
    this.store = new RunStore(openStateDatabase(this.file));
  }

  run(pipeline: string, taskKeys: string[], options: { at?: number; parameters?: Record<string, string>; trigger?: string; parent?: [number, string] } = {}): RunRow {
    const at = options.at ?? T0;
    const versionId = this.store.recordPipelineVersion({ name: pipeline, file: `pipelines/${pipeline}.yaml`, sourceHash: `hash-${pipeline}`, yaml: '', gitCommit: '0123456789abcdef', gitDirty: true }, at);
    const run = this.store.createRun({
      pipeline, pipelineVersionId: versionId, triggerType: options.trigger ?? 'manual', triggerTimeMs: at, parameters: options.parameters ?? {},
      concurrency: 4, taskKeys, runsDir: join(this.dir, 'runs'), nowMs: at, parentRunId: options.parent?.[0], parentTaskKey: options.parent?.[1],
      // This test process stands in for the runner: alive for as long as the tests run.
      runner: { pid: process.pid, started: processStartTime(process.pid) },
    });
    return run;
  }

  /** Starts an attempt with its log files (written when given) and ends it when `state` is given. */
  attempt(run: RunRow, key: string, n: number, spec: AttemptSpec): { stdout: string; stderr: string } {
    const logs = { stdout: join(run.run_dir, 'tasks', key, `${n}.stdout`), stderr: join(run.run_dir, 'tasks', key, `${n}.stderr`) };
    mkdirSync(dirname(logs.stdout), { recursive: true });
    if (spec.stdout !== undefined) writeFileSync(logs.stdout, spec.stdout);
    if (spec.stderr !== undefined) writeFileSync(logs.stderr, spec.stderr);
    this.store.startAttempt(run.id, key, n, spec.start, logs);
    if (spec.state) {
      const end = { state: spec.state, endMs: spec.endMs ?? spec.start + 1000, exitCode: spec.exitCode, signal: spec.signal, error: spec.error };
      this.store.finishAttempt(run.id, key, n, end, spec.task);
    }
    return logs;
  }

  finish(run: RunRow, state: RunState, at: number, message: string | null = null): void {
    this.store.finishRun(run.id, state, message, at);
  }

  sluice(...args: string[]) {
    return runSluice([...args, '--state', this.file]);
  }
}

/**
 * A run of `train` as a user would find it after a bad night: a retried
 * failure with a traceback, a for_each loop, a child run, a skipped task.
 */
function failedNight() {
  const f = new StateFixture();
  const run = f.run('train', ['prepare', 'fit', 'score', 'publish', 'cleanup'], { parameters: { date: '2026-01-05', lr: '0.1' } });
  f.attempt(run, 'prepare', 1, {
    start: T0, endMs: T0 + 1234, state: 'SUCCESS', exitCode: 0, stdout: 'reading 1000 rows\nwrote features\n', stderr: 'warning: 3 nulls\n',
    task: { state: 'SUCCESS', values: { rows: '1000', summary: 'x'.repeat(500) } },
  });
  f.attempt(run, 'fit', 1, { start: T0 + 2000, endMs: T0 + 4000, state: 'FAILED', exitCode: 1, stdout: 'epoch 1\n', task: { state: 'RETRY_WAIT' } });
  const traceback = 'Traceback (most recent call last):\n  File "fit.py", line 3\nMemoryError';
  f.attempt(run, 'fit', 2, {
    start: T0 + 10_000, endMs: T0 + 70_000, state: 'FAILED', signal: 'SIGKILL', error: traceback, stdout: 'epoch 1\nepoch 2\n', stderr: `${traceback}\n`,
    task: { state: 'FAILED', message: traceback },
  });
  f.store.setTaskState(run.id, 'score', 'RUNNING', T0 + 5000, { started: true });
  f.store.addIterations(run.id, 'score', 2);
  f.attempt(run, 'score[0]', 1, { start: T0 + 5000, state: 'SUCCESS', exitCode: 0, stdout: 'auc 0.91\n', task: { state: 'SUCCESS', values: { auc: '0.91' } } });
  f.attempt(run, 'score[1]', 1, { start: T0 + 5000, state: 'FAILED', exitCode: 2, stdout: 'no data\n', task: { state: 'FAILED', message: 'exit code 2' } });
  f.store.setTaskState(run.id, 'score', 'FAILED', T0 + 7000, { message: '1 of 2 iterations failed', started: true });
  f.store.setTaskState(run.id, 'publish', 'RUNNING', T0 + 8000, { started: true });
  const child = f.run('report', ['render'], { parent: [run.id, 'publish'], at: T0 + 8000 });
  f.attempt(child, 'render', 1, { start: T0 + 8000, state: 'SUCCESS', exitCode: 0, stdout: 'rendered\n', task: { state: 'SUCCESS' } });
  f.finish(child, 'SUCCESS', T0 + 9000);
  f.store.setChildRun(run.id, 'publish', child.id);
  f.store.setTaskState(run.id, 'publish', 'SUCCESS', T0 + 9000, { started: true });
  f.store.setTaskState(run.id, 'cleanup', 'UPSTREAM_FAILED', T0 + 70_000, { message: 'upstream fit failed' });
  f.finish(run, 'FAILED', T0 + 184_000, 'fit failed');
  return { f, run, child };
}

describe('sluice runs', () => {
  it('lists runs newest first with trigger, state, local start time, duration and repairs', () => {
    const { f, run, child } = failedNight();
    const nightly = f.run('train', ['a'], { at: T0 + 3_600_000, trigger: 'schedule' });
    f.finish(nightly, 'SUCCESS', T0 + 3_600_000 + 1200);
    const { code, stdout } = f.sluice('runs');
    expect(code).toBe(0);
    expect(stdout).toBe([
      'RUN  PIPELINE  TRIGGER   STATE      STARTED              DURATION  REPAIRS',
      `${nightly.id}    train     schedule  ✓ SUCCESS  2026-01-05 15:03:22  1.2s      0`,
      `${child.id}    report    manual    ✓ SUCCESS  2026-01-05 14:03:30  1.0s      0`,
      `${run.id}    train     manual    ✗ FAILED   2026-01-05 14:03:22  3m04s     0`,
      '',
    ].join('\n'));
  });

  it('filters by pipeline, by status in any case, and limits the count', () => {
    const f = new StateFixture();
    const states: RunState[] = ['SUCCESS', 'FAILED', 'SUCCESS', 'CANCELED', 'SUCCESS'];
    const runs = states.map((state, i) => {
      const run = f.run(i === 1 ? 'score' : 'train', ['a'], { at: T0 + i * 60_000 });
      f.finish(run, state, T0 + i * 60_000 + 5000);
      return run;
    });
    const ids = (stdout: string) => stdout.trim().split('\n').slice(1).map((line) => Number(line.split(/\s+/)[0]));
    expect(ids(f.sluice('runs', '--pipeline', 'train').stdout)).toEqual([runs[4]!.id, runs[3]!.id, runs[2]!.id, runs[0]!.id]);
    expect(ids(f.sluice('runs', '--status', 'success').stdout)).toEqual([runs[4]!.id, runs[2]!.id, runs[0]!.id]);
    expect(ids(f.sluice('runs', '--status', 'Success', '--limit', '2').stdout)).toEqual([runs[4]!.id, runs[2]!.id]);
    expect(ids(f.sluice('runs', '--pipeline', 'train', '--status', 'FAILED').stdout)).toEqual([]);
    expect(f.sluice('runs', '--pipeline', 'train', '--status', 'FAILED').stdout).toBe("no FAILED runs of pipeline 'train'\n");
    expect(f.sluice('runs', '--pipeline', 'trian')).toMatchObject({ code: 0, stdout: "no runs of pipeline 'trian'; did you mean 'train'?\n" });
  });

  it('refuses an unknown status with a suggestion, and a limit that is not a positive whole number', () => {
    const f = new StateFixture();
    expect(f.sluice('runs', '--status', 'faild')).toMatchObject({ code: 2, stdout: '', stderr: "sluice: unknown run status 'faild'; did you mean 'FAILED'?\n" });
    const unknown = f.sluice('runs', '--status', 'done');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("sluice: unknown run status 'done'; use one of RUNNING, INTERRUPTED, SUCCESS, SUCCESS_WITH_FAILURES, FAILED, TIMEDOUT or CANCELED\n");
    for (const limit of ['0', '-3', 'ten', '2.5']) {
      const bad = f.sluice('runs', '--limit', limit);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--limit takes a whole number of 1 or more');
    }
  });

  it('shows a RUNNING run whose runner died as INTERRUPTED and says how to resume it', () => {
    const f = new StateFixture();
    const live = f.run('train', ['a'], { at: T0 });
    const orphan = f.run('train', ['a'], { at: T0 + 1000 });
    f.store.claimRun(orphan.id, deadPid(), null);
    const { code, stdout } = f.sluice('runs');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[1]).toMatch(new RegExp(`^${orphan.id} +train +manual +! INTERRUPTED +2026-01-05 14:03:23 +- +0$`));
    expect(lines[2]).toMatch(new RegExp(`^${live.id} +train +manual +● RUNNING +2026-01-05 14:03:22 +\\S+ +0$`));
    expect(stdout).toContain(`INTERRUPTED: the runner of run ${orphan.id} died; \`sluice resume ${orphan.id}\` continues it\n`);
    // Both are stored as RUNNING; --status tells them apart.
    expect(f.sluice('runs', '--status', 'interrupted', '--json').stdout).toContain(`"id": ${orphan.id}`);
    expect(JSON.parse(f.sluice('runs', '--status', 'interrupted', '--json').stdout)).toHaveLength(1);
    expect(JSON.parse(f.sluice('runs', '--status', 'running', '--json').stdout).map((r: { id: number }) => r.id)).toEqual([live.id]);
  });

  it('prints JSON with camelCase keys and ISO times', () => {
    const { f, run, child } = failedNight();
    const { code, stdout } = f.sluice('runs', '--json');
    expect(code).toBe(0);
    const runs = JSON.parse(stdout);
    expect(runs.map((r: { id: number }) => r.id)).toEqual([child.id, run.id]);
    expect(runs[1]).toEqual({
      id: run.id, pipeline: 'train', state: 'FAILED', stateMessage: 'fit failed', trigger: 'manual', triggerTime: '2026-01-05T14:03:22.000Z',
      parameters: { date: '2026-01-05', lr: '0.1' }, startTime: '2026-01-05T14:03:22.000Z', endTime: '2026-01-05T14:06:26.000Z',
      durationMs: 184_000, repairCount: 0, parentRunId: null, parentTaskKey: null, runnerPid: process.pid, runDir: run.run_dir,
    });
    expect(runs[0]).toMatchObject({ parentRunId: run.id, parentTaskKey: 'publish' });
  });

  it('says there are no runs yet in an empty database, and [] in JSON', () => {
    const f = new StateFixture();
    expect(f.sluice('runs')).toMatchObject({ code: 0, stdout: 'no runs yet; `sluice run <pipeline>` starts one\n' });
    expect(f.sluice('runs', '--json')).toMatchObject({ code: 0, stdout: '[]\n' });
  });

  it('exits 2 with a message when there is no database, and finds .sluice/state.db without --state', () => {
    const empty = mkdtempSync(join(tmpdir(), 'sluice-nostate-'));
    const missing = join(empty, 'nowhere.db');
    for (const args of [['runs'], ['show', '1'], ['logs', '1']]) {
      const { code, stdout, stderr } = runSluice([...args, '--state', missing]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(`sluice: no state database at ${missing}: nothing has run here yet (run a pipeline with 'sluice run', or point --state / SLUICE_HOME at another one)\n`);
    }
    expect(runSluice(['runs'], empty)).toMatchObject({ code: 2, stderr: expect.stringContaining(`no state database at ${join(empty, '.sluice', 'state.db')}`) });
    const home = mkdtempSync(join(tmpdir(), 'sluice-home-'));
    const f = new StateFixture(join(home, '.sluice'));
    f.finish(f.run('train', ['a']), 'SUCCESS', T0 + 500);
    mkdirSync(join(home, 'sub'));
    expect(runSluice(['runs'], join(home, 'sub'))).toMatchObject({ code: 0, stdout: expect.stringContaining('✓ SUCCESS') });
  });

  it('refuses a file that is not a SQLite database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-notdb-'));
    writeFileSync(join(dir, 'notes.db'), 'these are my notes, not a database\n'.repeat(200));
    const { code, stderr } = runSluice(['runs', '--state', join(dir, 'notes.db')]);
    expect(code).toBe(2);
    expect(stderr).toBe(`sluice: ${join(dir, 'notes.db')} is not a SQLite database; move it away or point --state / SLUICE_HOME elsewhere\n`);
  });
});


describe('sluice show', () => {
  it("shows the run's header, its tasks with loop iterations under the loop, then attempts and values", () => {
    const { f, run, child } = failedNight();
    const { code, stdout, stderr } = f.sluice('show', String(run.id));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe([
      `run           ${run.id}`,
      'pipeline      train  (pipelines/train.yaml @ 0123456789ab, with uncommitted changes)',
      'state         ✗ FAILED: fit failed',
      'trigger       manual, 2026-01-05 14:03:22',
      'parameters    date=2026-01-05  lr=0.1',
      'started       2026-01-05 14:03:22',
      'ended         2026-01-05 14:06:26  (took 3m04s)',
      'repairs       0',
      `runner        pid ${process.pid}, finished`,
      `folder        ${run.run_dir}`,
      '',
      'TASK        STATE              ATTEMPTS  DURATION  NOTE',
      'prepare     ✓ SUCCESS          1         1.2s',
      'fit         ✗ FAILED           2         1m08s',
      '    Traceback (most recent call last):',
      '      File "fit.py", line 3',
      '    MemoryError',
      'score       ✗ FAILED           -         2.0s      1 of 2 iterations failed',
      '  score[0]  ✓ SUCCESS          1         1.0s',
      '  score[1]  ✗ FAILED           1         1.0s      exit code 2',
      `publish     ✓ SUCCESS          -         1.0s      child run ${child.id}`,
      'cleanup     ↑ UPSTREAM_FAILED  -         -         upstream fit failed',
      '',
      'prepare',
      '  ATTEMPT  STATE      STARTED              DURATION  RESULT',
      '  1        ✓ SUCCESS  2026-01-05 14:03:22  1.2s      exit 0',
      '  values',
      '    rows = 1000',
      `    summary = ${'x'.repeat(200)}… (300 more characters; --json shows all)`,
      'fit',
      '  ATTEMPT  STATE     STARTED              DURATION  RESULT',
      '  1        ✗ FAILED  2026-01-05 14:03:24  2.0s      exit 1',
      '  2        ✗ FAILED  2026-01-05 14:03:32  1m00s     signal SIGKILL',
      '      Traceback (most recent call last):',
      '        File "fit.py", line 3',
      '      MemoryError',
      'score[0]',
      '  ATTEMPT  STATE      STARTED              DURATION  RESULT',
      '  1        ✓ SUCCESS  2026-01-05 14:03:27  1.0s      exit 0',
      '  values',
      '    auc = 0.91',
      'score[1]',
      '  ATTEMPT  STATE     STARTED              DURATION  RESULT',
      '  1        ✗ FAILED  2026-01-05 14:03:27  1.0s      exit 2',
      '',
    ].join('\n'));
    expect(f.sluice('show', String(child.id)).stdout).toContain(`parent        run ${run.id}, task publish\n`);
  });

  it('says a run is interrupted, and how to resume it, when its runner is gone', () => {
    const f = new StateFixture();
    const run = f.run('train', ['a', 'b']);
    const pid = deadPid();
    f.store.claimRun(run.id, pid, null);
    f.attempt(run, 'a', 1, { start: T0 });
    const { code, stdout } = f.sluice('show', String(run.id));
    expect(code).toBe(0);
    expect(stdout).toContain('state         ! INTERRUPTED\n');
    expect(stdout).toContain(`runner        pid ${pid} is gone: the run was interrupted; \`sluice resume ${run.id}\` continues it\n`);
    expect(stdout).toMatch(/\na +● RUNNING +1 +-\nb +○ PENDING +- +-\n/);
    expect(JSON.parse(f.sluice('show', String(run.id), '--json').stdout).run).toMatchObject({ state: 'INTERRUPTED', runner: 'gone' });
  });

  it('prints one JSON object with the run, and every task with its attempts and full values', () => {
    const { f, run, child } = failedNight();
    const { code, stdout } = f.sluice('show', String(run.id), '--json');
    expect(code).toBe(0);
    const shown = JSON.parse(stdout);
    expect(shown.run).toMatchObject({
      id: run.id, pipeline: 'train', state: 'FAILED', stateMessage: 'fit failed', durationMs: 184_000, repairCount: 0, runner: 'finished',
      pipelineVersion: { file: 'pipelines/train.yaml', sourceHash: 'hash-train', gitCommit: '0123456789abcdef', gitDirty: true },
    });
    // Stored order: the loop's iterations were added after the pipeline's tasks.
    expect(shown.tasks.map((t: { key: string }) => t.key)).toEqual(['prepare', 'fit', 'score', 'publish', 'cleanup', 'score[0]', 'score[1]']);
    const [prepare, fit] = shown.tasks;
    expect(prepare.values).toEqual({ rows: '1000', summary: 'x'.repeat(500) });
    expect(fit).toMatchObject({ key: 'fit', parentKey: null, state: 'FAILED', attemptCount: 2, durationMs: 68_000 });
    expect(fit.attempts).toEqual([
      expect.objectContaining({ attempt: 1, state: 'FAILED', exitCode: 1, signal: null, error: null, durationMs: 2000, startTime: '2026-01-05T14:03:24.000Z' }),
      expect.objectContaining({ attempt: 2, state: 'FAILED', exitCode: null, signal: 'SIGKILL', error: expect.stringContaining('MemoryError') }),
    ]);
    expect(fit.attempts[1].stderrPath).toMatch(/fit\/2\.stderr$/);
    expect(shown.tasks[5]).toMatchObject({ key: 'score[0]', parentKey: 'score', iteration: 0, values: { auc: '0.91' } });
    expect(shown.tasks[3]).toMatchObject({ key: 'publish', childRunId: child.id, attempts: [], values: {} });
  });

  it('refuses an unknown run and an id that is not a whole number, with exit 2', () => {
    const { f } = failedNight();
    expect(f.sluice('show', '42')).toMatchObject({ code: 2, stdout: '', stderr: 'sluice: no run 42; `sluice runs` lists them\n' });
    for (const id of ['abc', '1.5', '0', '-1', '1e3', '#1']) {
      const { code, stderr } = f.sluice('show', id);
      expect(code).toBe(2);
      if (id !== '-1') expect(stderr).toBe(`sluice: '${id}' is not a run id; run ids are whole numbers such as 42 (\`sluice runs\` lists them)\n`);
    }
    expect(f.sluice('show').code).toBe(2);
  });
});

describe('sluice logs', () => {
  it("prints every task's latest attempt under a header, stdout first and then the labelled stderr", () => {
    const { f, run } = failedNight();
    const { code, stdout, stderr } = f.sluice('logs', String(run.id));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe([
      '==> prepare (attempt 1) <==',
      'reading 1000 rows',
      'wrote features',
      '--- stderr ---',
      'warning: 3 nulls',
      '',
      '==> fit (attempt 2) <==',
      'epoch 1',
      'epoch 2',
      '--- stderr ---',
      'Traceback (most recent call last):',
      '  File "fit.py", line 3',
      'MemoryError',
      '',
      '==> score[0] (attempt 1) <==',
      'auc 0.91',
      '',
      '==> score[1] (attempt 1) <==',
      'no data',
      '',
    ].join('\n'));
  });

  it("prints one task's latest attempt without a header, or the attempt asked for, or one stream", () => {
    const { f, run } = failedNight();
    const id = String(run.id);
    expect(f.sluice('logs', id, 'prepare').stdout).toBe('reading 1000 rows\nwrote features\n--- stderr ---\nwarning: 3 nulls\n');
    // Attempt 1 of fit wrote no stderr file at all: that reads as empty.
    expect(f.sluice('logs', id, 'fit', '--attempt', '1')).toMatchObject({ code: 0, stdout: 'epoch 1\n' });
    expect(f.sluice('logs', id, 'fit', '--stderr').stdout).toBe('Traceback (most recent call last):\n  File "fit.py", line 3\nMemoryError\n');
    expect(f.sluice('logs', id, 'fit', '--stdout').stdout).toBe('epoch 1\nepoch 2\n');
    expect(f.sluice('logs', id, 'score[1]').stdout).toBe('no data\n');
    // A loop runs nothing itself: its logs are its iterations'.
    expect(f.sluice('logs', id, 'score').stdout).toBe('==> score[0] (attempt 1) <==\nauc 0.91\n\n==> score[1] (attempt 1) <==\nno data\n');
  });

  it('copies output that does not end in a newline exactly, and starts the next section on a line of its own', () => {
    const f = new StateFixture();
    const run = f.run('p', ['a', 'b']);
    f.attempt(run, 'a', 1, { start: T0, state: 'SUCCESS', stdout: 'progress 10%\rprogress 100%', stderr: 'é\u0000binary', task: { state: 'SUCCESS' } });
    f.attempt(run, 'b', 1, { start: T0, state: 'SUCCESS', stdout: '', task: { state: 'SUCCESS' } });
    f.finish(run, 'SUCCESS', T0 + 2000);
    expect(f.sluice('logs', String(run.id), 'a', '--stdout').stdout).toBe('progress 10%\rprogress 100%');
    expect(f.sluice('logs', String(run.id)).stdout)
      .toBe('==> a (attempt 1) <==\nprogress 10%\rprogress 100%\n--- stderr ---\né\u0000binary\n\n==> b (attempt 1) <==\n');
  });

  it('suggests the task meant, and refuses attempts that do not exist', () => {
    const { f, run } = failedNight();
    const id = String(run.id);
    expect(f.sluice('logs', id, 'fti')).toMatchObject({ code: 2, stdout: '', stderr: `sluice: run ${id} has no task 'fti'; did you mean 'fit'?\n` });
    expect(f.sluice('logs', id, 'deploy').stderr).toBe(`sluice: run ${id} has no task 'deploy'; \`sluice show ${id}\` lists its tasks\n`);
    expect(f.sluice('logs', id, 'fit', '--attempt', '5')).toMatchObject({ code: 2, stderr: `sluice: task 'fit' of run ${id} has no attempt 5; its attempts are 1 to 2\n` });
    expect(f.sluice('logs', id, 'prepare', '--attempt', '2').stderr).toBe(`sluice: task 'prepare' of run ${id} has no attempt 2; it has attempt 1 only\n`);
    expect(f.sluice('logs', id, '--attempt', '1')).toMatchObject({ code: 2, stderr: 'sluice: --attempt needs a task: sluice logs <run-id> <task> --attempt <n>\n' });
    expect(f.sluice('logs', id, 'fit', '--attempt', 'two').code).toBe(2);
    expect(f.sluice('logs', id, 'fit', '--attempt', '0').stderr).toContain('--attempt takes a whole number of 1 or more');
    expect(f.sluice('logs', id, 'fit', '--stdout', '--stderr')).toMatchObject({ code: 2, stdout: '' });
    expect(f.sluice('logs', '99')).toMatchObject({ code: 2, stderr: 'sluice: no run 99; `sluice runs` lists them\n' });
    expect(f.sluice('logs', 'last').code).toBe(2);
  });

  it('explains why a task has no output: it never ran, it ran as a child run, or it has not started yet', () => {
    const { f, run, child } = failedNight();
    const id = String(run.id);
    expect(f.sluice('logs', id, 'cleanup')).toMatchObject({
      code: 1, stdout: '', stderr: `sluice: task 'cleanup' of run ${id} never ran: it ended UPSTREAM_FAILED (upstream fit failed), so it has no output\n`,
    });
    expect(f.sluice('logs', id, 'publish').stderr).toBe(`sluice: task 'publish' of run ${id} ran as run ${child.id}; \`sluice logs ${child.id}\` shows its output\n`);
    expect(f.sluice('logs', String(child.id)).stdout).toBe('rendered\n');

    const live = f.run('train', ['prepare', 'fit']);
    expect(f.sluice('logs', String(live.id))).toMatchObject({ code: 0, stdout: '', stderr: `sluice: run ${live.id}: no task has started yet, so there is no output\n` });
    f.attempt(live, 'prepare', 1, { start: T0 });
    expect(f.sluice('logs', String(live.id), 'fit')).toMatchObject({
      code: 1, stderr: `sluice: task 'fit' of run ${live.id} has not started yet; \`sluice logs ${live.id} fit --follow\` waits for it\n`,
    });
    // Started, but nothing written yet: empty, not an error.
    expect(f.sluice('logs', String(live.id), 'prepare')).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });
});

/** The built CLI as a background process, for --follow. */
function startSluice(args: string[]) {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/bin/sluice.js'), ...args], { env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
  child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const within = async <T>(what: string, check: () => T | undefined, ms = 10_000): Promise<T> => {
    for (const deadline = Date.now() + ms; Date.now() < deadline;) {
      const value = check();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill();
    throw new Error(`timed out waiting for ${what}; stdout so far:\n${stdout}\nstderr:\n${stderr}`);
  };
  return {
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    get running() { return child.exitCode === null; },
    printed: (text: string) => within(JSON.stringify(text), () => (stdout.includes(text) ? true : undefined)),
    exited: async () => {
      let code: number | null | undefined;
      void exit.then((c) => { code = c; });
      await within('exit', () => (code === undefined ? undefined : { code, stdout, stderr }));
      return { code: code!, stdout, stderr };
    },
  };
}

describe('sluice logs --follow', () => {
  it('prints output as it is appended, moves on to a retry, and ends with the last bytes once the run ends', async () => {
    const f = new StateFixture();
    const run = f.run('train', ['prepare', 'fit']);
    const prepare = f.attempt(run, 'prepare', 1, { start: T0, stdout: 'loading\n' });
    const follow = startSluice(['logs', String(run.id), '--follow', '--state', f.file]);
    await follow.printed('==> prepare (attempt 1) <==\nloading\n');
    appendFileSync(prepare.stdout, 'loaded 1000 rows\n');
    await follow.printed('loaded 1000 rows\n');
    f.store.finishAttempt(run.id, 'prepare', 1, { state: 'SUCCESS', endMs: T0 + 1000, exitCode: 0 }, { state: 'SUCCESS' });

    const fit1 = f.attempt(run, 'fit', 1, { start: T0 + 1000, stdout: 'epoch 1\n' });
    await follow.printed('\n==> fit (attempt 1) <==\nepoch 1\n');
    appendFileSync(fit1.stderr, 'CUDA out of memory\n');
    await follow.printed('--- stderr ---\nCUDA out of memory\n');
    f.store.finishAttempt(run.id, 'fit', 1, { state: 'FAILED', endMs: T0 + 2000, exitCode: 1 }, { state: 'RETRY_WAIT' });
    const fit2 = f.attempt(run, 'fit', 2, { start: T0 + 3000 });
    await follow.printed('\n==> fit (attempt 2) <==\n');
    appendFileSync(fit2.stdout, 'epoch 1 again\n');
    await follow.printed('epoch 1 again\n');
    expect(follow.running).toBe(true);

    // Written just before the run ends: a follower that stops must still print it.
    appendFileSync(fit2.stdout, 'saved model\n');
    f.store.finishAttempt(run.id, 'fit', 2, { state: 'SUCCESS', endMs: T0 + 4000, exitCode: 0 }, { state: 'SUCCESS' });
    f.finish(run, 'SUCCESS', T0 + 4000);
    const { code, stdout, stderr } = await follow.exited();
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe([
      '==> prepare (attempt 1) <==', 'loading', 'loaded 1000 rows', '',
      '==> fit (attempt 1) <==', 'epoch 1', '--- stderr ---', 'CUDA out of memory', '',
      '==> fit (attempt 2) <==', 'epoch 1 again', 'saved model', '',
    ].join('\n'));
  });

  it('waits for a task that has not started, follows it through a retry, and stops when it ends', async () => {
    const f = new StateFixture();
    const run = f.run('train', ['prepare', 'fit']);
    const follow = startSluice(['logs', String(run.id), 'fit', '--follow', '--state', f.file]);
    await within(() => follow.stderr.includes(`waiting for task 'fit' to start`));
    const fit1 = f.attempt(run, 'fit', 1, { start: T0, stdout: 'epoch 1\n' });
    await follow.printed('epoch 1\n');
    appendFileSync(fit1.stdout, 'Killed');
    f.store.finishAttempt(run.id, 'fit', 1, { state: 'FAILED', endMs: T0 + 1000, signal: 'SIGKILL' }, { state: 'RETRY_WAIT' });
    const fit2 = f.attempt(run, 'fit', 2, { start: T0 + 2000, stdout: 'epoch 1\n' });
    await follow.printed('Killed\n\n==> fit (attempt 2) <==\nepoch 1\n');
    appendFileSync(fit2.stdout, 'done\n');
    f.store.finishAttempt(run.id, 'fit', 2, { state: 'SUCCESS', endMs: T0 + 3000, exitCode: 0 }, { state: 'SUCCESS' });
    // The run goes on (prepare never even started), but fit writes no more.
    const { code, stdout } = await follow.exited();
    expect(code).toBe(0);
    expect(stdout).toBe('epoch 1\nKilled\n\n==> fit (attempt 2) <==\nepoch 1\ndone\n');
  });

  it('stops when the runner process dies, printing what is left and how to resume', async () => {
    const f = new StateFixture();
    const run = f.run('train', ['fit']);
    const runner = spawn('sleep', ['60']);
    f.store.claimRun(run.id, runner.pid!, processStartTime(runner.pid!));
    const fit = f.attempt(run, 'fit', 1, { start: T0, stdout: 'epoch 1\n' });
    const follow = startSluice(['logs', String(run.id), 'fit', '--follow', '--state', f.file]);
    try {
      await follow.printed('epoch 1\n');
      appendFileSync(fit.stdout, 'epoch 2\n');
      expect(follow.running).toBe(true);
    } finally {
      runner.kill('SIGKILL');
    }
    const { code, stdout, stderr } = await follow.exited();
    expect(code).toBe(0);
    expect(stdout).toBe('epoch 1\nepoch 2\n');
    expect(stderr).toBe(`sluice: run ${run.id} was interrupted: its runner (pid ${runner.pid}) is gone; \`sluice resume ${run.id}\` continues it\n`);
  });

  it('prints a finished run and exits at once, as without --follow', () => {
    const { f, run } = failedNight();
    const followed = f.sluice('logs', String(run.id), 'fit', '--follow');
    expect(followed).toEqual(f.sluice('logs', String(run.id), 'fit'));
    expect(followed.code).toBe(0);
  });
});

async function within(check: () => boolean, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('timed out');
}
