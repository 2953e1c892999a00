// A second thread that sums half of a big node's rows into its own
// histogram while the main thread sums the other half. The two share memory
// (SharedArrayBuffer) and talk through a small Int32Array of slots with
// Atomics: one request at a time, and the main thread waits for it.
//
// The helper is an optimisation only. Until it has started, or where its
// script cannot be found (running from TypeScript sources), the main thread
// sums both halves itself, in the same order, so results are identical.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Slots of the control array. */
export const REQUEST = 0;
export const OPERATION = 1;
export const OUTPUT = 2;
export const START = 3;
export const STOP = 4;
export const DONE = 5;
export const STATE = 6;
export const CONTROL_SLOTS = 8;

export const OPERATION_ROW_RANGE = 1;
export const OPERATION_INDEXED_ROWS = 2;
export const OPERATION_EXIT = 3;

export const STATE_STARTING = 0;
export const STATE_READY = 1;
export const STATE_FAILED = 2;

/** Polls before sleeping: a request usually completes within tens of microseconds of the main thread's own half. */
const SPIN_CHECKS = 20_000;
/** A request takes milliseconds; this long without an answer means the helper is gone. */
const DEADLINE_MS = 120_000;

/** What the helper thread needs, all in shared memory except the constants. */
export interface HelperInputs {
  words: Uint32Array[];
  offsets: Int32Array;
  histogramLength: number;
  rows: Uint32Array;
  gradients: Float32Array[];
  hessians: Float32Array[];
  constantHessian: boolean;
  /** Where the helper writes its half. */
  histogram: Float64Array;
  control: Int32Array;
}

const workerScript = new URL('./histogram-worker.js', import.meta.url);

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
  request(operation: number, output: number, start: number, stop: number): boolean {
    if (Atomics.load(this.control, STATE) !== STATE_READY) return false;
    const control = this.control;
    control[OPERATION] = operation;
    control[OUTPUT] = output;
    control[START] = start;
    control[STOP] = stop;
    this.sequence++;
    Atomics.store(control, REQUEST, this.sequence);
    Atomics.notify(control, REQUEST);
    return true;
  }

  /** Waits until the last request is done. */
  await(): void {
    const control = this.control;
    for (let i = 0; i < SPIN_CHECKS; i++) if (Atomics.load(control, DONE) === this.sequence) return;
    const deadline = Date.now() + DEADLINE_MS;
    while (Atomics.load(control, DONE) !== this.sequence) {
      if (Atomics.load(control, STATE) === STATE_FAILED || Date.now() > deadline) {
        throw new Error(`gradient boosting: the histogram helper thread stopped answering${this.failure ? ` (${this.failure})` : ''}; this is a bug in Sluice`);
      }
      Atomics.wait(control, DONE, Atomics.load(control, DONE), 1000);
    }
  }

  close(): void {
    this.request(OPERATION_EXIT, 0, 0, 0);
    void this.worker.terminate();
  }
}
