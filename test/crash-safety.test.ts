// kill -9 of `sluice run` (and of `sluice resume`) at random moments: the
// state database stays consistent, resume settles what was running as LOST,
// stops the processes the dead runner left, retries them, and never runs a
// succeeded task again. Every task appends "<task> <attempt>" to a marker
// file as its last act, so the marker file tells what really ran.
//
// Kill times come from a seeded PRNG; set SLUICE_CRASH_SEED to replay a
// failure (timings still vary a little from machine to machine).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isRunning, openStateReadonly, processesWithEnv, seededRandom, sleep, sluiceAsync, startSluice, tempFolder, waitFor, type Finished,
} from './run-helpers.js';

const SEED = Number(process.env.SLUICE_CRASH_SEED ?? 20260105);
const MIN_CYCLES = 20;
const CONCURRENCY = '3';

interface Step {
  key: string;
  deps: string[];
  sleep: string;
  /** Writes its values as one JSON object instead of name=value lines. */
  json?: boolean;
  /** Its first attempt fails (exit 3); max_retries lets the second one run. */
  flaky?: boolean;
  /** A for_each over this many inputs; each iteration runs the step's script. */
  loop?: number;
}

// Two roots, a fan-in written as JSON, a flaky task that retries, a for_each
// and a final fan-in: 11 processes, at most 3 at a time.
const STEPS: readonly Step[] = [
  { key: 'extract_a', deps: [], sleep: '0.06' },
  { key: 'extract_b', deps: [], sleep: '0.04' },
  { key: 'clean_a', deps: ['extract_a'], sleep: '0.05' },
  { key: 'clean_b', deps: ['extract_b'], sleep: '0.07' },
  { key: 'flaky', deps: ['extract_a'], sleep: '0.03', flaky: true },
  { key: 'join', deps: ['clean_a', 'clean_b'], sleep: '0.05', json: true },
  { key: 'square', deps: ['join'], sleep: '0.05', loop: 3 },
  { key: 'stats', deps: ['join', 'flaky'], sleep: '0.04' },
  { key: 'report', deps: ['square', 'stats'], sleep: '0.03' },
];

/**
 * Each task's value `v` is `<task key>@<attempt>(<upstream v>,…)`, built
 * from the upstream values it was handed: the final values prove which
 * attempt of every upstream task a downstream task saw.
 */
function script(step: Step): string {
  const upstream = step.deps.map((dep) => `{{tasks.${dep}.values.v}}`).join('","');
  const lines = [`sleep ${step.sleep}`];
  if (step.flaky) lines.push(`if [ "$SLUICE_ATTEMPT" = 1 ]; then echo 'the first attempt fails' >&2; exit 3; fi`);
  lines.push(`v="$SLUICE_TASK_KEY@$SLUICE_ATTEMPT(${upstream ? `"${upstream}"` : ''})"`);
  lines.push(step.json
    ? `printf '{"v": "%s", "attempt": %s}\\n' "$v" "$SLUICE_ATTEMPT" > "$SLUICE_OUTPUT"`
    : `printf 'v=%s\\nattempt=%s\\n' "$v" "$SLUICE_ATTEMPT" >> "$SLUICE_OUTPUT"`);
  lines.push('echo "$SLUICE_TASK_KEY $SLUICE_ATTEMPT" >> "$SLUICE_PARAM_MARKER"');
  return lines.map((line) => `      ${line}`).join('\n');
}

function pipelineYaml(): string {
  const tasks = STEPS.map((step) => {
    const head = [`  - task_key: ${step.key}`];
    if (step.deps.length > 0) head.push(`    depends_on: [${step.deps.join(', ')}]`);
    if (step.flaky) head.push('    max_retries: 2', '    min_retry_interval_millis: 150');
    if (step.loop) {
      const inputs = Array.from({ length: step.loop }, (_, i) => i + 1).join(', ');
      return [...head, '    for_each:', `      inputs: [${inputs}]`, '      concurrency: 2', '      task:', '        shell: |',
        script(step).replaceAll(/^ {6}/gm, '          ')].join('\n');
    }
    return [...head, '    shell: |', script(step)].join('\n');
  });
  return `name: crash-safety\nparameters: [{ name: marker }]\ntasks:\n${tasks.join('\n')}\n`;
}

