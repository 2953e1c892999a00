// `sluice run`, `repair` and `cancel` end to end: real processes, a real
// SQLite state file, the built CLI as a user runs it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStateDatabase } from '../engine/state/database.js';
import { SCHEMA_VERSION } from '../engine/state/migrations.js';
import { RunStore } from '../engine/state/run-store.js';
import { isRunning, waitFor } from './run-helpers.js';
import { PROJECT_ROOT, runSluice } from './run-sluice.js';

let root: string;
let stateFile: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sluice-run-'));
  stateFile = join(root, 'state', 'state.db');
});

function pipelineFile(name: string, yaml: string, folder = root): string {
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

function run(file: string, ...args: string[]) {
  return runSluice(['run', file, '--state', stateFile, ...args]);
}

function lastRun() {
  const store = new RunStore(openStateDatabase(stateFile, { mustExist: true }));
  try {
    const run = store.runs({ limit: 1 })[0]!;
    return inspect(store, run.id);
  } finally {
    store.db.close();
  }
}

function runById(id: number) {
  const store = new RunStore(openStateDatabase(stateFile, { mustExist: true }));
  try {
    return inspect(store, id);
  } finally {
    store.db.close();
  }
}

function inspect(store: RunStore, id: number) {
  const run = store.run(id)!;
  const tasks = Object.fromEntries(store.taskRuns(id).map((t) => [t.task_key, t]));
  const values = Object.fromEntries(store.values(id));
  const attempts = store.attempts(id);
  return { run, tasks, values, attempts, state: (key: string) => tasks[key]?.state };
}

describe('the examples', () => {
  const example = (name: string) => join(PROJECT_ROOT, 'pipelines', 'examples', `${name}.yaml`);

  it('hello: parameters in, values out', () => {
    const result = run(example('hello'), '--param', 'who=Ada Lovelace');
    expect(result.stdout).toContain("of 'hello' SUCCESS");
    expect(result.code).toBe(0);
    const { values, attempts } = lastRun();
    expect(values.greet).toEqual({ length: String('hello, Ada Lovelace'.length) });
    const report = attempts.find((a) => a.task_key === 'report')!;
    expect(readFileSync(report.stdout_path!, 'utf8')).toMatch(/^greeting had 19 characters in run \d+\n$/);
  });

  it('retry: a flaky task succeeds on its third attempt', () => {
    const result = run(example('retry'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/flaky FAILED .*retry in/);
    const { attempts, state } = lastRun();
    expect(attempts.filter((a) => a.task_key === 'flaky').map((a) => a.state)).toEqual(['FAILED', 'FAILED', 'SUCCESS']);
    expect(state('done')).toBe('SUCCESS');
  });

  it('fanout: iteration values come back as one array in input order', () => {
    expect(run(example('fanout')).code).toBe(0);
    const { values, tasks } = lastRun();
    expect(values.square).toEqual({ square: '[1,4,9,16,25]' });
    expect(values.total).toEqual({ sum: '55' });
    expect(Object.keys(tasks).filter((k) => k.startsWith('square['))).toHaveLength(5);
  });

  it('branch: the condition picks a branch and cleanup always runs', () => {
    expect(run(example('branch')).code).toBe(0);
    let { state } = lastRun();
    expect([state('promote'), state('reject'), state('cleanup')]).toEqual(['SUCCESS', 'EXCLUDED', 'SUCCESS']);
    expect(run(example('branch'), '--param', 'min_score=0.95').code).toBe(0);
    ({ state } = lastRun());
    expect([state('promote'), state('reject'), state('cleanup')]).toEqual(['EXCLUDED', 'SUCCESS', 'SUCCESS']);
  });
});

describe('for_each', () => {
  it('renders references inside a YAML list of inputs, and fails clearly on inputs that are not an array', () => {
    const file = pipelineFile('list-inputs', `
name: list-inputs
parameters:
  - { name: region, default: eu }
tasks:
  - task_key: each
    for_each:
      inputs: ["{{job.parameters.region}}-1", { zone: "{{job.parameters.region}}-2" }]
      task:
        shell: echo "seen={{input}}" >> "$SLUICE_OUTPUT"
  - task_key: not_array
    shell: |
      echo 'list={"a": 1}' >> "$SLUICE_OUTPUT"
  - task_key: bad_loop
    depends_on: [not_array]
    for_each:
      inputs: "{{tasks.not_array.values.list}}"
      task:
        command: ["true"]
`);
    expect(run(file, '--param', 'region=us').code).toBe(1);
    const { values, tasks } = lastRun();
    expect(values.each).toEqual({ seen: JSON.stringify(['us-1', { zone: 'us-2' }]) });
    expect(tasks.bad_loop!.state).toBe('FAILED');
    expect(tasks.bad_loop!.state_message).toBe('for_each inputs must be a JSON array, not "{\\"a\\": 1}"');
  });
});

describe('for_each and repair', () => {
  it('a repair whose upstream yields fewer inputs runs those and skips the iterations that are gone', () => {
    const listFile = join(root, 'inputs.json');
    writeFileSync(listFile, '[1, 2, 3, 4]');
    const file = pipelineFile('shrinking', `
name: shrinking
tasks:
  - task_key: list
    shell: echo "items=$(cat ${JSON.stringify(listFile)})" >> "$SLUICE_OUTPUT"
  - task_key: each
    depends_on: [list]
    for_each:
      inputs: "{{tasks.list.values.items}}"
      task:
        shell: test {{input}} -lt 4 && echo "n={{input}}" >> "$SLUICE_OUTPUT"
`);
    expect(run(file).code).toBe(1);
    const first = lastRun();
    expect(first.state('each')).toBe('FAILED');
    writeFileSync(listFile, '[1, 2]');
    expect(runSluice(['repair', String(first.run.id), '--only', 'list+', '--state', stateFile]).code).toBe(0);
    const after = runById(first.run.id);
    expect(after.state('each')).toBe('SUCCESS');
    expect(after.values.each).toEqual({ n: '[1,2]' });
    expect(['each[0]', 'each[1]', 'each[2]', 'each[3]'].map(after.state)).toEqual(['SUCCESS', 'SUCCESS', 'SKIPPED', 'SKIPPED']);
  });
});

describe('for_each when the run stops', () => {
  it('cancels the running iteration and every one not started', () => {
    const file = pipelineFile('stopped-loop', `
name: stopped-loop
timeout_seconds: 1
tasks:
  - task_key: each
    for_each:
      inputs: '[${Array.from({ length: 3000 }, (_, i) => i).join(',')}]'
      task:
        command: [sleep, "5"]
`);
    expect(run(file).code).toBe(1);
    const { run: row, tasks } = lastRun();
    expect(row.state).toBe('TIMEDOUT');
    expect(tasks.each!.state).toBe('CANCELED');
    const iterations = Object.values(tasks).filter((t) => t.parent_task_key === 'each');
    expect(iterations).toHaveLength(3000);
    expect(iterations.every((t) => t.state === 'CANCELED')).toBe(true);
  });
});

describe('failures', () => {
  it('shows the end of stderr, marks dependents upstream-failed and runs failure handlers', () => {
    const file = pipelineFile('fails', `
name: fails
tasks:
  - task_key: train
    shell: |
      echo "loading data" >&2
      echo "ValueError: bad column" >&2
      exit 3
  - task_key: evaluate
    depends_on: [train]
    command: ["true"]
  - task_key: alert
    depends_on: [train]
    run_if: at_least_one_failed
    command: [echo, "{{tasks.train.result_state}}"]
`);
    const result = run(file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('train FAILED');
    expect(result.stdout).toContain('exit code 3; stderr ends:');
    expect(result.stdout).toContain('ValueError: bad column');
    const { run: row, state, attempts } = lastRun();
    expect(row.state).toBe('FAILED');
    expect(state('evaluate')).toBe('UPSTREAM_FAILED');
    expect(state('alert')).toBe('SUCCESS');
    expect(readFileSync(attempts.find((a) => a.task_key === 'alert')!.stdout_path!, 'utf8')).toBe('FAILED\n');
  });

  it('a run whose leaves succeed after a handled failure succeeds with failures', () => {
    const file = pipelineFile('handled', `
name: handled
tasks:
  - task_key: flaky
    command: ["false"]
  - task_key: fallback
    depends_on: [flaky]
    run_if: all_done
    command: ["true"]
`);
    expect(run(file).code).toBe(0);
    expect(lastRun().run.state).toBe('SUCCESS_WITH_FAILURES');
  });

  it('retries only the exit codes listed in retry_on_exit_codes', () => {
    const file = pipelineFile('exit-codes', `
name: exit-codes
tasks:
  - task_key: permanent
    max_retries: 3
    retry_on_exit_codes: [75]
    command: [bash, -c, "exit 2"]
  - task_key: transient
    max_retries: 2
    retry_on_exit_codes: [75]
    command: [bash, -c, "exit 75"]
`);
    expect(run(file).code).toBe(1);
    const { attempts } = lastRun();
    expect(attempts.filter((a) => a.task_key === 'permanent').map((a) => a.exit_code)).toEqual([2]);
    expect(attempts.filter((a) => a.task_key === 'transient').map((a) => a.exit_code)).toEqual([75, 75, 75]);
  });

  it('a timeout kills the whole process tree, and retry_on_timeout retries it', async () => {
    const pidFile = join(root, 'grandchild.pid');
    const file = pipelineFile('timeout', `
name: timeout
tasks:
  - task_key: slow
    timeout_seconds: 1
    max_retries: 1
    retry_on_timeout: true
    shell: |
      sleep 60 &
      echo $! >> ${JSON.stringify(pidFile)}
      wait
`);
    const started = Date.now();
    const result = runSluice(['run', file, '--state', stateFile], root);
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    const { attempts, state } = lastRun();
    expect(state('slow')).toBe('TIMEDOUT');
    expect(attempts.map((a) => a.state)).toEqual(['TIMEDOUT', 'TIMEDOUT']);
    expect(attempts[0]!.error).toContain('timed out after 1 s');
    for (const pid of readFileSync(pidFile, 'utf8').trim().split('\n').map(Number)) await waitFor('the grandchild to end', () => !isRunning(pid) || undefined, 5000);
  });

  it('a run over its timeout_seconds ends TIMEDOUT with its tasks canceled', () => {
    const file = pipelineFile('run-timeout', `
name: run-timeout
timeout_seconds: 1
tasks:
  - task_key: slow
    command: [sleep, "30"]
  - task_key: after
    depends_on: [slow]
    command: ["true"]
`);
    const result = run(file);
    expect(result.code).toBe(1);
    const { run: row, state } = lastRun();
    expect(row.state).toBe('TIMEDOUT');
    expect(row.state_message).toContain('timed out after 1 s');
    expect([state('slow'), state('after')]).toEqual(['CANCELED', 'CANCELED']);
  });

  it.each([
    ['a program that does not exist', 'command: [no-such-program-xyz]', 'command not found: no-such-program-xyz'],
    ['a working_dir that does not exist', 'command: ["true"]\n    working_dir: missing/folder', 'missing/folder does not exist'],
    ['values over 1 MiB', `shell: head -c 1200000 /dev/zero | tr '\\\\0' a | sed 's/^/big=/' > "$SLUICE_OUTPUT"`, 'the limit is 1 MiB'],
    ['a values file that is not name=value', 'shell: echo "no equals sign" > "$SLUICE_OUTPUT"', 'line 1 is not name=value'],
  ])('fails clearly on %s', (_, body, message) => {
    const file = pipelineFile('bad-task', `name: bad-task\ntasks:\n  - task_key: t\n    max_retries: 2\n    ${body}\n`);
    const result = run(file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(message);
    const { attempts } = lastRun();
    // The same failure on every try: no retries.
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.error).toContain(message);
  });
});

describe('parameters, environment and values', () => {
  it('passes parameters as SLUICE_PARAM_*, env with references, and working_dir', () => {
    const work = join(root, 'work');
    mkdirSync(work, { recursive: true });
    const file = pipelineFile('env', `
name: env
parameters:
  - { name: region, default: eu }
task_defaults:
  env: { STAGE: prod }
tasks:
  - task_key: first
    shell: echo "path=$PWD" >> "$SLUICE_OUTPUT"
    working_dir: work
  - task_key: second
    depends_on: [first]
    env: { FROM_FIRST: "{{tasks.first.values.path}}", RUN: "{{job.run_id}}" }
    shell: echo "seen=$SLUICE_PARAM_REGION $STAGE $FROM_FIRST $RUN" >> "$SLUICE_OUTPUT"
`);
    expect(run(file, '--param', 'region=us').code).toBe(0);
    const { values, run: row } = lastRun();
    expect(values.first).toEqual({ path: work });
    expect(values.second).toEqual({ seen: `us prod ${work} ${row.id}` });
  });

  it('refuses bad parameters and bad pipelines before anything runs', () => {
    const file = pipelineFile('params', 'name: params\nparameters:\n  - { name: epochs, type: integer }\ntasks:\n  - task_key: t\n    command: [echo, "{{job.parameters.epochs}}"]\n');
    let result = run(file, '--param', 'epoch=3');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("has no parameter 'epoch'; did you mean 'epochs'?");
    result = run(file, '--param', 'epochs=many');
    expect(result.stderr).toContain("parameter 'epochs' must be an integer");
    result = run(file);
    expect(result.stderr).toContain('needs --param epochs=…');
    result = run(file, '--param', 'epochs=3', '--concurrency', '0');
    expect(result.stderr).toContain('--concurrency must be a whole number');
    const broken = pipelineFile('broken', 'name: broken\ntasks:\n  - task_key: a\n    depends_on: [b]\n    command: ["true"]\n');
    result = run(broken);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("task 'a' depends on unknown task 'b'");
    expect(result.stderr).toContain('nothing was run');
  });
});

describe('output', () => {
  it('on a terminal, shows a compact live status line instead of a line per state change', () => {
    // script(1) gives the command a pseudo-terminal, as an interactive shell would.
    const command = `${process.execPath} ${SLUICE_BIN} run ${join(PROJECT_ROOT, 'pipelines/examples/hello.yaml')} --state ${stateFile}`;
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, CI: undefined, NO_COLOR: '1' } as NodeJS.ProcessEnv });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/\r\x1b\[2K. [0-2]\/2 done · \d+ms/);
    // Successes show in the status line, not as lines of their own.
    expect(result.stdout).not.toContain('greet RUNNING');
    expect(result.stdout).not.toContain('greet SUCCESS');
    // The status line is erased before the summary.
    expect(result.stdout).toMatch(/\r\x1b\[2Krun \d+ of 'hello' SUCCESS/);
  });

  it('on a terminal, still prints a line for each failure and retry', () => {
    const command = `${process.execPath} ${SLUICE_BIN} run ${join(PROJECT_ROOT, 'pipelines/examples/retry.yaml')} --state ${stateFile}`;
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, CI: undefined, NO_COLOR: '1' } as NodeJS.ProcessEnv });
    expect(result.status).toBe(0);
    expect(result.stdout.match(/flaky FAILED \d+ms, retry in/g)).toHaveLength(2);
    expect(result.stdout).not.toContain('done SUCCESS');
  });

  it('in a pipe, prints plain lines only', () => {
    const result = run(join(PROJECT_ROOT, 'pipelines/examples/hello.yaml'));
    expect(result.stdout).not.toMatch(/\x1b|\r/);
    expect(result.stdout.split('\n').slice(0, 3)).toEqual([expect.stringMatching(/^run \d+ of 'hello'$/), 'greet RUNNING', expect.stringMatching(/^greet SUCCESS \d+ms$/)]);
  });
});

