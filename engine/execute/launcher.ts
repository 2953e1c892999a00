// The one way the executor starts task processes. The executor hands over an
// argv, a folder, an environment and where the output goes, and gets back
// something it can wait for and stop; it never cares where the process
// runs. LocalLauncher runs it on this machine; a launcher for workers of a
// distributed engine implements the same interface.
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, statSync, writeSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { signalProcessGroup } from './process-control.js';

export interface LaunchRequest {
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  stdoutPath: string;
  stderrPath: string;
}

export interface ProcessExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not start (no such program, no such folder); written to the stderr log too. */
  startError?: string;
}

export interface LaunchedProcess {
  /** Also the process group id: the process leads its own group. */
  readonly pid: number | undefined;
  readonly exit: Promise<ProcessExit>;
  /** SIGTERM to the whole process tree, SIGKILL after `graceMillis` if anything is left. */
  terminate(graceMillis: number): void;
}

export interface TaskLauncher {
  launch(request: LaunchRequest): LaunchedProcess;
}

/**
 * Runs tasks as local child processes with node's own spawn: the run
 * benchmark measured execa at about 1 ms more per task, and the executor
 * needs none of its conveniences (output goes straight to log files).
 */
export class LocalLauncher implements TaskLauncher {
  private readonly programs = new ProgramPaths();

  launch(request: LaunchRequest): LaunchedProcess {
    const stdout = openSync(request.stdoutPath, 'a');
    const stderr = openSync(request.stderrPath, 'a');
    const closeLogs = () => {
      closeSync(stdout);
      closeSync(stderr);
    };
    const failed = (startError: string): LaunchedProcess => {
      writeSync(stderr, `sluice: ${startError}\n`);
      closeLogs();
      return { pid: undefined, exit: Promise.resolve({ exitCode: null, signal: null, startError }), terminate() {} };
    };
    if (!isDirectory(request.cwd)) return failed(`working directory ${request.cwd} does not exist`);
    const [program, ...args] = request.argv;
    // detached: the task leads a new process group, so that a timeout or a
    // cancel reaches everything it started, and Ctrl-C in the terminal
    // reaches the runner only, which then stops tasks in order.
    const child = spawn(this.programs.resolve(program!, request.env.PATH, request.cwd), args, {
      argv0: program, cwd: request.cwd, env: request.env, stdio: ['ignore', stdout, stderr], detached: true,
    });
    closeLogs();
    const pid = child.pid;
    let killTimer: NodeJS.Timeout | undefined;
    const exit = new Promise<ProcessExit>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (pid !== undefined) return;
        const message = error.code === 'ENOENT' ? `command not found: ${program}` : `cannot start ${program}: ${error.message}`;
        const log = openSync(request.stderrPath, 'a');
        writeSync(log, `sluice: ${message}\n`);
        closeSync(log);
        resolve({ exitCode: null, signal: null, startError: message });
      });
      child.once('exit', (exitCode, signal) => {
        // Whatever the task left running in its group goes with it; when it
        // is being stopped, the rest of the group keeps its grace period.
        if (pid !== undefined && !killTimer) signalProcessGroup(pid, 'SIGKILL');
        resolve({ exitCode, signal });
      });
    });
    return {
      pid,
      exit,
      terminate(graceMillis: number) {
        if (pid === undefined || killTimer) return;
        signalProcessGroup(pid, 'SIGTERM');
        killTimer = setTimeout(() => signalProcessGroup(pid, 'SIGKILL'), graceMillis);
        killTimer.unref();
      },
    };
  }
}

/**
 * Finds programs on PATH once per run instead of once per task: the child
 * would otherwise try every PATH folder in turn (a failed execve each)
 * while the runner waits for it to start.
 */
class ProgramPaths {
  private readonly found = new Map<string, string>();

  resolve(program: string, path: string | undefined, cwd: string): string {
    if (program.includes('/') || path === undefined) return program;
    const key = `${path}\0${program}`;
    const known = this.found.get(key);
    if (known !== undefined) return known;
    for (const dir of path.split(':')) {
      const candidate = resolve(cwd, dir === '' ? '.' : dir, program);
      try {
        accessSync(candidate, constants.X_OK);
        if (!statSync(candidate).isFile()) continue;
      } catch {
        continue;
      }
      // Folders relative to the working directory depend on it: not cached.
      if (isAbsolute(dir)) this.found.set(key, candidate);
      return candidate;
    }
    // Not found: spawn reports ENOENT, which becomes "command not found".
    return program;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
