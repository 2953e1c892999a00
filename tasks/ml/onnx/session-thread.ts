// An onnxruntime session in a worker thread. onnxruntime-node's run() is
// asynchronous in name only: it computes on the thread that calls it, so a
// batch scored on the main thread stops every other batch from being read or
// written meanwhile. In a worker, scoring overlaps with that work.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import type { OnnxModelInfo } from './model-info.js';
import { modelInputs, modelOutputs, type InputColumn, type RawModelOutputs, type TensorData } from './run-session.js';

// CommonJS, so that it needs no file of its own beside the bundled CLI: it
// loads onnxruntime-node from where this module resolves it.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ort);
let session;
parentPort.on('message', async ({ id, kind, bytes, options, feeds }) => {
  try {
    if (kind === 'open') {
      session = await ort.InferenceSession.create(bytes, options);
      parentPort.postMessage({ id });
    } else if (kind === 'run') {
      const tensors = {};
      for (const [name, input] of Object.entries(feeds)) tensors[name] = new ort.Tensor(input.type, input.data, input.dims);
      const results = await session.run(tensors);
      const outputs = {};
      for (const [name, tensor] of Object.entries(results)) outputs[name] = { type: tensor.type, data: tensor.data };
      // The inputs go back, to be freed by the main thread's collector: this thread allocates too little to run its own often.
      const inputs = [...new Set(Object.values(feeds).map((input) => input.data.buffer).filter((buffer) => buffer instanceof ArrayBuffer))];
      parentPort.postMessage({ id, outputs }, inputs);
    } else {
      await session?.release();
      parentPort.postMessage({ id });
      parentPort.close();
    }
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

interface Reply {
  id: number;
  error?: string;
  outputs?: Record<string, { type: string; data: unknown }>;
}

export class SessionThread {
  private readonly pending = new Map<number, { resolve(reply: Reply): void; reject(error: Error): void }>();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiting?.reject(new Error(reply.error));
      else waiting?.resolve(reply);
    });
    const fail = (error: Error) => {
      this.failure = error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the onnxruntime thread stopped (exit code ${code})`)));
  }

  /** Opens the model in a new thread; onnxruntime's refusal comes back as an error. */
  static async open(bytes: Uint8Array, options: InferenceSession.SessionOptions = {}): Promise<SessionThread> {
    const ort = createRequire(import.meta.url).resolve('onnxruntime-node');
    const thread = new SessionThread(new Worker(WORKER_SOURCE, { eval: true, workerData: { ort } }));
    try {
      await thread.call({ kind: 'open', bytes, options });
    } catch (error) {
      await thread.worker.terminate();
      throw error;
    }
    return thread;
  }

  /**
   * Predicts the first `rows` rows of `table`. The numeric columns' buffers
   * move to the thread (no copy), so the caller cannot use them afterwards.
   */
  async run(info: OnnxModelInfo, table: Record<string, InputColumn>, rows: number): Promise<RawModelOutputs> {
    const feeds = modelInputs(info, table, rows);
    const buffers = new Set<ArrayBuffer>();
    for (const input of Object.values(feeds)) if (!Array.isArray(input.data)) buffers.add(input.data.buffer as ArrayBuffer);
    const reply = await this.call({ kind: 'run', feeds }, [...buffers]);
    return modelOutputs(reply.outputs!);
  }

  async release(): Promise<void> {
    if (!this.failure) await this.call({ kind: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private call(message: { kind: 'open'; bytes: Uint8Array; options: object } | { kind: 'run'; feeds: Record<string, TensorData> } | { kind: 'close' },
    transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message }, transfer);
    });
  }
}

/**
 * Several single-threaded sessions, each in its own thread, scoring whole
 * batches side by side. onnxruntime splits one run among its threads in
 * equal parts and waits for the last, so a thread slowed by other work (the
 * next batch being read) holds up the whole run; separate runs do not wait
 * for each other.
 */
export class SessionPool {
  private turn = 0;

  private constructor(private readonly threads: SessionThread[]) {}

  static async open(bytes: Uint8Array, options: InferenceSession.SessionOptions, threads: number): Promise<SessionPool> {
    // One thread each: with a pool of its own, a session's threads would wait for each other (and spin meanwhile).
    const opened = await Promise.allSettled(Array.from({ length: threads }, () => SessionThread.open(bytes, { ...options, intraOpNumThreads: 1 })));
    const failed = opened.find((result) => result.status === 'rejected');
    if (failed) {
      await Promise.all(opened.map((result) => (result.status === 'fulfilled' ? result.value.release() : undefined)));
      throw (failed as PromiseRejectedResult).reason;
    }
    return new SessionPool(opened.map((result) => (result as PromiseFulfilledResult<SessionThread>).value));
  }

  get size(): number {
    return this.threads.length;
  }

  /** As SessionThread.run, on the threads in turn. */
  run(info: OnnxModelInfo, table: Record<string, InputColumn>, rows: number): Promise<RawModelOutputs> {
    const thread = this.threads[this.turn]!;
    this.turn = (this.turn + 1) % this.threads.length;
    return thread.run(info, table, rows);
  }

  async release(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.release()));
  }
}