describe('state', () => {
  it('refuses a state database from a newer Sluice', () => {
    const newer = join(root, 'newer.db');
    const db = openStateDatabase(newer);
    db.pragma('user_version = 99');
    db.close();
    const file = pipelineFile('tiny2', 'name: tiny2\ntasks:\n  - task_key: t\n    command: ["true"]\n');
    const result = runSluice(['run', file, '--state', newer]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`has schema version 99, newer than this Sluice understands (${SCHEMA_VERSION}); upgrade Sluice`);
  });

  it('records the pipeline YAML, its hash and git commit, and honours SLUICE_HOME', () => {
    const repo = join(root, 'repo');
    mkdirSync(repo, { recursive: true });
    const file = pipelineFile('versioned', 'name: versioned\ntasks:\n  - task_key: t\n    command: ["true"]\n', repo);
    const git = (...args: string[]) => runGit(repo, args);
    const runWithHome = (args: string[]) => runSluice(args, root, { SLUICE_HOME: home });
    git('init', '-q');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
    const home = join(root, 'home');
    expect(runWithHome(['run', file]).code).toBe(0);
    writeFileSync(file, `${readFileSync(file, 'utf8')}# edited\n`);
    expect(runWithHome(['run', file]).code).toBe(0);
    const store = new RunStore(openStateDatabase(join(home, 'state.db'), { mustExist: true }));
    const versions = store.runs().map((r) => store.pipelineVersion(r.pipeline_version_id)!);
    store.db.close();
    expect(versions).toHaveLength(2);
    const commit = git('rev-parse', 'HEAD').trim();
    expect(versions.map((v) => [v.git_commit, v.git_dirty])).toEqual([[commit, 1], [commit, 0]]);
    expect(versions[0]!.yaml).toContain('# edited');
    expect(existsSync(join(home, 'runs'))).toBe(true);
  });

  it('refuses a file that is not a state database, and does not touch it', () => {
    const bogus = join(root, 'bogus.db');
    writeFileSync(bogus, 'not sqlite at all, just text that is long enough to have a header'.repeat(20));
    const before = readFileSync(bogus, 'utf8');
    const file = pipelineFile('tiny', 'name: tiny\ntasks:\n  - task_key: t\n    command: ["true"]\n');
    const result = runSluice(['run', file, '--state', bogus]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a SQLite database');
    expect(readFileSync(bogus, 'utf8')).toBe(before);
  });
});

describe('repair and cancel', () => {
  it('repair reruns the failed task and what follows it, keeping succeeded values', () => {
    const flag = join(root, 'fixed');
    const marks = join(root, 'repair-marks');
    const file = pipelineFile('repairable', `
name: repairable
tasks:
  - task_key: prepare
    shell: echo prepare >> ${JSON.stringify(marks)}; echo "rows=42" >> "$SLUICE_OUTPUT"
  - task_key: train
    depends_on: [prepare]
    shell: echo train >> ${JSON.stringify(marks)}; test -e ${JSON.stringify(flag)}
  - task_key: report
    depends_on: [train]
    command: [echo, "rows {{tasks.prepare.values.rows}} repair {{job.repair_count}}"]
`);
    expect(run(file).code).toBe(1);
    const first = lastRun();
    expect(first.state('report')).toBe('UPSTREAM_FAILED');
    writeFileSync(flag, '');
    const repaired = runSluice(['repair', String(first.run.id), '--state', stateFile]);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain('repair 1');
    const after = runById(first.run.id);
    expect(after.run.state).toBe('SUCCESS');
    expect(after.run.repair_count).toBe(1);
    expect(readFileSync(marks, 'utf8')).toBe('prepare\ntrain\ntrain\n');
    const report = after.attempts.find((a) => a.task_key === 'report')!;
    expect(readFileSync(report.stdout_path!, 'utf8')).toBe('rows 42 repair 1\n');
    // Attempt numbers go on across the repair, so the first attempt's logs stay.
    expect(after.attempts.filter((a) => a.task_key === 'train').map((a) => [a.attempt, a.state])).toEqual([[1, 'FAILED'], [2, 'SUCCESS']]);

    const again = runSluice(['repair', String(first.run.id), '--state', stateFile]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('nothing to repair');
    const selected = runSluice(['repair', String(first.run.id), '--only', '+train', '--state', stateFile]);
    expect(selected.code).toBe(0);
    expect(readFileSync(marks, 'utf8')).toBe('prepare\ntrain\ntrain\nprepare\ntrain\n');
  });

  it('cancel from another process stops the run and its processes', async () => {
    const pidFile = join(root, 'cancel.pid');
    const file = pipelineFile('cancelable', `
name: cancelable
tasks:
  - task_key: long
    shell: |
      echo $$ > ${JSON.stringify(pidFile)}
      sleep 60
  - task_key: after
    depends_on: [long]
    command: ["true"]
`);
    const { exited } = startSluice(['run', file, '--state', stateFile]);
    const taskPid = await pidWrittenTo(pidFile);
    const runId = lastRun().run.id;
    const result = runSluice(['cancel', String(runId), '--state', stateFile]);
    expect(result.stdout).toContain(`run ${runId} CANCELED`);
    expect(await exited).toBe(1);
    await waitFor('the task to end', () => !isRunning(taskPid) || undefined, 5000);
    const { run: row, state } = runById(runId);
    expect(row.state).toBe('CANCELED');
    expect([state('long'), state('after')]).toEqual(['CANCELED', 'CANCELED']);
    expect(runSluice(['cancel', String(runId), '--state', stateFile]).stderr).toContain('has already finished (CANCELED)');
  });
});

describe('Ctrl-C', () => {
  it('cancels the run, stops its processes and records why', async () => {
    const pidFile = join(root, 'interrupt.pid');
    const file = pipelineFile('interruptible', `
name: interruptible
tasks:
  - task_key: long
    shell: |
      echo $$ > ${JSON.stringify(pidFile)}
      sleep 60
`);
    const { child: runner, exited } = startSluice(['run', file, '--state', stateFile]);
    const taskPid = await pidWrittenTo(pidFile);
    runner.kill('SIGINT');
    expect(await exited).toBe(1);
    await waitFor('the task to end', () => !isRunning(taskPid) || undefined, 5000);
    const { run: row, tasks } = lastRun();
    expect(row.state).toBe('CANCELED');
    expect(row.state_message).toBe('canceled with Ctrl-C');
    expect(tasks.long!.state).toBe('CANCELED');
  });
});

describe('logs --follow', () => {
  it('prints a running task\'s output as it comes and stops when the task ends', async () => {
    const started = join(root, 'follow.started');
    const file = pipelineFile('chatty', `
name: chatty
tasks:
  - task_key: talk
    shell: |
      touch ${JSON.stringify(started)}
      for i in 1 2 3 4 5; do echo "line $i"; sleep 0.2; done
`);
    const { exited: ran } = startSluice(['run', file, '--state', stateFile]);
    await waitFor('the task to start', () => existsSync(started) || undefined, 15_000);
    const runId = lastRun().run.id;
    const follower = startSluice(['logs', String(runId), 'talk', '--follow', '--state', stateFile]);
    const code = await follower.exited;
    await ran;
    expect(code).toBe(0);
    expect(follower.output()).toBe('line 1\nline 2\nline 3\nline 4\nline 5\n');
  });
});

describe('run_pipeline', () => {
  it('runs another pipeline of the same folder as a child run', () => {
    const folder = join(root, 'family');
    pipelineFile('child', `
name: child
parameters:
  - { name: greeting }
tasks:
  - task_key: say
    shell: echo "said={{job.parameters.greeting}} by {{job.trigger.type}}" >> "$SLUICE_OUTPUT"
`, folder);
    const parent = pipelineFile('parent', `
name: parent
tasks:
  - task_key: call
    run_pipeline: { pipeline: child, parameters: { greeting: hi } }
  - task_key: after
    depends_on: [call]
    command: [echo, "child run {{tasks.call.values.run_id}}"]
`, folder);
    expect(run(parent).code).toBe(0);
    const store = new RunStore(openStateDatabase(stateFile, { mustExist: true }));
    const [childRun, parentRun] = store.runs({ limit: 2 });
    const childValues = store.values(childRun!.id);
    const parentValues = store.values(parentRun!.id);
    store.db.close();
    expect(childRun!.parent_run_id).toBe(parentRun!.id);
    expect(childValues.get('say')).toEqual({ said: 'hi by pipeline' });
    expect(parentValues.get('call')).toEqual({ run_id: String(childRun!.id), result_state: 'SUCCESS' });
  });
});

describe('run_pipeline checked before running', () => {
  it('refuses a call to a pipeline that is not in the folder, with a suggestion, and runs nothing', () => {
    const folder = join(root, 'typo-family');
    pipelineFile('child', 'name: child\ntasks:\n  - task_key: t\n    command: ["true"]\n', folder);
    const parent = pipelineFile('parent', 'name: parent\ntasks:\n  - task_key: call\n    run_pipeline: { pipeline: chlid }\n', folder);
    const before = runSluice(['runs', '--json', '--state', stateFile]).stdout;
    const result = run(parent);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/parent\.yaml:4:\d+: error: .*'chlid'.*did you mean 'child'\?/);
    expect(result.stderr).toContain('nothing was run');
    expect(runSluice(['runs', '--json', '--state', stateFile]).stdout).toBe(before);
  });
});

describe('canceling a child run', () => {
  it('stops that run only; its parent records the task as canceled and goes on', async () => {
    const folder = join(root, 'cancel-family');
    const pidFile = join(folder, 'child.pid');
    pipelineFile('slow-child', `
name: slow-child
tasks:
  - task_key: wait
    shell: |
      echo $$ > ${JSON.stringify(pidFile)}
      sleep 60
`, folder);
    const parent = pipelineFile('caller', `
name: caller
tasks:
  - task_key: call
    run_pipeline: { pipeline: slow-child }
  - task_key: report
    depends_on: [call]
    run_if: all_done
    command: [echo, "child ended {{tasks.call.result_state}}"]
`, folder);
    const { exited } = startSluice(['run', parent, '--state', stateFile]);
    await pidWrittenTo(pidFile);
    const child = lastRun();
    expect(child.run.pipeline).toBe('slow-child');
    expect(runSluice(['cancel', String(child.run.id), '--state', stateFile]).stdout).toContain(`run ${child.run.id} CANCELED`);
    expect(await exited).toBe(0);
    const parentRun = runById(child.run.parent_run_id!);
    expect(parentRun.run.state).toBe('SUCCESS_WITH_FAILURES');
    expect([parentRun.state('call'), parentRun.state('report')]).toEqual(['CANCELED', 'SUCCESS']);
  });
});

describe('resume with a child run', () => {
  it('goes on with the interrupted child run and never reruns its succeeded tasks', async () => {
    const folder = join(root, 'resume-family');
    const marks = join(folder, 'marks');
    pipelineFile('kid', `
name: kid
tasks:
  - task_key: first
    shell: echo first >> ${JSON.stringify(marks)}
  - task_key: slow
    depends_on: [first]
    shell: |
      echo $$ > ${JSON.stringify(join(folder, 'slow.pid'))}
      sleep 1
      echo slow >> ${JSON.stringify(marks)}
`, folder);
    const parent = pipelineFile('mom', `
name: mom
tasks:
  - task_key: call
    run_pipeline: { pipeline: kid }
`, folder);
    const { child: runner, exited } = startSluice(['run', parent, '--state', stateFile]);
    await pidWrittenTo(join(folder, 'slow.pid'));
    runner.kill('SIGKILL');
    await exited;
    const child = lastRun();
    expect(child.run.pipeline).toBe('kid');
    const resumed = runSluice(['resume', String(child.run.parent_run_id), '--state', stateFile]);
    expect(resumed.code).toBe(0);
    const after = runById(child.run.id);
    expect(after.run.state).toBe('SUCCESS');
    expect(after.attempts.filter((a) => a.task_key === 'slow').map((a) => a.state)).toEqual(['LOST', 'SUCCESS']);
    expect(readFileSync(marks, 'utf8').split('\n').filter((line) => line === 'first')).toHaveLength(1);
    expect(runById(child.run.parent_run_id!).run.state).toBe('SUCCESS');
  });
});

describe('two runners on one new state database', () => {
  it('both create it, run and record their runs', async () => {
    const fresh = join(root, 'shared-state', 'state.db');
    const file = pipelineFile('shared', `name: shared\ntasks:\n${Array.from({ length: 20 }, (_, i) => `  - task_key: t${i}\n    command: ["true"]\n`).join('')}`);
    const start = () => startSluice(['run', file, '--state', fresh]).exited;
    expect(await Promise.all([start(), start()])).toEqual([0, 0]);
    const store = new RunStore(openStateDatabase(fresh, { mustExist: true }));
    const runs = store.runs();
    const finished = runs.map((r) => store.taskRuns(r.id).filter((t) => t.state === 'SUCCESS').length);
    store.db.close();
    expect(runs.map((r) => r.state)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(finished).toEqual([20, 20]);
  });
});

describe('concurrency', () => {
  it('never runs more processes at once than --concurrency', () => {
    const tasks = Array.from({ length: 6 }, (_, i) => `  - task_key: t${i}\n    command: [sleep, "0.3"]\n`).join('');
    const file = pipelineFile('parallel', `name: parallel\ntasks:\n${tasks}`);
    expect(run(file, '--concurrency', '2').code).toBe(0);
    const { attempts } = lastRun();
    const edges = attempts.flatMap((a) => [[a.start_ms, 1], [a.end_ms!, -1]] as [number, number][]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let running = 0;
    let most = 0;
    for (const [, delta] of edges) most = Math.max(most, running += delta);
    expect(most).toBe(2);
  });
});

const SLUICE_BIN = join(PROJECT_ROOT, 'dist/bin/sluice.js');

/** Starts `sluice <args>` in the background, as from another terminal; `output()` is its stdout so far. */
function startSluice(args: string[]) {
  const child = spawn(process.execPath, [SLUICE_BIN, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, output: () => stdout };
}

/** Waits until a task has written its pid to `file`, and returns it. */
function pidWrittenTo(file: string): Promise<number> {
  return waitFor(`a pid in ${file}`, () => {
    const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    return text === '' ? undefined : Number(text);
  }, 15_000);
}

function runGit(cwd: string, args: string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}
