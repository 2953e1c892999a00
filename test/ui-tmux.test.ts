// `sluice ui` end to end, as a user meets it: the built CLI in a real
// terminal (tmux), a failing run made by `sluice run`, keys sent one at a
// time, and the screen read back. tmux must be installed (.ci/run installs it).
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sluiceAsync, tempFolder } from './run-helpers.js';

const SLUICE = fileURLToPath(new URL('../dist/bin/sluice.js', import.meta.url));
/** A server of our own: the tests never see or touch the user's tmux sessions. */
const SOCKET = `sluice-test-${process.pid}`;
/** Generous: the machine running the tests may be busy. */
const SCREEN_TIMEOUT_MS = 20_000;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

class Terminal {
  constructor(readonly name: string) {}

  /** Starts `sluice <args>` in a 100×30 terminal that stays on screen after the command exits. */
  static open(name: string, args: string[], env: Record<string, string> = {}, after = ''): Terminal {
    const vars = Object.entries({ TERM: 'xterm-256color', ...env }).map(([k, v]) => `${k}=${quote(v)}`).join(' ');
    const command = `env ${vars} ${quote(process.execPath)} ${quote(SLUICE)} ${args.map(quote).join(' ')}${after}`;
    // remain-on-exit in the same tmux command: the screen stays readable however quickly the command ends.
    tmux('new-session', '-d', '-s', name, '-x', '100', '-y', '30', command, ';', 'set-option', '-t', name, 'remain-on-exit', 'on');
    return new Terminal(name);
  }

  /** The visible screen; or everything printed, lines joined as written (`history`), for plain output. */
  screen(colours = false, history = false): string {
    return tmux('capture-pane', '-p', ...(colours ? ['-e'] : []), ...(history ? ['-J', '-S', '-'] : []), '-t', this.name);
  }

  /** One key at a time, as typed: keys sent together would reach the UI as one pasted string. */
  press(key: string): void {
    tmux('send-keys', '-t', this.name, key);
  }

  format(variable: string): string {
    return tmux('display-message', '-p', '-t', this.name, `#{${variable}}`).trim();
  }

