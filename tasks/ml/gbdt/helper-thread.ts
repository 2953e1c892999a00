// A second thread that takes half of the heavy loops of a big fit (the
// gradients, the histogram sums, the row partition) while the main thread
// does the other half. The two share memory (SharedArrayBuffer) and talk
// through a small Int32Array with Atomics: one request at a time, which the
// main thread waits for.
//
// The helper is an optimisation only: the halves are fixed by the data, not
// by the threads, and until the helper has started, or where its script
// cannot be found (running from TypeScript sources), the main thread does
// both halves itself, so a fit gives the same model either way.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LearningTask } from '../model-spec.js';

/** Slots of the control array. */
export const REQUEST = 0;
export const OPERATION = 1;
export const ARGUMENTS = 2; // five slots: 2..6
export const DONE = 7;
export const STATE = 8;
export const RESULT = 9;
const CONTROL_SLOTS = 10;

export const Operation = {
  /** Histogram of rows a..b taken in order: (output, a, b). */
  rowRangeHistogram: 1,
  /** Histogram of partition rows a..b: (output, a, b). */
  indexedHistogram: 2,
  /** Gradients of rows a..b: (a, b). */
  gradients: 3,
  /** Partition rows a..b on a feature: (a, b, feature, splitBin, missingBin); RESULT = where the right side starts. */
  partition: 4,
  exit: 5,
} as const;

export const STATE_READY = 1;
export const STATE_FAILED = 2;

/** Polls before sleeping: a request usually completes within microseconds of the main thread's own half. */
const SPIN_CHECKS = 20_000;
/** A request takes milliseconds; this long without an answer means the helper is gone. */
const DEADLINE_MS = 120_000;

/** What the helper thread works on: typed arrays in shared memory, and constants. */
export interface HelperInputs {
  control: Int32Array;
  task: LearningTask;
  nClasses: number;
  words: Uint32Array[];
  nonMissingBins: Int32Array;
  offsets: Int32Array;
  histogramLength: number;
  constantHessian: boolean;
  rows: Uint32Array;
  target: Float64Array;
  raw: Float64Array[];
  gradients: Float32Array[];
  hessians: Float32Array[];
  /** Where the helper writes its half of a histogram. */
  histogram: Float64Array;
}

const workerScript = new URL('./helper-worker.js', import.meta.url);

/** Whether a helper thread can run here: compiled JavaScript beside this module, and a second CPU. */
export function helperAvailable(): boolean {
  return availableParallelism() >= 2 && existsSync(fileURLToPath(workerScript));
}

export function sharedControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
}

export class HelperThread {
  private readonly worker: Worker;
  private readonly control: Int32Array;
  private sequence = 0;
  private failure: string | undefined;

  constructor(inputs: HelperInputs) {
    this.control = inputs.control;
    this.worker = new Worker(workerScript, { workerData: inputs });
    this.worker.unref();
    this.worker.on('error', (error) => { this.failure = error.message; });
  }

  /** Starts a request unless the helper is not running yet; returns whether it started. */
  request(operation: number, ...args: number[]): boolean {
    const control = this.control;
    if (Atomics.load(control, STATE) !== STATE_READY) return false;
    control[OPERATION] = operation;
    for (let i = 0; i < args.length; i++) control[ARGUMENTS + i] = args[i]!;
    this.sequence++;
    Atomics.store(control, REQUEST, this.sequence);
    Atomics.notify(control, REQUEST);
    return true;
  }

  /** Waits until the last request is done; returns its RESULT slot. */
  await(): number {
    const control = this.control;
    for (let i = 0; i < SPIN_CHECKS; i++) if (Atomics.load(control, DONE) === this.sequence) return control[RESULT]!;
    const deadline = Date.now() + DEADLINE_MS;
    while (Atomics.load(control, DONE) !== this.sequence) {
      if (Atomics.load(control, STATE) === STATE_FAILED || Date.now() > deadline) {
        throw new Error(`gradient boosting: the helper thread stopped answering${this.failure ? ` (${this.failure})` : ''}; this is a bug in Sluice`);
      }
      Atomics.wait(control, DONE, Atomics.load(control, DONE), 1000);
    }
    return control[RESULT]!;
  }

  close(): void {
    this.request(Operation.exit);
    void this.worker.terminate();
  }
}
