// `sluice serve` end to end: real daemons firing real cron schedules into a
// real state database, two daemons at once, kill -9 and restart, pipelines
// edited while the daemon runs, and stopping with a grace period.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStateDatabase } from '../engine/state/database.js';
import { ScheduleStore } from '../engine/state/schedule-store.js';
import { isRunning, processesWithEnv, sleep } from './run-helpers.js';
import type { RunRow as Run } from '../engine/state/run-store.js';
import { outputOf, serveFixture, stopDaemon } from './serve-helpers.js';


const everySecond = (name: string, task = 'echo "fired at {{job.trigger.time.iso_datetime}} by {{job.trigger.type}}"') => `name: ${name}
schedule: { cron: "* * * * * *" }
tasks:
  - task_key: tick
    shell: ${JSON.stringify(task)}
`;

describe('sluice serve', () => {
  it('fires a 6-field cron schedule every second, one run per fire time, and stops on SIGTERM', async () => {
    const f = serveFixture('serve-fire');
    f.write('tick', everySecond('tick'));
    const daemon = f.serve();
    const runs = await f.waitFor('four finished runs', () => {
      const rows = f.query<Run>(`SELECT * FROM runs WHERE state <> 'RUNNING' ORDER BY id`);
      return rows.length >= 4 ? rows : undefined;
    });
    const result = await stopDaemon(daemon);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/serving 1 pipeline from .*: tick/);
    expect(runs.every((run) => run.state === 'SUCCESS' && run.trigger_type === 'schedule')).toBe(true);
    const times = runs.map((run) => run.trigger_time_ms);
    expect(times.every((time) => time % 1000 === 0)).toBe(true);
    expect(new Set(times).size).toBe(times.length);
    const output = f.query<{ stdout_path: string }>('SELECT stdout_path FROM attempts WHERE run_id = ?', runs[0]!.id)[0]!;
    expect(readFileSync(output.stdout_path, 'utf8')).toBe(`fired at ${new Date(runs[0]!.trigger_time_ms).toISOString().slice(0, 19)}Z by schedule\n`);
    expect(f.query<{ stopped_ms: number | null; stop_reason: string }>('SELECT stopped_ms, stop_reason FROM daemons')).toEqual([
      { stopped_ms: expect.any(Number), stop_reason: 'stopped' },
    ]);
    expect(readFileSync(`${f.root}/home/serve.log`, 'utf8')).toMatch(/info tick: run 1 SUCCESS/);
  });

  it('two daemons on one state database start each fire exactly once, over more than 50 fires', async () => {
    const f = serveFixture('serve-two');
    const names = Array.from({ length: 10 }, (_, i) => `p${i}`);
    for (const name of names) f.write(name, everySecond(name, 'true'));
    const first = f.serve();
    const second = f.serve();
    await f.waitFor('60 fires', () => (f.query<{ n: number }>('SELECT count(*) AS n FROM run_requests')[0]?.n ?? 0) >= 60 || undefined);
    await Promise.all([stopDaemon(first), stopDaemon(second)]);
    const runs = f.query<Run>('SELECT * FROM runs');
    const requests = f.query<{ pipeline: string; trigger_time_ms: number; state: string; run_id: number }>('SELECT * FROM run_requests');
    expect(requests.length).toBeGreaterThanOrEqual(60);
    // One run per fire: no fire time of a pipeline has two runs, and every started request has its own run.
    const fires = runs.map((run) => `${run.pipeline}@${run.trigger_time_ms}`);
    expect(new Set(fires).size).toBe(fires.length);
    expect(new Set(requests.filter((r) => r.state === 'STARTED').map((r) => r.run_id)).size).toBe(requests.filter((r) => r.state === 'STARTED').length);
    expect(runs.length).toBe(requests.filter((r) => r.state === 'STARTED').length);
    // And no fire time was lost between a pipeline's first and last fire.
    for (const name of names) {
      const times = requests.filter((r) => r.pipeline === name).map((r) => r.trigger_time_ms).sort((a, b) => a - b);
      expect(times.length, name).toBe((times[times.length - 1]! - times[0]!) / 1000 + 1);
    }
    expect(runs.every((run) => run.state === 'SUCCESS')).toBe(true);
    expect(f.query('SELECT id FROM daemons')).toHaveLength(2);
  }, 60_000);

  it('after kill -9 mid-run, the restarted daemon stops the orphaned task and finishes the same run', async () => {
    const f = serveFixture('serve-kill');
    f.write('slow', `name: slow
tasks:
  - task_key: nap
    shell: sleep 3 && echo rested
`);
    const daemon = f.serve();
    await f.waitFor('the daemon', () => f.query('SELECT 1 FROM daemons').length > 0 || undefined);
    expect((await f.sluice('trigger', 'slow', '--pipelines', f.pipelines)).code).toBe(0);
    const attempt = await f.waitFor('the task to start', () => f.query<{ run_id: number; pid: number | null }>(
      `SELECT run_id, pid FROM attempts WHERE task_key = 'nap' AND state = 'RUNNING' AND pid IS NOT NULL`)[0]);
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    expect(isRunning(attempt.pid!)).toBe(true); // the orphan sleeps on
    const restarted = f.serve();
    const output = outputOf(restarted);
    const run = await f.waitFor('the run to finish', () => f.query<Run>(`SELECT * FROM runs WHERE state <> 'RUNNING'`)[0]);
    await stopDaemon(restarted);
    expect(run).toMatchObject({ id: attempt.run_id, state: 'SUCCESS' });
    expect(f.query<Run>('SELECT * FROM runs')).toHaveLength(1);
    expect(f.query<{ attempt: number; state: string }>('SELECT attempt, state FROM attempts ORDER BY attempt')).toEqual([
      { attempt: 1, state: 'LOST' }, { attempt: 2, state: 'SUCCESS' },
    ]);
    expect(isRunning(attempt.pid!)).toBe(false);
    expect(output()).toMatch(/daemon \d+ died; going on with its 1 unfinished run: 1/);
    // The lost attempt says who ran it again: the daemon that took over, not `sluice resume`.
    expect(f.query<{ error: string }>(`SELECT error FROM attempts WHERE state = 'LOST'`)[0]!.error).toBe(
      `the runner stopped while this attempt ran; it was run again by sluice serve (process ${restarted.child.pid}), which took over from daemon ${daemon.child.pid} when it died`);
    expect(f.query<{ stop_reason: string }>('SELECT stop_reason FROM daemons ORDER BY started_ms')[0]!.stop_reason).toMatch(/its process died; taken over/);
  });

  it('when one of two daemons dies mid-run, the other takes over its run', async () => {
    const f = serveFixture('serve-takeover');
    f.write('slow', 'name: slow\ntasks:\n  - task_key: nap\n    shell: sleep 2 && echo rested\n');
    const daemons = [f.serve(), f.serve()];
    const outputs = daemons.map(outputOf);
    await f.waitFor('both daemons', () => f.query('SELECT 1 FROM daemons').length === 2 || undefined);
    await f.sluice('trigger', 'slow', '--pipelines', f.pipelines);
    const running = await f.waitFor('the task to start', () => f.query<{ runner_pid: number; run_id: number }>(
      `SELECT r.runner_pid, r.id AS run_id FROM runs r JOIN attempts a ON a.run_id = r.id WHERE a.state = 'RUNNING' AND a.pid IS NOT NULL`)[0]);
    const victim = daemons.findIndex((d) => d.child.pid === running.runner_pid);
    expect(victim).toBeGreaterThanOrEqual(0);
    daemons[victim]!.child.kill('SIGKILL');
    await daemons[victim]!.exited;
    const survivor = daemons[1 - victim]!;
    const run = await f.waitFor('the run to finish', () => f.query<Run>(`SELECT * FROM runs WHERE state <> 'RUNNING'`)[0]);
    await stopDaemon(survivor);
    expect(run).toMatchObject({ id: running.run_id, state: 'SUCCESS', runner_pid: survivor.child.pid });
    expect(outputs[1 - victim]!()).toMatch(/daemon \d+ died; going on with its 1 unfinished run: \d+/);
  });

  it('follows edits of the folder: a changed YAML runs next, a broken one keeps the last valid version, and runs record hash and commit', async () => {
    const f = serveFixture('serve-edit');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: f.pipelines, stdio: ['ignore', 'pipe', 'pipe'] });
    git('init', '-q');
    git('config', 'user.email', 'test@example.com');
    git('config', 'user.name', 'test');
    const version = (text: string) => `name: edited\ntasks:\n  - task_key: say\n    command: [echo, ${text}]\n`;
    f.write('edited', version('one'));
    git('add', '.');
    git('commit', '-qm', 'one');
    const daemon = f.serve();
    const output = outputOf(daemon);
    await f.waitFor('the daemon', () => output().includes('serving 1 pipeline') || undefined);
    const lastRun = async (expectedRuns: number) => {
      const rows = await f.waitFor(`run ${expectedRuns} to end`, () => {
        const found = f.query<{ stdout_path: string; source_hash: string; git_commit: string | null }>(`SELECT a.stdout_path, v.source_hash, v.git_commit
          FROM runs r JOIN attempts a ON a.run_id = r.id JOIN pipeline_versions v ON v.id = r.pipeline_version_id
          WHERE r.state <> 'RUNNING' ORDER BY r.id`);
        return found.length >= expectedRuns ? found : undefined;
      });
      expect(rows).toHaveLength(expectedRuns);
        return { ...rows[rows.length - 1]!, text: readFileSync(rows[rows.length - 1]!.stdout_path, 'utf8').trim() };
    };
    const said = async (expectedRuns: number) => {
      const triggered = await f.sluice('trigger', 'edited', '--pipelines', f.pipelines, '--wait');
      expect(triggered.code, triggered.stdout + triggered.stderr).toBe(0);
      return lastRun(expectedRuns);
    };
    const first = await said(1);
    expect(first.text).toBe('one');
    expect(first.git_commit).toBe(git('rev-parse', 'HEAD').toString().trim());

    f.write('edited', version('two'));
    git('commit', '-qam', 'two');
    await f.waitFor('the change to be seen', () => output().includes('pipelines changed, next runs use the new version: edited') || undefined);
    const second = await said(2);
    expect(second.text).toBe('two');
    expect(second.source_hash).not.toBe(first.source_hash);
    expect(second.git_commit).toBe(git('rev-parse', 'HEAD').toString().trim());

    f.write('edited', 'name: edited\ntasks:\n  - task_key: say\n    comand: [echo, three]\n');
    await f.waitFor('the located error', () => (/edited\.yaml:4:5: error: .*'comand'.*did you mean 'command'/.test(output()) ? true : undefined));
    expect(output()).toContain("the last valid version of 'edited' stays scheduled");
    // `sluice trigger` refuses the broken file; a request from elsewhere (a schedule, an upstream run) runs the last valid version.
    expect((await f.sluice('trigger', 'edited', '--pipelines', f.pipelines)).code).toBe(1);
    const store = new ScheduleStore(openStateDatabase(f.stateFile));
    store.enqueue({ pipeline: 'edited', fireKey: 'test:3', triggerType: 'manual', triggerTimeMs: Date.now(), nowMs: Date.now() });
    store.db.close();
    expect((await lastRun(3)).text).toBe('two');
    await stopDaemon(daemon);
  });

  it('runs the new version of a file replaced by a rename within two seconds, every time (sed -i, git pull)', async () => {
    const f = serveFixture('serve-rename');
    const version = (n: number) => `name: swapped\nschedule: { cron: "* * * * * *" }\ntasks:\n  - task_key: t\n    command: [echo, "v${n}"]\n`;
    const file = f.write('swapped', version(0));
    const daemon = f.serve();
    await f.waitFor('the first run', () => f.query('SELECT 1 FROM runs').length > 0 || undefined);
    for (let n = 1; n <= 4; n++) {
      const text = version(n);
      writeFileSync(join(f.pipelines, '.swapped.yaml.tmp'), text);
      renameSync(join(f.pipelines, '.swapped.yaml.tmp'), file);
      const replacedAt = Date.now();
      const hash = createHash('sha256').update(text).digest('hex');
      const first = await f.waitFor(`a run of version ${n}`, () => f.query<{ trigger_time_ms: number }>(`SELECT r.trigger_time_ms FROM runs r
        JOIN pipeline_versions v ON v.id = r.pipeline_version_id WHERE v.source_hash = ? ORDER BY r.id LIMIT 1`, hash)[0], 10_000);
      expect(first.trigger_time_ms - replacedAt, `version ${n}`).toBeLessThan(2500);
    }
    await stopDaemon(daemon);
  });

  it('on SIGTERM lets running runs finish within the grace period, then cancels and records them', async () => {
    const f = serveFixture('serve-grace');
    f.write('long', 'name: long\ntasks:\n  - task_key: wait\n    command: [sleep, "30"]\n');
    const daemon = f.serve('--grace-seconds', '1');
    await f.waitFor('the daemon', () => f.query('SELECT 1 FROM daemons').length > 0 || undefined);
    await f.sluice('trigger', 'long', '--pipelines', f.pipelines);
    const attempt = await f.waitFor('the task to start', () => f.query<{ pid: number | null }>(`SELECT pid FROM attempts WHERE state = 'RUNNING' AND pid IS NOT NULL`)[0]);
    const result = await stopDaemon(daemon);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/waiting up to 1 s for 1 running run[\s\S]*grace period over: canceling 1 run/);
    expect(f.query<Run>('SELECT * FROM runs')[0]).toMatchObject({ state: 'CANCELED' });
    expect(f.query<{ state: string }>('SELECT state FROM task_runs')).toEqual([{ state: 'CANCELED' }]);
    expect(isRunning(attempt.pid!)).toBe(false);
  });

  it('refuses a pipelines folder that does not exist, before taking a lease', async () => {
    const f = serveFixture('serve-missing');
    const result = await f.serve('--pipelines', `${f.root}/nowhere`).exited;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nowhere: no such file or folder');
    expect(f.query('SELECT * FROM daemons')).toEqual([]);
  });

  it('after downtime, catchup: latest starts one run for the most recent missed fire time', async () => {
    const f = serveFixture('serve-catchup');
    f.write('minutely', 'name: minutely\nschedule: { cron: "* * * * *", catchup: latest }\ntasks:\n  - task_key: t\n    command: ["true"]\n');
    // As if a daemon had last looked at this schedule 30 minutes ago.
    const store = new ScheduleStore(openStateDatabase(f.stateFile));
    const now = Date.now();
    store.advanceCursor('minutely', 'schedule', now - 30 * 60_000);
    store.db.close();
    const daemon = f.serve();
    const output = outputOf(daemon);
    const run = await f.waitFor('the catch-up run', () => f.query<Run>(`SELECT * FROM runs WHERE state <> 'RUNNING'`)[0]);
    await sleep(500);
    await stopDaemon(daemon);
    const latestMinute = Math.floor(now / 60_000) * 60_000;
    expect(run.trigger_type).toBe('schedule');
    expect([latestMinute, latestMinute + 60_000]).toContain(run.trigger_time_ms);
    expect(f.query<Run>('SELECT * FROM runs')).toHaveLength(1);
    expect(output()).toMatch(/minutely: missed fire times from .* skipped \(catchup: latest\)/);
    // Task processes of this state database only: other test files run their own run 1 meanwhile.
    expect(processesWithEnv('SLUICE_STATE_DB', f.stateFile)).toEqual([]);
  });
});
