// An attempt's output for the log view: its stdout and stderr files, read
// from where the last read stopped (a multi-byte character split between
// reads stays whole), the way `sluice logs --follow` reads them.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { useEffect, useState } from 'react';
import type { AttemptRow } from '../../engine/state/run-store.js';
import { useServices } from './live.js';

/** Lines kept per stream: a runaway log must not eat the UI's memory. */
const MAX_LINES = 20_000;
const CHUNK = 256 * 1024;

class StreamTail {
  private offset = 0;
  private decoder = new StringDecoder('utf8');
  private partial = '';
  readonly lines: string[] = [];
  dropped = 0;

  constructor(private readonly file: string) {}

  /** Reads what was appended since the last call; true when there was something. */
  read(): boolean {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return false; // not written yet
    }
    let grew = false;
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) this.restart(); // truncated and rewritten
      const buffer = Buffer.alloc(Math.min(CHUNK, Math.max(1, size - this.offset)));
      while (this.offset < size) {
        const n = readSync(fd, buffer, 0, Math.min(buffer.length, size - this.offset), this.offset);
        if (n === 0) break;
        this.take(this.decoder.write(buffer.subarray(0, n)));
        this.offset += n;
        grew = true;
      }
    } finally {
      closeSync(fd);
    }
    return grew;
  }

  /** Complete lines, then the line still being written. */
  all(): string[] {
    return this.partial === '' ? this.lines : [...this.lines, printable(this.partial)];
  }

  private take(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.lines.push(printable(line));
    if (this.lines.length > MAX_LINES) {
      const extra = this.lines.length - MAX_LINES;
      this.lines.splice(0, extra);
      this.dropped += extra;
    }
  }

  private restart(): void {
    this.offset = 0;
    this.decoder = new StringDecoder('utf8');
    this.partial = '';
    this.lines.length = 0;
    this.dropped = 0;
  }
}

/**
 * A task's line without terminal control sequences: colours and cursor moves
 * in a task's output must not redraw the UI around it.
 */
export function printable(line: string): string {
  return line.replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '').replace(/\u001b\][^\u0007]*(\u0007|\u001b\\)/g, '')
    .replace(/\t/g, '    ').replace(/[\u0000-\u001f\u007f]/g, '');
}

/** Both streams of an attempt as the lines the log view shows: stdout, then stderr under a rule. */
export class AttemptOutput {
  private readonly stdout: StreamTail | undefined;
  private readonly stderr: StreamTail | undefined;

  constructor(runDir: string, attempt: Pick<AttemptRow, 'stdout_path' | 'stderr_path'>) {
    const path = (file: string | null) => (file === null ? undefined : resolve(runDir, file));
    const out = path(attempt.stdout_path);
    const err = path(attempt.stderr_path);
    this.stdout = out ? new StreamTail(out) : undefined;
    // One file for both streams is read once.
    this.stderr = err && err !== out ? new StreamTail(err) : undefined;
  }

  read(): boolean {
    const a = this.stdout?.read() ?? false;
    const b = this.stderr?.read() ?? false;
    return a || b;
  }

  lines(): string[] {
    const out: string[] = [];
    const add = (tail: StreamTail | undefined) => {
      if (!tail) return;
      if (tail.dropped > 0) out.push(`… ${tail.dropped} earlier lines not shown (sluice logs has them all)`);
      out.push(...tail.all());
    };
    add(this.stdout);
    const stderr = this.stderr?.all() ?? [];
    if (stderr.length > 0) {
      out.push('--- stderr ---');
      add(this.stderr);
    }
    return out;
  }
}

/** The attempt's output, read again every poll while the view is open. */
export function useAttemptOutput(runDir: string | undefined, attempt: AttemptRow | undefined): string[] {
  const { pollMs } = useServices();
  const [lines, setLines] = useState<string[]>([]);
  const stdoutPath = attempt?.stdout_path ?? null;
  const stderrPath = attempt?.stderr_path ?? null;
  useEffect(() => {
    if (runDir === undefined || (stdoutPath === null && stderrPath === null)) {
      setLines([]);
      return undefined;
    }
    const output = new AttemptOutput(runDir, { stdout_path: stdoutPath, stderr_path: stderrPath });
    const readNow = () => {
      if (output.read()) setLines(output.lines());
    };
    setLines([]);
    readNow();
    const timer = setInterval(readNow, pollMs);
    return () => clearInterval(timer);
  }, [runDir, stdoutPath, stderrPath, pollMs]);
  return lines;
}