/** The process tasks: a for_each counts by its iterations. */
const PROCESS_KEYS: readonly string[] = STEPS.flatMap((step) =>
  step.loop ? Array.from({ length: step.loop }, (_, i) => `${step.key}[${i}]`) : [step.key]);

/** What every task's `v` must be, given the attempt of each process task that succeeded. */
function expectedValues(succeeded: ReadonlyMap<string, number>): Map<string, string> {
  const out = new Map<string, string>();
  const of = (key: string): string => out.get(key)!;
  for (const step of STEPS) {
    const upstream = step.deps.map(of).join(',');
    if (step.loop) {
      const items = Array.from({ length: step.loop }, (_, i) => {
        const key = `${step.key}[${i}]`;
        out.set(key, `${key}@${succeeded.get(key)}(${upstream})`);
        return of(key);
      });
      out.set(step.key, JSON.stringify(items));
    } else {
      out.set(step.key, `${step.key}@${succeeded.get(step.key)}(${upstream})`);
    }
  }
  return out;
}

interface TaskRow { task_key: string; parent_task_key: string | null; state: string; attempt_count: number }
interface AttemptRow { task_key: string; attempt: number; state: string; pid: number | null }

/** The run as the database holds it at this moment. */
interface Snapshot {
  runState: string;
  tasks: Map<string, TaskRow>;
  attempts: Map<string, AttemptRow[]>;
  values: Map<string, Record<string, string>>;
}

/**
 * Reads the database as another process would right after a kill, and
 * checks that it is sound and that every row agrees with the others.
 */
function inspect(db: string, runId: number, context: string): Snapshot {
  const sqlite = openStateReadonly(db);
  try {
    expect(sqlite.pragma('integrity_check', { simple: true }), `${context}: PRAGMA integrity_check`).toBe('ok');
    expect(sqlite.pragma('foreign_key_check'), `${context}: PRAGMA foreign_key_check`).toEqual([]);
    const run = sqlite.prepare('SELECT state FROM runs WHERE id = ?').get(runId) as { state: string };
    const tasks = new Map((sqlite.prepare('SELECT * FROM task_runs WHERE run_id = ?').all(runId) as TaskRow[]).map((t) => [t.task_key, t]));
    const attempts = new Map<string, AttemptRow[]>();
    for (const a of sqlite.prepare('SELECT * FROM attempts WHERE run_id = ? ORDER BY task_key, attempt').all(runId) as AttemptRow[]) {
      attempts.set(a.task_key, [...attempts.get(a.task_key) ?? [], a]);
    }
    const values = new Map<string, Record<string, string>>();
    for (const row of sqlite.prepare('SELECT task_key, name, value FROM task_values WHERE run_id = ?').all(runId) as { task_key: string; name: string; value: string }[]) {
      values.set(row.task_key, { ...values.get(row.task_key), [row.name]: row.value });
    }
    const snapshot = { runState: run.state, tasks, attempts, values };
    checkAgreement(snapshot, context);
    return snapshot;
  } finally {
    sqlite.close();
  }
}

function checkAgreement({ tasks, attempts, values }: Snapshot, context: string): void {
  for (const step of STEPS) expect(tasks.has(step.key), `${context}: task row of ${step.key}`).toBe(true);
  for (const key of PROCESS_KEYS) {
    const task = tasks.get(key);
    const list = attempts.get(key) ?? [];
    const where = `${context}: task ${key} (${task?.state ?? 'no row yet'}, attempts ${list.map((a) => `${a.attempt}:${a.state}`).join(' ') || 'none'})`;
    if (!task) {
      // Iteration rows appear when the loop starts.
      expect(list, where).toEqual([]);
      continue;
    }
    expect(list.map((a) => a.attempt), `${where}: attempts are numbered 1…attempt_count`).toEqual(Array.from({ length: task.attempt_count }, (_, i) => i + 1));
    const last = list.at(-1);
    for (const a of list.slice(0, -1)) expect(['FAILED', 'LOST'], `${where}: an earlier attempt ended`).toContain(a.state);
    if (last?.state === 'RUNNING') expect(task.state, `${where}: a running attempt has a running task`).toBe('RUNNING');
    if (task.state === 'SUCCESS') {
      expect(last?.state, `${where}: a succeeded task's last attempt succeeded`).toBe('SUCCESS');
      expect(Object.keys(values.get(key) ?? {}).sort(), `${where}: its values were saved with its success`).toEqual(['attempt', 'v']);
    } else {
      expect(last?.state, `${where}: only a succeeded task has a succeeded attempt`).not.toBe('SUCCESS');
      expect(values.get(key), `${where}: values belong to succeeded tasks only`).toBeUndefined();
    }
  }
}

