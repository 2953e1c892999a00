// The live status line of `sluice logs --follow` on a terminal.
import { describe, expect, it } from 'vitest';
import { FollowStatus } from '../cli/follow-status.js';
import type { RunRow, TaskRunRow } from '../engine/state/run-store.js';

const plain = { red: (t: string) => t, yellow: (t: string) => t, green: (t: string) => t, cyan: (t: string) => t, dim: (t: string) => t, bold: (t: string) => t };

function task(key: string, state: string, parent: string | null = null): TaskRunRow {
  return { task_key: key, state, parent_task_key: parent } as TaskRunRow;
}

describe('the follow status line', () => {
  const followed = {
    run: { id: 7, state: 'RUNNING', start_ms: 0, end_ms: null } as unknown as RunRow,
    tasks: [task('prepare', 'SUCCESS'), task('fit', 'RUNNING'), task('score', 'RETRY_WAIT'), task('score[0]', 'FAILED', 'score'), task('publish', 'PENDING')],
  };

  it('says how far the run is and what runs now', () => {
    const status = new FollowStatus({ write: () => true }, plain, () => followed, () => 12_000);
    expect(status.describe(followed)).toBe('run 7 RUNNING · 1/4 tasks done · 12s · running fit, score');
    status.close();
  });

  it('is cleared before output and drawn again after a complete line, never in the middle of one', () => {
    const written: string[] = [];
    const status = new FollowStatus({ write: (chunk) => written.push(String(chunk)), columns: 40 }, plain, () => followed, () => 12_000);
    status.write('epoch 1\n');
    status.write('epoch 2 ...');
    status.write(' done\n');
    status.close();
    expect(written.join('')).toBe([
      'epoch 1\n', '\r\x1b[2K⠋ run 7 RUNNING · 1/4 tasks done · 12s ',
      '\r\x1b[2K', 'epoch 2 ...', ' done\n', '\r\x1b[2K⠙ run 7 RUNNING · 1/4 tasks done · 12s ', '\r\x1b[2K',
    ].join(''));
  });
});
