// Runs that do not come from a cron schedule, end to end: `sluice trigger`
// with and without a daemon, backfill, max_concurrent_runs and queue, pause,
// `sluice schedules`, on_success_of, file arrival, and notifications to a
// real HTTP server on 127.0.0.1.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep } from './run-helpers.js';
import type { RunRow as Run } from '../engine/state/run-store.js';
import { outputOf, serveFixture, stopDaemon } from './serve-helpers.js';


describe('sluice trigger', () => {
  it('without a daemon, --wait runs the request here with its parameters; without --wait it stays queued', async () => {
    const f = serveFixture('trigger-here');
    const marker = join(f.root, 'succeeded.json');
    f.write('hello', `name: hello
parameters: [{ name: who, default: world }]
command_notifications: { on_success: [{ command: [bash, -c, 'printf "%s\\n" "$SLUICE_EVENT" >> ${marker}'] }] }
tasks:
  - task_key: greet
    command: [echo, "hello {{job.parameters.who}} ({{job.trigger.type}})"]
`);
    const queued = await f.sluice('trigger', 'hello', '--pipelines', f.pipelines);
    expect(queued.code).toBe(0);
    expect(queued.stdout).toContain("no running sluice serve serves its folder");
    const ran = await f.sluice('trigger', 'hello', '--pipelines', f.pipelines, '--param', 'who=Ada', '--wait');
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/run \d+ of 'hello' SUCCESS/);
    const runs = f.query<Run>('SELECT * FROM runs ORDER BY id');
    // The foreground runner also starts what was queued for the pipeline before.
    expect(runs.map((run) => JSON.parse(run.parameters_json).who).sort()).toEqual(['Ada', 'world']);
    expect(runs.every((run) => run.trigger_type === 'manual' && run.state === 'SUCCESS')).toBe(true);
    // Runs in the foreground send their notifications too.
    const events = readFileSync(marker, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { event: string; run_id: number });
    expect(events.map((e) => e.event)).toEqual(['success', 'success']);
    const wrong = await f.sluice('trigger', 'helo', '--pipelines', f.pipelines);
    expect(wrong).toMatchObject({ code: 2, stderr: expect.stringContaining("no pipeline named 'helo' in") });
    expect(wrong.stderr).toContain("did you mean 'hello'?");
    const badParam = await f.sluice('trigger', 'hello', '--pipelines', f.pipelines, '--param', 'whom=x');
    expect(badParam.code).toBe(2);
    expect(f.query('SELECT * FROM run_requests')).toHaveLength(2);
  });

  it('runs here with --wait when the running daemon serves another folder', async () => {
    const f = serveFixture('trigger-elsewhere');
    const other = join(f.root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'solo.yaml'), 'name: solo\ntasks:\n  - task_key: t\n    command: ["true"]\n');
    const daemon = f.serve();
    await f.waitFor('the daemon', () => f.query('SELECT 1 FROM daemons').length > 0 || undefined);
    const ran = await f.sluice('trigger', 'solo', '--pipelines', other, '--wait');
    const daemonPid = daemon.child.pid;
    await stopDaemon(daemon);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).not.toContain('sluice serve (process');
    expect(f.query<Run>('SELECT * FROM runs')).toEqual([expect.objectContaining({ pipeline: 'solo', state: 'SUCCESS' })]);
    expect(f.query<Run>('SELECT * FROM runs')[0]!.runner_pid).not.toBe(daemonPid);
  });

  it('with a daemon, the run starts there; queue: false skips a run over max_concurrent_runs and records it', async () => {
    const f = serveFixture('trigger-daemon');
    f.write('single', 'name: single\nmax_concurrent_runs: 1\nqueue: false\ntasks:\n  - task_key: nap\n    command: [sleep, "1.5"]\n');
    const daemon = f.serve();
    await f.waitFor('the daemon', () => f.query('SELECT 1 FROM daemons').length > 0 || undefined);
    const [first, second] = await Promise.all([
      f.sluice('trigger', 'single', '--pipelines', f.pipelines, '--wait'),
      sleep(400).then(() => f.sluice('trigger', 'single', '--pipelines', f.pipelines, '--wait')),
    ]);
    await stopDaemon(daemon);
    expect(first.code, first.stdout).toBe(0);
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/^run of 'single' skipped: max_concurrent_runs is 1 and a run was already going \(queue: false skips instead of waiting\)$/m);
    expect(second.stdout).not.toContain('manual:');
    expect(f.query<{ state: string }>('SELECT state FROM run_requests ORDER BY id').map((r) => r.state)).toEqual(['STARTED', 'SKIPPED']);
    expect(f.query('SELECT * FROM runs')).toHaveLength(1);
  });
});