interface MarkerLine { task: string; attempt: number }

function readMarker(file: string): MarkerLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((line) => line !== '').map((line) => {
    const match = /^(\S+) (\d+)$/.exec(line);
    if (!match) throw new Error(`malformed marker line ${JSON.stringify(line)} in ${file}`);
    return { task: match[1]!, attempt: Number(match[2]) };
  });
}

/** Waits `delayMs`, then kills `-9` unless the process has already ended. */
async function killAfter(running: ReturnType<typeof startSluice>, delayMs: number): Promise<Finished> {
  const ended = await Promise.race([running.exited, sleep(delayMs).then(() => undefined)]);
  if (!ended) running.child.kill('SIGKILL');
  return running.exited;
}

describe('kill -9 of the runner', () => {
  const dir = tempFolder('crash', { 'pipeline.yaml': pipelineYaml() });
  const pipeline = join(dir, 'pipeline.yaml');
  const db = join(dir, 'state.db');
  const state = ['--state', db];
  const leftovers: number[] = [];

  /** One run without a crash; it also times how long node takes to record a run, and a whole run. */
  let baseline: Promise<{ runId: number; marker: string; startupMillis: number; runMillis: number }> | undefined;
  function runBaseline() {
    baseline ??= (async () => {
      const marker = join(dir, 'marker-baseline');
      const done = await sluiceAsync(['run', pipeline, '--param', `marker=${marker}`, '--concurrency', CONCURRENCY, ...state]);
      expect(done.code, done.stdout + done.stderr).toBe(0);
      const sqlite = openStateReadonly(db);
      try {
        const run = sqlite.prepare('SELECT id, created_ms FROM runs ORDER BY id DESC LIMIT 1').get() as { id: number; created_ms: number };
        return { runId: run.id, marker, startupMillis: run.created_ms - done.startedMs, runMillis: done.millis };
      } finally {
        sqlite.close();
      }
    })();
    return baseline;
  }

  /** The newest run as `sluice runs --json` lists it; none when the database does not exist yet. */
  async function newestRun(context = 'before the first scenario'): Promise<{ id: number; state: string } | undefined> {
    const runs = await sluiceAsync(['runs', '--json', ...state]);
    if (runs.code !== 0 && runs.stderr.includes('no state database')) return undefined;
    expect(runs.code, `${context}: sluice runs: ${runs.stderr}`).toBe(0);
    return (JSON.parse(runs.stdout) as { id: number; state: string }[])[0];
  }

  afterAll(() => {
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });

  it('without a crash, runs every task once and passes each value downstream', async () => {
    const { runId, marker } = await runBaseline();
    const snapshot = inspect(db, runId, 'baseline');
    expect(snapshot.runState).toBe('SUCCESS');
    const succeeded = new Map(PROCESS_KEYS.map((key) => [key, key === 'flaky' ? 2 : 1]));
    const expected = expectedValues(succeeded);
    for (const step of STEPS) expect(snapshot.values.get(step.key)?.v, step.key).toBe(expected.get(step.key));
    expect(readMarker(marker).map((m) => `${m.task} ${m.attempt}`).sort()).toEqual([...succeeded].map(([k, a]) => `${k} ${a}`).sort());
  });

  it(`leaves a consistent database at any moment, and resume finishes the run without running a succeeded task twice (seed ${SEED})`, async () => {
    const { runId: baselineRunId, startupMillis, runMillis } = await runBaseline();
    const random = seededRandom(SEED);
    // One kill in six lands while node starts and records the run (often before the run exists);
    // the others spread over the tasks' time, a little past its end.
    const working = runMillis - startupMillis;
    const delays = {
      run: () => Math.round(random() < 1 / 6 ? random() * (startupMillis + 20) : startupMillis + random() * 1.1 * working),
      resume: (resumes: number) => (resumes < 3 && random() < 0.4 ? Math.round(random() * runMillis) : undefined),
    };
    const counts: Counts = { cycles: 0, noRunYet: 0, finishedBeforeKill: 0, killedAfterFinish: 0, resumeKills: 0, lostAttempts: 0, scenarios: 0 };
    let lastRunId = baselineRunId;
    while (counts.cycles < MIN_CYCLES) {
      const scenario = ++counts.scenarios;
      expect(scenario, `too many scenarios without ${MIN_CYCLES} kill-resume cycles: ${JSON.stringify(counts)}`).toBeLessThan(80);
      const marker = join(dir, `marker-${scenario}`);
      const crashed = await crashAndResume(marker, lastRunId, delays, counts, `seed ${SEED} scenario ${scenario}`);
      if (crashed) {
        lastRunId = crashed.runId;
        checkFinishedRun(crashed, marker, counts);
      }
    }
    console.log(`crash-safety seed ${SEED}, run recorded ${startupMillis} ms after start, whole run ${runMillis} ms: ${JSON.stringify(counts)}`);
    expect(counts.cycles).toBeGreaterThanOrEqual(MIN_CYCLES);
  }, 240_000);

  /**
   * Starts a run, kills it after a random delay, then resumes it (killing
   * some resumes too) until it ends. Undefined when the kill came before
   * the run was recorded.
   */
  async function crashAndResume(marker: string, lastRunId: number, delays: Delays, counts: Counts, label: string): Promise<Crashed | undefined> {
    const delay = delays.run();
    let context = `${label} (run killed after ${delay} ms)`;
    const first = await killAfter(startSluice(['run', pipeline, '--param', `marker=${marker}`, '--concurrency', CONCURRENCY, ...state]), delay);
    const newest = await newestRun(context);
    if (!newest || newest.id === lastRunId) {
      expect(first.signal, `${context}: exit ${first.code}: ${first.stderr}`).toBe('SIGKILL');
      expect(readMarker(marker), `${context}: no task runs before its run is recorded`).toEqual([]);
      counts.noRunYet++;
      return undefined;
    }
    context += `, run ${newest.id}`;
    const crashed: Crashed = { runId: newest.id, context, runningAtKill: new Set(), succeededAtKill: new Map() };
    let unfinished = false;
    if (first.signal === 'SIGKILL') {
      unfinished = afterKill(crashed, 'killing sluice run', counts);
      if (unfinished) expect(newest.state, `${context}: sluice runs shows the dead runner's run`).toBe('INTERRUPTED');
    } else {
      expect(first.code, `${context}: ${first.stdout}${first.stderr}`).toBe(0);
      counts.finishedBeforeKill++;
    }
    for (let resumes = 0; unfinished; resumes++) {
      expect(resumes, `${context}: the run never finished`).toBeLessThan(8);
      const resume = startSluice(['resume', String(crashed.runId), '--concurrency', CONCURRENCY, ...state]);
      const resumeDelay = delays.resume(resumes);
      const ended = resumeDelay === undefined ? await resume.exited : await killAfter(resume, resumeDelay);
      if (ended.signal !== 'SIGKILL') {
        expect(ended.code, `${context}: resume ${resumes + 1}: ${ended.stdout}${ended.stderr}`).toBe(0);
        break;
      }
      counts.resumeKills++;
      unfinished = afterKill(crashed, `killing resume ${resumes + 1} after ${resumeDelay} ms`, counts);
    }
    return crashed;
  }

  /** Checks the database right after a kill and notes what ran; false when the run had already finished (killed on its way out). */
  function afterKill(crashed: Crashed, what: string, counts: Counts): boolean {
    const snapshot = inspect(db, crashed.runId, `${crashed.context}, after ${what}`);
    if (snapshot.runState !== 'RUNNING') {
      expect(snapshot.runState, `${crashed.context}, after ${what}`).toBe('SUCCESS');
      counts.killedAfterFinish++;
      return false;
    }
    counts.cycles++;
    for (const [key, list] of snapshot.attempts) {
      for (const a of list) {
        if (a.state === 'RUNNING') {
          crashed.runningAtKill.add(`${key} ${a.attempt}`);
          if (a.pid !== null) leftovers.push(a.pid);
        }
        if (a.state === 'SUCCESS') crashed.succeededAtKill.set(key, a.attempt);
      }
    }
    return true;
  }

  /** The run after its last resume: every task succeeded once, what was running at a kill is LOST, the marker file agrees. */
  function checkFinishedRun({ runId, context, runningAtKill, succeededAtKill }: Crashed, marker: string, counts: Counts): void {
    const final = inspect(db, runId, `${context}, at the end`);
    expect(final.runState, context).toBe('SUCCESS');
    const succeeded = new Map<string, number>();
    for (const key of PROCESS_KEYS) {
      const list = final.attempts.get(key) ?? [];
      const wins = list.filter((a) => a.state === 'SUCCESS');
      expect(wins.length, `${context}: ${key} succeeded exactly once in the database`).toBe(1);
      succeeded.set(key, wins[0]!.attempt);
      for (const a of list) {
        const allowed = a.state === 'SUCCESS' || a.state === 'LOST' || (key === 'flaky' && a.attempt === 1 && a.state === 'FAILED');
        expect(allowed, `${context}: ${key} attempt ${a.attempt} ended ${a.state}`).toBe(true);
      }
      if (succeededAtKill.has(key)) expect(succeeded.get(key), `${context}: ${key} had succeeded before a kill and was not run again`).toBe(succeededAtKill.get(key));
    }
    for (const attempt of runningAtKill) {
      const [key, n] = attempt.split(' ') as [string, string];
      const row = final.attempts.get(key)?.find((a) => a.attempt === Number(n));
      expect(row?.state, `${context}: attempt ${attempt} was running when its runner died`).toBe('LOST');
      counts.lostAttempts++;
    }
    checkMarker(readMarker(marker), final, succeeded, context);
    const expected = expectedValues(succeeded);
    for (const step of STEPS) expect(final.values.get(step.key)?.v, `${context}: value of ${step.key}`).toBe(expected.get(step.key));
    for (const key of PROCESS_KEYS) expect(final.values.get(key)?.attempt, `${context}: ${key}'s values come from its successful attempt`).toBe(String(succeeded.get(key)));
    expect(processesWithEnv('SLUICE_PARAM_MARKER', marker), `${context}: task processes left running`).toEqual([]);
  }
});

