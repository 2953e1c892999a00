// Telling whether a recorded process is still the one we started, and
// stopping process trees. A pid alone can be reused after its process dies;
// on Linux the start time in /proc/<pid>/stat tells the two apart.
import { readdirSync, readFileSync } from 'node:fs';

/** What /proc/<pid>/stat says of a process: its state letter and its start time (clock ticks since boot). */
export interface ProcStat {
  state: string;
  startTime: string;
}

/** Reads the text of /proc/<pid>/stat; null when it cannot be read. */
export function parseProcStat(text: string): ProcStat | null {
  // The command name (field 2) may hold spaces and parentheses; fields resume after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  if (fields[0] === undefined || fields[19] === undefined) return null;
  return { state: fields[0], startTime: fields[19] };
}

function procStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** The kernel's start time of a process (clock ticks since boot), or null where /proc is missing. */
export function processStartTime(pid: number): string | null {
  return procStat(pid)?.startTime ?? null;
}

/**
 * Whether the process lives, and is the one that started at `started`. A
 * zombie (exited, not yet reaped by its parent) still answers kill(pid, 0)
 * but is dead: its runs can be taken over at once. Where there is no /proc,
 * kill(pid, 0) alone decides.
 */
export function isProcessAlive(pid: number, started?: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (stat && (stat.state === 'Z' || stat.state === 'X')) return false;
  if (!started) return true;
  return stat === null || stat.startTime === started;
}

/** Sends `signal` to every process in the group; false when the group is gone. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  // A group that is gone is the usual case after a task ends; its error needs
  // no stack trace, whose capture would cost more than the kill itself.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Processes whose environment holds `NAME=value`; undefined where there is
 * no /proc to look in. Task processes carry their
 * attempt's id in the environment, which finds them even when they left
 * their process group (setsid, daemons) or their pid was never recorded.
 */
export function findProcessesByEnv(name: string, value: string): number[] | undefined {
  const needle = Buffer.from(`${name}=${value}\0`);
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`);
      if (environ.indexOf(needle) === 0 || environ.indexOf(Buffer.concat([Buffer.from([0]), needle])) >= 0) found.push(pid);
    } catch {
      // Gone, or another user's: not ours either way.
    }
  }
  return found;
}
