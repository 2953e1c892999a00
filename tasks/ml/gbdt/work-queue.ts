// Sharing the heavy loops of a fit with a helper thread. Each job (bin the
// features, sum a histogram, partition a node, compute gradients) is cut into
// units fixed by the data; the main thread posts the job, then both threads
// claim units one at a time until none is left, and the main thread waits for
// the units the helper took. When the helper is busy elsewhere (a loaded
// machine) the main thread simply does more units; when there is no helper it
// does them all. Which thread does a unit never changes its result, so a fit
// gives the same model either way.
//
// The two threads share memory (SharedArrayBuffer) and coordinate through a
// small Int32Array with Atomics.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';

/** Slots of the control array. */
export const REQUEST = 0;
export const OPERATION = 1;
export const ARGUMENTS = 2; // five slots: 2..6
export const UNITS = 7;
/** (request number & 0xffff) << 16 | next unit: a claim meant for an earlier request fails. */
export const CLAIM = 8;
export const FINISHED = 9;
export const STATE = 10;
/** 1 while the helper sleeps in Atomics.wait: only then does a request need a wake-up call. */
export const SLEEPING = 11;
/** How many HelperMessages the main thread has sent. */
export const MESSAGES = 12;
export const CONTROL_SLOTS = 13;

/** Shared memory made once a fit's features are binned. */
export interface HelperMemory {
  nonMissingBins: Int32Array;
  histogramLength: number;
  histogramBlock: Float64Array;
}

/** What the main thread sends the helper, before the jobs that need it. */
export type HelperMessage =
  /** A new fit: its state (shared memory and constants, see fit-state.ts). */
  | { kind: 'fit'; state: unknown }
  | { kind: 'memory'; memory: HelperMemory }
  /** The fit is over: drop its memory. */
  | { kind: 'release' };

/** What the helper thread starts with. */
export interface HelperStart {
  control: Int32Array;
  /** Where HelperMessages arrive (read with receiveMessageOnPort). */
  port: MessagePort;
}

/** A job with no units: wakes the helper to read its messages. */
export const OPERATION_NONE = 0;
export const STATE_FAILED = 2;

/**
 * Polls this many times (microseconds) before sleeping. Longer spins look
 * faster on an idle machine but take a CPU from the other thread when the
 * machine is busy; a sleeping helper only misses the first units of a job.
 */
export const SPIN_CHECKS = 2_000;
/** A unit takes milliseconds; this long without progress means the helper is gone. */
const DEADLINE_MS = 120_000;

const workerScript = new URL('./helper-worker.js', import.meta.url);

/** Whether a helper thread can run here: compiled JavaScript beside this module, and a second CPU. */
export function helperAvailable(): boolean {
  return availableParallelism() >= 2 && existsSync(fileURLToPath(workerScript));
}

/** Jobs have at most this many units (the low half of the CLAIM slot). */
export const MAX_UNITS = 0xffff;

const claimTag = (request: number): number => (request & 0xffff) << 16;

/** The next unit of request `request` for this thread, or -1 when none is left. */
export function claimUnit(control: Int32Array, request: number, units: number): number {
  const tag = claimTag(request);
  for (;;) {
    const claim = Atomics.load(control, CLAIM);
    if ((claim & 0xffff0000) !== (tag & 0xffff0000)) return -1;
    const unit = claim & 0xffff;
    if (unit >= units) return -1;
    if (Atomics.compareExchange(control, CLAIM, claim, claim + 1) === claim) return unit;
  }
}

interface HelperThread {
  worker: Worker;
  port: MessagePort;
  control: Int32Array;
  failure: string | undefined;
}

/**
 * One helper thread serves every fit of this thread, one after the other:
 * starting one takes tens of milliseconds, and a warm one runs optimised code.
 */
let helperThread: HelperThread | undefined;