  async waitFor(what: string, check: (screen: string) => boolean, history = false): Promise<string> {
    const deadline = Date.now() + SCREEN_TIMEOUT_MS;
    for (;;) {
      const screen = this.screen(false, history);
      if (check(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen was:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const FLAKY = `name: flaky
tasks:
  - task_key: setup
    shell: echo setting up
  - task_key: train
    depends_on: [setup]
    # Fails the first time, leaving a marker; the rerun finds it and succeeds.
    shell: |
      if [ -f marker ]; then echo "trained on the second try"; else touch marker; echo "first try fails" >&2; exit 3; fi
`;

beforeAll(() => {
  const found = spawnSync('tmux', ['-V'], { stdio: 'ignore' });
  if (found.error || found.status !== 0) throw new Error('these tests need tmux: apt-get install tmux (.ci/run does)');
});

afterAll(() => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
});

describe('sluice ui in a terminal', () => {
  it('marks a failed run, repairs it with confirmation, shows the rerun task succeed and its output', async () => {
    const dir = tempFolder('ui-e2e', { 'flaky.yaml': FLAKY });
    const state = join(dir, 'home', 'state.db');
    const failed = await sluiceAsync(['run', join(dir, 'flaky.yaml'), '--state', state], dir);
    expect(failed.code).toBe(1);

    // The shell stays after the UI quits, to show the terminal as the UI left it.
    const term = Terminal.open('repair', ['ui', '--state', state, '--pipelines', dir], {}, '; echo "ui exited with $?"; sleep 120');
    expect(await term.waitFor('the failed run', (s) => /› 1\s+flaky\s+manual\s+✗ FAILED/.test(s))).toContain('sluice › runs');
    expect(term.format('alternate_on')).toBe('1');

    term.press('Enter');
    const detail = await term.waitFor('the run detail', (s) => s.includes('sluice › runs › run 1') && /train\s+✗ FAILED/.test(s));
    expect(detail).toMatch(/setup\s+✓ SUCCESS\s+1/);

    term.press('r');
    await term.waitFor('the confirmation', (s) => s.includes('Repair run 1: rerun its failed tasks and what follows them?  [y/N]'));
    term.press('y');
    const repaired = await term.waitFor('the repaired run', (s) => /run 1 flaky ✓ SUCCESS/.test(s) && /train\s+✓ SUCCESS\s+2/.test(s));
    expect(repaired).toContain('repair 1');

    term.press('j');
    await term.waitFor('train selected', (s) => s.includes('─ train ✓ SUCCESS'));
    term.press('Enter');
    const logs = await term.waitFor('the log view', (s) => s.includes('train logs') && s.includes('trained on the second try'));
    expect(logs).toContain('attempt 2 of 2');
    term.press('[');
    await term.waitFor('the first attempt\'s output', (s) => s.includes('attempt 1 of 2') && s.includes('first try fails'));

    // A smaller terminal: the layout follows.
    tmux('resize-window', '-t', 'repair', '-x', '80', '-y', '24');
    const small = await term.waitFor('the resized screen', (s) => s.split('\n').some((line) => line.startsWith('↑↓/jk scroll')));
    for (const line of small.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);

    term.press('q');
    await term.waitFor('the UI to quit', (s) => s.includes('ui exited with 0'));
    expect(term.format('alternate_on')).toBe('0');
    expect(term.format('cursor_flag')).toBe('1');
  });

  it('pauses and unpauses a schedule of the --pipelines folder, wherever the UI was started', async () => {
    const dir = tempFolder('ui-pause', {
      'flaky.yaml': FLAKY,
      'nightly.yaml': 'name: nightly\nschedule: { cron: "0 3 * * *", timezone: UTC }\ntasks:\n  - task_key: a\n    shell: "true"\n',
    });
    const state = join(dir, 'state.db');
    await sluiceAsync(['run', join(dir, 'flaky.yaml'), '--state', state], dir);
    // The terminal starts in the test's folder, whose pipelines/ has no 'nightly'.
    const term = Terminal.open('pause', ['ui', '--state', state, '--pipelines', dir]);
    await term.waitFor('the runs', (s) => s.includes('✗ FAILED'));
    term.press('Tab');
    await term.waitFor('the schedules', (s) => /nightly\s+0 3 \* \* \*.*active/.test(s));
    term.press('p');
    await term.waitFor('the confirmation', (s) => s.includes("Pause the schedule of 'nightly'?"));
    term.press('y');
    const paused = await term.waitFor('the pause', (s) => /nightly\s+0 3 \* \* \*.*paused/.test(s));
    expect(paused).not.toContain('ended with exit code');
    const listed = await sluiceAsync(['schedules', '--json', '--pipelines', dir, '--state', state], dir);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ pipeline: 'nightly', paused: true, paused_by: 'sluice pause' })]);
    term.press('q');
  });

  it('paints states in colour, and not with NO_COLOR', async () => {
    const dir = tempFolder('ui-colour', { 'flaky.yaml': FLAKY });
    const state = join(dir, 'state.db');
    await sluiceAsync(['run', join(dir, 'flaky.yaml'), '--state', state], dir);
    const coloured = Terminal.open('colour', ['ui', '--state', state, '--pipelines', dir]);
    const plain = Terminal.open('plain', ['ui', '--state', state, '--pipelines', dir], { NO_COLOR: '1' });
    await coloured.waitFor('the run', (s) => s.includes('✗ FAILED'));
    await plain.waitFor('the run', (s) => s.includes('✗ FAILED'));
    expect(coloured.screen(true)).toMatch(/\u001b\[31m✗ FAILED/);
    expect(plain.screen(true)).not.toMatch(/\u001b\[(?:\d+;)*(?:3[0-8]|9[0-7])(?:;\d+)*m/);
    coloured.press('q');
    plain.press('q');
  });

  it('says clearly that there is no state database, with exit status 1 and no stack trace', async () => {
    const dir = tempFolder('ui-missing');
    const term = Terminal.open('missing', ['ui', '--state', join(dir, 'nothing', 'state.db')], {}, '; echo "exit status $?"');
    const screen = await term.waitFor('the message', (s) => s.includes('exit status'), true);
    expect(screen).toContain('sluice: no state database at');
    expect(screen).toContain('exit status 1');
    expect(screen).not.toMatch(/^\s+at /m);
  });
});

describe('sluice ui outside a terminal', () => {
  it('refuses to start in a pipe and points at the commands for scripts', async () => {
    const dir = tempFolder('ui-pipe');
    writeFileSync(join(dir, 'state.db'), '');
    const result = await sluiceAsync(['ui', '--state', join(dir, 'state.db')], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('sluice: sluice ui needs a terminal; in scripts and pipes use `sluice runs`, `sluice show` and `sluice logs`\n');
  });
});
