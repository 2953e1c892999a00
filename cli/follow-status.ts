// `sluice logs --follow` on a terminal: the output as it comes, and under it
// one status line, redrawn in place, saying how the run is doing (as `sluice
// run` shows its own). In a pipe or under CI the output stays plain.
import type { RunRow, TaskRunRow } from '../engine/state/run-store.js';
import { isTerminalTaskState } from '../engine/state/states.js';
import { formatDuration, paintState } from './run-format.js';
import type { Style } from './terminal-style.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const REDRAW_MS = 250;

export interface FollowedRun {
  run: RunRow;
  tasks: readonly TaskRunRow[];
}

export class FollowStatus {
  private shown = false;
  private atLineStart = true;
  private frame = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly out: { write(chunk: Uint8Array | string): unknown; columns?: number },
    private readonly style: Style, private readonly read: () => FollowedRun, private readonly clock: () => number = Date.now) {
    this.timer = setInterval(() => this.draw(), REDRAW_MS).unref();
  }

  /** Writes log output above the status line. */
  write = (chunk: Uint8Array | string): void => {
    this.clear();
    this.out.write(chunk);
    if (chunk.length > 0) this.atLineStart = typeof chunk === 'string' ? chunk.endsWith('\n') : chunk[chunk.length - 1] === 0x0a;
    this.draw();
  };

  /** Prints something that is not output (a note on standard error) above the status line too. */
  aside(print: () => void): void {
    this.clear();
    print();
    this.draw();
  }

  close(): void {
    clearInterval(this.timer);
    this.clear();
  }

  /** The status line's text (without the spinner). */
  describe({ run, tasks }: FollowedRun): string {
    const top = tasks.filter((t) => t.parent_task_key === null);
    const done = top.filter((t) => isTerminalTaskState(t.state)).length;
    const running = top.filter((t) => t.state === 'RUNNING' || t.state === 'RETRY_WAIT').map((t) => t.task_key);
    const took = run.start_ms === null ? '' : ` · ${formatDuration((run.end_ms ?? this.clock()) - run.start_ms)}`;
    const names = running.slice(0, 3).join(', ') + (running.length > 3 ? ` +${running.length - 3}` : '');
    return `run ${run.id} ${paintState(run.state, this.style)} · ${done}/${top.length} tasks done${took}${running.length > 0 ? ` · running ${names}` : ''}`;
  }

  private draw(): void {
    // A line still being written is left alone: the status line would overwrite it.
    if (!this.atLineStart) return;
    let text: string;
    try {
      text = `${SPINNER[this.frame++ % SPINNER.length]} ${this.describe(this.read())}`;
    } catch {
      return; // the database was busy for a moment: the next redraw tries again
    }
    const columns = this.out.columns || 80;
    this.out.write(`\r\x1b[2K${cutVisible(text, columns - 1)}`);
    this.shown = true;
  }

  private clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** Cuts a text with colour codes to `columns` visible characters. */
function cutVisible(text: string, columns: number): string {
  let visible = 0;
  let out = '';
  for (const part of text.split(/(\u001b\[[0-9;]*m)/)) {
    if (part.startsWith('\u001b[')) {
      out += part;
      continue;
    }
    const chars = [...part];
    const room = columns - visible;
    out += chars.slice(0, Math.max(0, room)).join('');
    visible += Math.min(chars.length, Math.max(0, room));
  }
  return out;
}