function startHelper(): HelperThread {
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  const { port1, port2 } = new MessageChannel();
  const start: HelperStart = { control, port: port2 };
  const worker = new Worker(workerScript, { workerData: start, transferList: [port2] });
  // Neither keeps the process alive: the helper only ever works while a fit waits for it.
  worker.unref();
  port1.unref();
  const helper: HelperThread = { worker, port: port1, control, failure: undefined };
  const forget = () => { if (helperThread === helper) helperThread = undefined; };
  worker.on('error', (error) => { helper.failure = error.message; forget(); });
  worker.on('exit', forget);
  return helper;
}

/** The main thread's side: posts jobs, does its share of the units, waits for the helper's. */
export class WorkQueue {
  readonly control: Int32Array;
  private readonly helper: HelperThread | undefined;
  private request: number;

  /** With `withHelper`, jobs are shared with the helper thread (started if need be); else this thread does every unit. */
  constructor(withHelper: boolean) {
    if (withHelper && (!helperThread || Atomics.load(helperThread.control, STATE) === STATE_FAILED)) helperThread = startHelper();
    this.helper = withHelper ? helperThread : undefined;
    this.control = this.helper?.control ?? new Int32Array(CONTROL_SLOTS);
    // Request numbers go on from the previous fit's, so the helper sees each new one as new.
    this.request = Atomics.load(this.control, REQUEST);
  }

  /** Whether jobs can be shared (there is a helper thread). */
  get helped(): boolean {
    return this.helper !== undefined;
  }

  /** Sends the helper a message; it reads it before its next job. */
  send(message: HelperMessage): void {
    if (!this.helper) return;
    this.helper.port.postMessage(message);
    Atomics.add(this.control, MESSAGES, 1);
  }

  /**
   * Runs a job of `units` units: `perform(unit)` does one on this thread.
   * `share` false keeps a small job on this thread (a request costs microseconds).
   * A job is shared even before the helper has started: it joins when ready.
   */
  run(operation: number, args: readonly number[], units: number, share: boolean, perform: (unit: number) => void): void {
    const control = this.control;
    this.request = (this.request % 0x7fffffff) + 1;
    control[OPERATION] = operation;
    for (let i = 0; i < args.length; i++) control[ARGUMENTS + i] = args[i]!;
    control[UNITS] = units;
    Atomics.store(control, FINISHED, 0);
    Atomics.store(control, CLAIM, claimTag(this.request));
    const posted = share && this.helper !== undefined;
    if (posted) {
      Atomics.store(control, REQUEST, this.request);
      if (Atomics.load(control, SLEEPING) === 1) Atomics.notify(control, REQUEST);
    }
    for (let unit = claimUnit(control, this.request, units); unit >= 0; unit = claimUnit(control, this.request, units)) {
      perform(unit);
      Atomics.add(control, FINISHED, 1);
    }
    if (posted) this.awaitUnits(units);
    // Closed: a helper that read this job's settings late (or half-overwritten by the next job's) can claim nothing.
    Atomics.store(control, CLAIM, claimTag(this.request) | MAX_UNITS);
  }

  private awaitUnits(units: number): void {
    const control = this.control;
    for (let i = 0; i < SPIN_CHECKS; i++) if (Atomics.load(control, FINISHED) === units) return;
    const deadline = Date.now() + DEADLINE_MS;
    for (let finished = Atomics.load(control, FINISHED); finished !== units; finished = Atomics.load(control, FINISHED)) {
      if (Atomics.load(control, STATE) === STATE_FAILED || Date.now() > deadline) {
        const failure = this.helper?.failure;
        throw new Error(`gradient boosting: the helper thread stopped answering${failure ? ` (${failure})` : ''}; this is a bug in Sluice`);
      }
      Atomics.wait(control, FINISHED, finished, 1000);
    }
  }

  /** Ends the fit: the helper drops its memory (it stays, idle, for the next fit). */
  close(): void {
    if (!this.helper) return;
    this.send({ kind: 'release' });
    this.run(OPERATION_NONE, [], 0, true, () => {});
  }
}
