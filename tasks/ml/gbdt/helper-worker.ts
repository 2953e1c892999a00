// The helper thread (see work-queue.ts): wait for a job, read the messages
// sent before it (a new fit's state, its histograms, the end of a fit), then
// claim and do the job's units until none is left.
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { FitState } from './fit-state.js';
import { slotView } from './histogram-pool.js';
import { lossFor } from './losses.js';
import {
  ARGUMENTS, claimUnit, FINISHED, MESSAGES, OPERATION, REQUEST, SLEEPING, SPIN_CHECKS, STATE, STATE_FAILED, UNITS,
  type HelperMessage, type HelperStart,
} from './work-queue.js';
import { performUnit, type ThreadScratch } from './work-units.js';

const { control, port } = workerData as HelperStart;
const args = control.subarray(ARGUMENTS, ARGUMENTS + 5);
let fit: { state: FitState; scratch: ThreadScratch } | undefined;
let messagesRead = 0;

function read(message: HelperMessage): void {
  if (message.kind === 'fit') {
    const state = message.state as FitState;
    const scratch: ThreadScratch = {
      spill: new Uint32Array(state.rows),
      loss: lossFor(state.task, state.nClasses),
      privateHistograms: [],
      secondHalves: new Float64Array(0),
    };
    fit = { state, scratch };
  } else if (message.kind === 'memory' && fit) {
    const { memory } = message;
    Object.assign(fit.state, memory);
    fit.scratch.secondHalves = slotView(memory.histogramBlock, memory.histogramLength, 0);
  } else {
    fit = undefined;
  }
}

/** Reads the messages sent so far (each is sent before the count goes up, so it is there to read). */
function readMessages(): void {
  while (messagesRead < Atomics.load(control, MESSAGES)) {
    const received = receiveMessageOnPort(port);
    if (!received) return;
    read(received.message as HelperMessage);
    messagesRead++;
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

function serve(): never {
  // A job posted before this thread started is still joined (or found finished).
  let seen = 0;
  for (;;) {
    const request = nextRequest(seen);
    if (request === seen) continue;
    seen = request;
    const operation = control[OPERATION]!;
    const units = control[UNITS]!;
    readMessages();
    if (!fit) continue;
    const { state, scratch } = fit;
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
}
