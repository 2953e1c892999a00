// The helper thread's loop (see helper-thread.ts): wait for a request, sum
// the requested rows into the shared helper histogram, say it is done.
import { workerData } from 'node:worker_threads';
import type { BinnedFeatures } from './binning.js';
import {
  DONE, OPERATION, OPERATION_EXIT, OPERATION_INDEXED_ROWS, OUTPUT, REQUEST, START, STATE, STATE_FAILED, STATE_READY, STOP,
  type HelperInputs,
} from './helper-thread.js';
import { addIndexedRows, addRowRange, type HistogramLayout } from './histogram.js';

/** Polls before sleeping, to pick up the next request of a tree without a wake-up delay. */
const SPIN_CHECKS = 50_000;

const inputs = workerData as HelperInputs;
const control = inputs.control;
// Only the words are read here, so the other fields of the binned data are left empty.
const data: BinnedFeatures = {
  words: inputs.words, features: 0, edges: [], nonMissingBins: new Int32Array(0), hasMissing: new Uint8Array(0), rows: inputs.rows.length,
};
const layout: HistogramLayout = { offsets: inputs.offsets, length: inputs.histogramLength };
const orderedGradients = new Float32Array(inputs.rows.length);
const orderedHessians = new Float32Array(inputs.rows.length);

function nextRequest(seen: number): number {
  for (let i = 0; i < SPIN_CHECKS; i++) {
    const request = Atomics.load(control, REQUEST);
    if (request !== seen) return request;
  }
  Atomics.wait(control, REQUEST, seen);
  return Atomics.load(control, REQUEST);
}

function serve(): void {
  let seen = Atomics.load(control, REQUEST);
  Atomics.store(control, STATE, STATE_READY);
  for (;;) {
    const request = nextRequest(seen);
    if (request === seen) continue;
    seen = request;
    const operation = control[OPERATION]!;
    if (operation === OPERATION_EXIT) return;
    const output = control[OUTPUT]!;
    const start = control[START]!;
    const stop = control[STOP]!;
    const histogram = inputs.histogram;
    histogram.fill(0);
    const gradients = inputs.gradients[output]!;
    const hessians = inputs.hessians[output]!;
    if (operation === OPERATION_INDEXED_ROWS) {
      addIndexedRows(histogram, data, layout, inputs.rows, start, stop, gradients, hessians, inputs.constantHessian, orderedGradients, orderedHessians);
    } else {
      addRowRange(histogram, data, layout, start, stop, gradients, hessians, inputs.constantHessian);
    }
    Atomics.store(control, DONE, request);
    Atomics.notify(control, DONE);
  }
}

try {
  serve();
} catch (error) {
  Atomics.store(control, STATE, STATE_FAILED);
  Atomics.notify(control, DONE);
  throw error;
}
