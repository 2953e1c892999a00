// Evidence for the launcher choice: how long node's child_process.spawn and
// execa 9 take to start and reap a no-op process, run in-process as the
// executor would, at the executor's concurrency. Each variant starts the
// same `true`; the log-file variants send stdout and stderr to files, as a
// task attempt does.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from './measure.js';

export interface LauncherResult {
  label: string;
  processes: number;
  runs: number;
  medianMsPerProcess: number;
  minMsPerProcess: number;
}

/** Starts one `true` and waits for it; log files go into `folder`. */
type Launch = (folder: string) => Promise<void>;

function exited(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`true exited ${code}`))));
  });
}

/** stdout and stderr each to its own log file, in a process group of its own: what LocalLauncher (engine/execute/launcher.ts) does. */
function spawnToLogs(folder: string): Promise<void> {
  const stdout = openSync(join(folder, 'stdout.log'), 'a');
  const stderr = openSync(join(folder, 'stderr.log'), 'a');
  try {
    return exited(spawn('true', [], { stdio: ['ignore', stdout, stderr], detached: true }));
  } finally {
    // The child has its own copies once spawn returns.
    closeSync(stdout);
    closeSync(stderr);
  }
}

async function variants(): Promise<{ label: string; launch: Launch }[]> {
  // A devDependency: the benchmark compares it, the engine need not ship it.
  const { execa } = await import('execa');
  return [
    { label: 'child_process.spawn, stdio ignored', launch: () => exited(spawn('true', [], { stdio: 'ignore' })) },
    { label: 'child_process.spawn, log files, detached', launch: spawnToLogs },
    { label: 'execa 9, stdio ignored', launch: async () => void (await execa('true', [], { stdio: 'ignore' })) },
    {
      label: 'execa 9, log files ({ file }), detached',
      launch: async (folder) => void (await execa('true', [], {
        stdin: 'ignore', detached: true,
        stdout: { file: join(folder, 'stdout.log'), append: true },
        stderr: { file: join(folder, 'stderr.log'), append: true },
      })),
    },
  ];
}

/** Starts `count` processes, at most `concurrency` at a time; returns the wall milliseconds. */
async function pool(count: number, concurrency: number, launch: Launch, folder: string): Promise<number> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      await launch(folder);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - start;
}

/** Every variant `runs` times, interleaved in rotating order so no variant always follows another. */
export async function compareLaunchers(processes: number, concurrency: number, runs: number): Promise<LauncherResult[]> {
  const list = await variants();
  const folder = mkdtempSync(join(tmpdir(), 'sluice-launcher-'));
  try {
    for (const v of list) await pool(20, concurrency, v.launch, folder); // warm-up
    const times = list.map(() => [] as number[]);
    for (let r = 0; r < runs; r++) {
      for (let j = 0; j < list.length; j++) {
        const index = (r + j) % list.length;
        times[index]!.push(await pool(processes, concurrency, list[index]!.launch, folder));
      }
    }
    return list.map((v, i) => ({
      label: v.label, processes, runs,
      medianMsPerProcess: median(times[i]!) / processes,
      minMsPerProcess: Math.min(...times[i]!) / processes,
    }));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