describe('sluice backfill', () => {
  it('creates one run per fire time with that logical time, one at a time under max_concurrent_runs: 1, once', async () => {
    const f = serveFixture('backfill');
    f.write('daily', `name: daily
schedule: { cron: "0 6 * * *", timezone: Europe/Berlin }
max_concurrent_runs: 1
tasks:
  - task_key: day
    shell: sleep 0.2 && echo "{{job.trigger.time.iso_datetime}}"
`);
    const result = await f.sluice('backfill', 'daily', '--pipelines', f.pipelines, '--from', '2026-03-28', '--to', '2026-03-30', '--wait');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("backfill of 'daily': 3 fire times");
    const runs = f.query<Run & { stdout_path: string }>(`SELECT r.*, a.stdout_path FROM runs r JOIN attempts a ON a.run_id = r.id ORDER BY r.trigger_time_ms`);
    expect(runs.map((run) => readFileSync(run.stdout_path, 'utf8').trim())).toEqual([
      '2026-03-28T06:00:00+01:00', '2026-03-29T06:00:00+02:00', '2026-03-30T06:00:00+02:00',
    ]);
    expect(runs.every((run) => run.trigger_type === 'backfill' && run.state === 'SUCCESS')).toBe(true);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.start_ms).toBeGreaterThanOrEqual(runs[i - 1]!.end_ms);
    const again = await f.sluice('backfill', 'daily', '--pipelines', f.pipelines, '--from', '2026-03-28', '--to', '2026-03-30');
    expect(again.stdout).toContain('0 new run requests (3 requested by an earlier backfill)');
    const unscheduled = await f.sluice('backfill', join(f.write('plain', 'name: plain\ntasks: [{ task_key: t, command: ["true"] }]\n')), '--from', '2026-01-01', '--to', '2026-01-02');
    expect(unscheduled).toMatchObject({ code: 2, stderr: expect.stringContaining("pipeline 'plain' has no schedule") });
    const badDate = await f.sluice('backfill', 'daily', '--pipelines', f.pipelines, '--from', '2026-02-30', '--to', '2026-03-01');
    expect(badDate).toMatchObject({ code: 2, stderr: expect.stringContaining("--from '2026-02-30' is not a day of the calendar") });
    const backwards = await f.sluice('backfill', 'daily', '--pipelines', f.pipelines, '--from', '2026-03-02', '--to', '2026-03-01');
    expect(backwards).toMatchObject({ code: 2, stderr: expect.stringContaining("--to '2026-03-01' is before --from '2026-03-02' (read in Europe/Berlin): nothing to backfill") });
  });
});