interface Counts { cycles: number; noRunYet: number; finishedBeforeKill: number; killedAfterFinish: number; resumeKills: number; lostAttempts: number; scenarios: number }
interface Delays { run: () => number; resume: (resumesSoFar: number) => number | undefined }

interface Crashed {
  runId: number;
  context: string;
  /** "task attempt" of every attempt seen RUNNING right after a kill. */
  runningAtKill: Set<string>;
  /** The attempt of each task that had already succeeded at some kill. */
  succeededAtKill: Map<string, number>;
}

/** What really ran agrees with the database: each success ran once, nothing ran after it, no attempt ran twice. */
function checkMarker(lines: MarkerLine[], final: Snapshot, succeeded: ReadonlyMap<string, number>, context: string): void {
  const seen = new Set<string>();
  for (const line of lines) {
    const id = `${line.task} ${line.attempt}`;
    expect(seen.has(id), `${context}: marker line "${id}" appears twice`).toBe(false);
    seen.add(id);
    expect(PROCESS_KEYS, `${context}: marker line "${id}"`).toContain(line.task);
    expect(line.attempt, `${context}: "${id}" ran after the task's successful attempt`).toBeLessThanOrEqual(succeeded.get(line.task)!);
    // A lost attempt's process may have finished by itself before resume stopped it; it never counted as a success.
    const row = final.attempts.get(line.task)?.find((a) => a.attempt === line.attempt);
    expect(['SUCCESS', 'LOST'], `${context}: "${id}" ran to its end`).toContain(row?.state);
  }
  for (const [key, attempt] of succeeded) {
    expect(lines.filter((l) => l.task === key && l.attempt === attempt).length, `${context}: ${key} attempt ${attempt} succeeded; it ran once`).toBe(1);
  }
}

