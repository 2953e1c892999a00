// Telling live processes from dead ones, as daemons do before taking over a
// dead daemon's runs: a zombie (exited, not reaped) answers kill(pid, 0) but
// is dead. A real zombie: a shell's background child, left unreaped by the
// program the shell became.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isProcessAlive, parseProcStat, processStartTime } from '../engine/execute/process-control.js';
import { waitFor } from './run-helpers.js';

const onLinux = process.platform === 'linux';

describe('process liveness', () => {
  it.runIf(onLinux)('counts a zombie as dead, though kill(pid, 0) still reaches it', async () => {
    // `true` exits at once; `exec sleep` replaces the shell and never reaps it.
    const parent = spawn('sh', ['-c', 'true & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let output = '';
      parent.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      const zombie = await waitFor('the background pid', () => (/^\d+\n/.test(output) ? Number(output.trim()) : undefined));
      const started = processStartTime(zombie);
      await waitFor('the child to become a zombie', () => (/\) Z /.test(readFileSync(`/proc/${zombie}/stat`, 'utf8')) || undefined));
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(isProcessAlive(zombie)).toBe(false);
      expect(isProcessAlive(zombie, started)).toBe(false);
      expect(isProcessAlive(parent.pid!, processStartTime(parent.pid!))).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('reads the state and start time from /proc/<pid>/stat, whatever the command name holds', () => {
    const fields = (state: string) => `${state} 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 20 21`;
    expect(parseProcStat(`123 (node) ${fields('S')}`)).toEqual({ state: 'S', startTime: '4242' });
    expect(parseProcStat(`123 (a) b (c) ${fields('Z')}`)).toEqual({ state: 'Z', startTime: '4242' });
    expect(parseProcStat('123 (cut')).toBeNull();
    expect(parseProcStat('123 (short) S 1 2')).toBeNull();
  });

  it('a process that is gone, or a pid now used by another process, is not alive', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(2 ** 22 + 12345)).toBe(false);
    if (onLinux) expect(isProcessAlive(process.pid, 'not-its-start-time')).toBe(false);
  });
});