describe('pause, schedules and triggers in the daemon', () => {
  it('pause stops a schedule, unpause starts it again without catching up, and schedules shows it all', async () => {
    const f = serveFixture('pause');
    f.write('tick', 'name: tick\nschedule: { cron: "* * * * * *", timezone: America/New_York }\ntasks:\n  - task_key: t\n    command: ["true"]\n');
    f.write('after', 'name: after\ntrigger: { on_success_of: [tick] }\ntasks:\n  - task_key: t\n    command: ["true"]\n');
    const paused = await f.sluice('pause', 'tick', '--pipelines', f.pipelines);
    expect(paused.stdout).toContain("paused 'tick'");
    const daemon = f.serve();
    await f.waitFor('the daemon', () => f.query('SELECT 1 FROM daemons').length > 0 || undefined);
    await sleep(2500);
    expect(f.query('SELECT * FROM runs')).toHaveLength(0);
    const listed = JSON.parse((await f.sluice('schedules', '--pipelines', f.pipelines, '--json')).stdout);
    expect(listed).toEqual([
      expect.objectContaining({ pipeline: 'after', cron: null, triggers: ['on success of tick'], paused: false, last_run: null }),
      expect.objectContaining({ pipeline: 'tick', cron: '* * * * * *', timezone: 'America/New_York', paused: true, paused_by: 'sluice pause' }),
    ]);
    expect(listed[1].next_fire_times).toHaveLength(3);
    expect(listed[1].next_fire_times[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00$/);
    const unpausedAt = Date.now();
    await f.sluice('unpause', 'tick', '--pipelines', f.pipelines);
    const upstream = await f.waitFor('a run of after, started by a run of tick', () => f.query<Run>(`SELECT * FROM runs WHERE pipeline = 'after' AND state <> 'RUNNING'`)[0]);
    await stopDaemon(daemon);
    expect(upstream.trigger_type).toBe('upstream');
    const ticks = f.query<Run>(`SELECT * FROM runs WHERE pipeline = 'tick'`);
    expect(ticks.every((run) => run.trigger_time_ms >= unpausedAt - 1000)).toBe(true);
    const table = (await f.sluice('schedules', '--pipelines', f.pipelines)).stdout;
    expect(table).toMatch(/^PIPELINE\s+WHEN\s+NEXT FIRE TIMES\s+LAST RUN\s+STATE$/m);
    expect(table).toMatch(/^tick\s+\* \* \* \* \* \* \(America\/New_York\)/m);
  });

  it('a file that breaks while served: pause, schedules and trigger know the pipeline, say its last valid version is served, and the daemon logs it once', async () => {
    const f = serveFixture('broken-served');
    const valid = 'name: tick\nschedule: { cron: "0 3 * * *" }\ntasks:\n  - task_key: t\n    command: ["true"]\n';
    const file = f.write('tick', valid);
    f.write('hello', 'name: hello\ntasks:\n  - task_key: t\n    command: ["true"]\n');
    const daemon = f.serve();
    const output = outputOf(daemon);
    await f.waitFor('the daemon', () => output().includes('serving 2 pipelines') || undefined);
    const broken = valid.replace('command:', 'comand:');
    f.write('tick', broken);
    const served = await f.waitFor('the kept version to be recorded', () => f.query<{ source_hash: string }>(`SELECT source_hash FROM pipeline_versions WHERE name = 'tick'`)[0]);
    const hash = served.source_hash.slice(0, 12);
    expect(output()).toContain("the last valid version of 'tick' stays scheduled");

    const paused = await f.sluice('pause', 'tick', '--pipelines', f.pipelines);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain("paused 'tick'");
    expect(paused.stdout).toMatch(new RegExp(`note: its file does not validate \\(.*tick\\.yaml:5:5: unknown key 'comand'.*\\); sluice serve keeps serving the last valid version of 'tick' \\(yaml ${hash}\\)`));

    const listed = JSON.parse((await f.sluice('schedules', '--pipelines', f.pipelines, '--json')).stdout);
    expect(listed).toEqual([expect.objectContaining({
      pipeline: 'tick', cron: '0 3 * * *', paused: true, paused_by: 'sluice pause', served: 'last valid version',
      file_error: expect.stringMatching(/tick\.yaml:5:5: unknown key 'comand'/),
    })]);
    const table = (await f.sluice('schedules', '--pipelines', f.pipelines)).stdout;
    expect(table).toMatch(/^tick\s+0 3 \* \* \* \(UTC\).*invalid file: last valid version served; paused \(sluice pause\)$/m);
    expect(table).toMatch(/^tick: .*tick\.yaml:5:5: unknown key 'comand'/m);

    const triggered = await f.sluice('trigger', 'tick', '--pipelines', f.pipelines);
    expect(triggered.code).toBe(1);
    expect(triggered.stderr).toContain(`sluice serve (process ${daemon.child.pid}) keeps serving the last valid version of 'tick' (yaml ${hash}) on its schedule and triggers`);
    expect(triggered.stderr).toContain('fix it, then trigger again');

    // Read again with the same content (a touch, a rescan): no second warning. New content: one more.
    const warnings = () => output().split('tick.yaml is not valid').length - 1;
    expect(warnings()).toBe(1);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    await sleep(2500);
    expect(warnings()).toBe(1);
    // So broken that not even its name reads: the state database still knows the file's pipeline.
    writeFileSync(file, 'name: tick\nschedule: [\n');
    await f.waitFor('the second warning', () => warnings() === 2 || undefined);
    const unpaused = await f.sluice('unpause', 'tick', '--pipelines', f.pipelines);
    expect(unpaused.code, unpaused.stderr).toBe(0);
    expect(unpaused.stdout).toContain(`sluice serve keeps serving the last valid version of 'tick' (yaml ${hash})`);
    await stopDaemon(daemon);
    expect(f.query('SELECT * FROM runs')).toEqual([]);
  });

  it('file_arrival starts a run once a new file has been quiet for wait_after_last_change_seconds', async () => {
    const f = serveFixture('arrival');
    mkdirSync(join(f.pipelines, 'incoming'));
    writeFileSync(join(f.pipelines, 'incoming', 'old.csv'), 'there before\n');
    f.write('load', 'name: load\ntrigger: { file_arrival: { path: incoming, wait_after_last_change_seconds: 1 } }\ntasks:\n  - task_key: t\n    command: [ls, incoming]\n');
    const daemon = f.serve();
    await f.waitFor('the daemon', () => f.query('SELECT 1 FROM daemons').length > 0 || undefined);
    await sleep(1500);
    expect(f.query('SELECT * FROM runs')).toHaveLength(0); // files already there start nothing
    writeFileSync(join(f.pipelines, 'incoming', 'new.csv'), 'a,b\n');
    const run = await f.waitFor('the file_arrival run', () => f.query<Run>(`SELECT * FROM runs WHERE state <> 'RUNNING'`)[0]);
    await sleep(1500);
    await stopDaemon(daemon);
    expect(run).toMatchObject({ trigger_type: 'file_arrival', state: 'SUCCESS' });
    expect(f.query('SELECT * FROM runs')).toHaveLength(1);
  });
});

describe('notifications', () => {
  it('POSTs run and task events to a webhook (retrying a 500), runs a command, and reports a health breach once', async () => {
    const received: { path: string; body: Record<string, unknown> }[] = [];
    let failuresLeft = 1;
    const server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      request.on('end', () => {
        if (request.url === '/flaky' && failuresLeft-- > 0) {
          response.writeHead(500).end();
          return;
        }
        received.push({ path: request.url!, body: JSON.parse(body) as Record<string, unknown> });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const f = serveFixture('notify');
    const marker = join(f.root, 'notified.json');
    f.write('watched', `name: watched
health: { rules: [{ metric: RUN_DURATION_SECONDS, op: GREATER_THAN, value: 1 }] }
webhook_notifications:
  on_start: [{ url: "${base}/flaky" }]
  on_failure: [{ url: "${base}/run-failed" }]
  on_duration_warning_threshold_exceeded: [{ url: "${base}/slow" }]
command_notifications:
  on_failure: [{ command: [bash, -c, 'printf "%s" "$SLUICE_EVENT" > ${marker}'] }]
tasks:
  - task_key: nap
    command: [sleep, "2"]
    webhook_notifications: { on_success: [{ url: "${base}/task-ok" }] }
  - task_key: fail
    depends_on: [nap]
    command: ["false"]
`);
    try {
      const daemon = f.serve();
      await f.waitFor('the daemon', () => f.query('SELECT 1 FROM daemons').length > 0 || undefined);
      await f.sluice('trigger', 'watched', '--pipelines', f.pipelines);
      await f.waitFor('the failure webhook and command', () => (received.some((r) => r.path === '/run-failed') && existsSync(marker)) || undefined);
      await stopDaemon(daemon);
    } finally {
      server.close();
    }
    const byPath = (path: string) => received.filter((r) => r.path === path).map((r) => r.body);
    expect(byPath('/flaky')).toEqual([expect.objectContaining({ event: 'start', pipeline: 'watched', run_id: 1, trigger_type: 'manual' })]);
    expect(byPath('/slow')).toEqual([expect.objectContaining({ event: 'health', run_id: 1, threshold_seconds: 1 })]);
    expect(byPath('/task-ok')).toEqual([expect.objectContaining({ event: 'success', task_key: 'nap', state: 'SUCCESS' })]);
    expect(byPath('/run-failed')).toEqual([expect.objectContaining({ event: 'failure', state: 'FAILED' })]);
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toMatchObject({ event: 'failure', pipeline: 'watched', run_id: 1 });
  });
});