/** A task that starts a process in its group and one that leaves it (setsid), writes their pids, and waits. */
const LONG_TASK = `name: long-task
parameters: [{ name: pids }]
tasks:
  - task_key: long
    shell: |
      if [ "$SLUICE_ATTEMPT" = 1 ]; then
        sleep 30 &
        in_group=$!
        setsid sleep 30 &
        escaped=$!
        echo "$$ $in_group $escaped" > "$SLUICE_PARAM_PIDS.tmp"
        mv "$SLUICE_PARAM_PIDS.tmp" "$SLUICE_PARAM_PIDS"
        wait
      fi
      echo "attempt=$SLUICE_ATTEMPT" >> "$SLUICE_OUTPUT"
  - task_key: after
    depends_on: [long]
    command: [echo, "{{tasks.long.values.attempt}}"]
`;

describe('processes a dead runner left behind', () => {
  /** Starts the pipeline, waits until the long task wrote its pids, and kills the runner. */
  async function killDuringLongTask() {
    const dir = tempFolder('orphan', { 'pipeline.yaml': LONG_TASK });
    const pidsFile = join(dir, 'pids');
    const state = ['--state', join(dir, 'state.db')];
    const runner = startSluice(['run', join(dir, 'pipeline.yaml'), '--param', `pids=${pidsFile}`, ...state]);
    const pids = await waitFor('the long task to start', () => {
      try {
        return readFileSync(pidsFile, 'utf8').trim().split(' ').map(Number);
      } catch {
        return undefined;
      }
    });
    runner.child.kill('SIGKILL');
    await runner.exited;
    for (const pid of pids) expect(isRunning(pid), `process ${pid} outlives its runner`).toBe(true);
    const cleanup = () => {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    };
    return { dir, state, pids, cleanup };
  }

  async function show(state: string[]) {
    const shown = await sluiceAsync(['show', '1', '--json', ...state]);
    expect(shown.code, shown.stderr).toBe(0);
    return JSON.parse(shown.stdout) as { run: { state: string }; tasks: { key: string; state: string; attempts: { attempt: number; state: string }[]; values: Record<string, string> }[] };
  }

  it('resume kills the left-over processes, even one that left the group, records the attempt LOST and runs it again', async () => {
    const { state, pids, cleanup } = await killDuringLongTask();
    try {
      const resumed = await sluiceAsync(['resume', '1', ...state]);
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
      await sleep(100);
      expect(pids.filter(isRunning), `still running of ${pids.join(', ')}`).toEqual([]);
      const { run, tasks } = await show(state);
      expect(run.state).toBe('SUCCESS');
      const long = tasks.find((t) => t.key === 'long')!;
      expect(long.attempts.map((a) => a.state)).toEqual(['LOST', 'SUCCESS']);
      expect(long.values).toEqual({ attempt: '2' });
    } finally {
      cleanup();
    }
  });

  it('sluice cancel kills the left-over processes and records the run CANCELED', async () => {
    const { state, pids, cleanup } = await killDuringLongTask();
    try {
      const canceled = await sluiceAsync(['cancel', '1', ...state]);
      expect(canceled.code, canceled.stdout + canceled.stderr).toBe(0);
      await sleep(100);
      expect(pids.filter(isRunning), `still running of ${pids.join(', ')}`).toEqual([]);
      const { run, tasks } = await show(state);
      expect(run.state).toBe('CANCELED');
      expect(tasks.map((t) => [t.key, t.state, t.attempts.map((a) => a.state)])).toEqual([
        ['long', 'CANCELED', ['CANCELED']],
        ['after', 'CANCELED', []],
      ]);
    } finally {
      cleanup();
    }
  });
});
