// What `sluice run` prints while it works: in a pipe or CI log, one line per
// state change; on a terminal, a compact status line redrawn in place (how
// far along, what runs now), with lines only for failures and retries.
import type { RunEvent } from '../engine/execute/run-executor.js';
import { formatDuration, paintState } from './run-format.js';
import type { Style } from './terminal-style.js';

/** States that, on a terminal, count in the status line and print no line: nothing went wrong. */
const QUIET_ON_TERMINAL: ReadonlySet<string> = new Set(['SUCCESS', 'EXCLUDED', 'DISABLED', 'SKIPPED']);

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface ProgressOptions {
  out: NodeJS.WriteStream | { write(text: string): boolean; isTTY?: boolean };
  style: Style;
  live: boolean;
}

export class RunProgress {
  private readonly started = new Map<string, number>();
  private readonly running = new Set<string>();
  private settled = 0;
  private total = 0;
  private frame = 0;
  private statusShown = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly runStart = Date.now();

  constructor(private readonly options: ProgressOptions) {
    if (options.live) {
      this.timer = setInterval(() => this.drawStatus(), 120);
      this.timer.unref();
    }
  }

  setTaskCount(total: number): void {
    this.total = total;
  }

  handle = (event: RunEvent): void => {
    const { style } = this.options;
    const prefix = (runId: number, key: string) => (this.rootRunId !== undefined && runId !== this.rootRunId ? `run ${runId} ${key}` : key);
    switch (event.kind) {
      case 'run-started':
        if (this.rootRunId === undefined) {
          this.rootRunId = event.runId;
          const how = event.resumed ? ' resumed' : event.repairCount > 0 ? ` repair ${event.repairCount}` : '';
          this.line(style.bold(`run ${event.runId} of '${event.pipeline}'${how}`));
        } else this.line(style.dim(`run ${event.runId} of '${event.pipeline}' started by run ${event.parentRunId}`));
        return;
      case 'run-finished':
        if (event.runId !== this.rootRunId) this.line(`run ${event.runId} of '${event.pipeline}' ${this.colour(event.state)} in ${formatDuration(event.durationMs)}`);
        return;
      case 'task': {
        const id = `${event.runId}/${event.taskKey}`;
        const name = prefix(event.runId, event.taskKey);
        if (event.state === 'RUNNING') {
          this.started.set(id, Date.now());
          this.running.add(name);
          if (!this.options.live) {
            this.line(`${name} ${style.cyan('RUNNING')}${event.attempt && event.attempt > 1 ? ` attempt ${event.attempt}` : ''}${event.message ? ` (${event.message})` : ''}`);
          }
          return;
        }
        this.running.delete(name);
        const began = this.started.get(id);
        const took = began === undefined ? '' : ` ${style.dim(formatDuration(Date.now() - began))}`;
        if (event.state === 'RETRY_WAIT') {
          this.line(`${name} ${style.yellow('FAILED')}${took}, retry in ${formatDuration(event.retryInMs ?? 0)}${this.detail(event.message)}`);
          return;
        }
        if (event.runId === this.rootRunId && !event.taskKey.includes('[')) this.settled++;
        // On a terminal the status line shows progress; only what needs a look gets a line of its own.
        if (this.options.live && QUIET_ON_TERMINAL.has(event.state)) return;
        this.line(`${name} ${this.colour(event.state)}${took}${event.state === 'SUCCESS' ? '' : this.detail(event.message)}`);
      }
    }
  };

  private rootRunId: number | undefined;

  /** Clears the status line before the summary is printed. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
    this.clearStatus();
  }

  colour(state: string): string {
    return paintState(state, this.options.style);
  }

  private detail(message: string | undefined): string {
    if (!message) return '';
    const [first, ...rest] = message.split('\n');
    return `: ${first}${rest.map((line) => `\n    ${line}`).join('')}`;
  }

  private pending = '';

  private flushTimer: NodeJS.Timeout | undefined;

  /** Lines go out in batches, every 50 ms: one write for many tasks, not two per task. */
  private line(text: string): void {
    if (this.pending === '') {
      // unref: a pending batch must not keep the process alive; close() writes it.
      this.flushTimer = setTimeout(() => this.flush(), 50).unref();
    }
    this.pending += `${text}\n`;
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    if (this.pending === '') return;
    this.clearStatus();
    this.options.out.write(this.pending);
    this.pending = '';
    this.drawStatus();
  }

  private clearStatus(): void {
    if (!this.statusShown) return;
    this.options.out.write('\r\x1b[2K');
    this.statusShown = false;
  }

  private drawStatus(): void {
    if (!this.options.live) return;
    const names = [...this.running];
    const shown = names.slice(0, 4).join(', ') + (names.length > 4 ? ` +${names.length - 4}` : '');
    // A terminal that reports no size (0 columns) gets the classic 80.
    const columns = (this.options.out as NodeJS.WriteStream).columns || 80;
    const text = `${SPINNER[this.frame++ % SPINNER.length]} ${this.settled}/${this.total} done · ${formatDuration(Date.now() - this.runStart)}` +
      (names.length > 0 ? ` · running ${shown}` : '');
    this.options.out.write(`\r\x1b[2K${text.slice(0, columns - 1)}`);
    this.statusShown = true;
  }
}
