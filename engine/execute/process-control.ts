// Telling whether a recorded process is still the one we started, and
// stopping process trees. A pid alone can be reused after its process dies;
// on Linux the start time in /proc/<pid>/stat tells the two apart.
import { readdirSync, readFileSync } from 'node:fs';

/** The kernel's start time of a process (clock ticks since boot), or null where /proc is missing. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields resume after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

export function isProcessAlive(pid: number, started?: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!started) return true;
  const now = processStartTime(pid);
  return now === null || now === started;
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
