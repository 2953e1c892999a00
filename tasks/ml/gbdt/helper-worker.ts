// The helper thread (see work-queue.ts): wait for a job, claim and do its
// units until none is left, wait for the next job.
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { FitState } from './fit-state.js';
import { slotView } from './histogram-pool.js';
import { lossFor } from './losses.js';
import {
  ARGUMENTS, claimUnit, FINISHED, MEMORY_MESSAGES, OPERATION, OPERATION_EXIT, REQUEST, SLEEPING, SPIN_CHECKS, STATE, STATE_FAILED, UNITS,
  type HelperMemory, type HelperStart,
} from './work-queue.js';
import { performUnit, type ThreadScratch } from './work-units.js';

const { state, port } = workerData as HelperStart<FitState>;
const control = state.control;
const args = control.subarray(ARGUMENTS, ARGUMENTS + 5);
const scratch: ThreadScratch = {
  spill: new Uint32Array(state.rows),
  loss: lossFor(state.task, state.nClasses),
  privateHistogram: new Float64Array(0),
  secondHalves: new Float64Array(0),
};
let memoryMessages = 0;

/** Takes the memory the main thread made since the last job (sent before the job was posted). */
function adoptMemory(): void {
  while (memoryMessages < Atomics.load(control, MEMORY_MESSAGES)) {
    const received = receiveMessageOnPort(port);
    if (!received) return;
    const memory = received.message as HelperMemory;
    state.nonMissingBins = memory.nonMissingBins;
    state.histogramLength = memory.histogramLength;
    state.histogramBlock = memory.histogramBlock;
    scratch.secondHalves = slotView(memory.histogramBlock, memory.histogramLength, 0);
    memoryMessages++;
  }
}

function nextRequest(seen: number): number {
  for (let i = 0; i < SPIN_CHECKS; i++) {
    const request = Atomics.load(control, REQUEST);
    if (request !== seen) return request;
  }
  Atomics.store(control, SLEEPING, 1);
  Atomics.wait(control, REQUEST, seen);
  Atomics.store(control, SLEEPING, 0);
  return Atomics.load(control, REQUEST);
}

function serve(): void {
  // Requests count from 1: a job posted before this thread started is still joined (or found finished).
  let seen = 0;
  for (;;) {
    const request = nextRequest(seen);
    if (request === seen) continue;
    seen = request;
    const operation = control[OPERATION]!;
    if (operation === OPERATION_EXIT) return;
    const units = control[UNITS]!;
    adoptMemory();
    for (let unit = claimUnit(control, request, units); unit >= 0; unit = claimUnit(control, request, units)) {
      performUnit(state, scratch, operation, args, unit, units);
      Atomics.add(control, FINISHED, 1);
      Atomics.notify(control, FINISHED);
    }
  }
}

try {
  serve();
} catch (error) {
  Atomics.store(control, STATE, STATE_FAILED);
  Atomics.notify(control, FINISHED);
  throw error;
} finally {
  port.close();
}
