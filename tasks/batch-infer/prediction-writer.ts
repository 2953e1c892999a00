// Writes the predictions dataset while rows are still being read and scored.
// A thread of its own runs DuckDB's COPY … TO Parquet over a table function
// that hands DuckDB each scored batch as it arrives. Why a thread: DuckDB
// calls the table function for its next chunk and waits, and a function that
// has no chunk yet must wait for one, which only a thread that does nothing
// else may do (it blocks in Atomics.wait). Writing beside reading takes the
// Parquet encoding (about 0.2 s per 1,000,000 binary predictions) off the
// end of the task, and no table holds the predictions in between.
// The thread is CommonJS source, like the onnxruntime threads, so that the
// bundled CLI needs no file of its own for it.
import { createRequire } from 'node:module';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { TypedValues } from '../data/batch-reader.js';
import type { ScoredColumn } from './prediction-columns.js';

/** The table function's name in the writer's database. */
export const SCORED_ROWS_FUNCTION = 'sluice_scored_rows';

/** Batches sent but not yet handed to DuckDB: enough to keep the writer busy, few enough to bound memory. */
const MAX_QUEUED = 2;

// The thread uses @duckdb/node-bindings alone: node-api's classes took 0.16 s
// to load in a fresh thread, the bindings 0.07 s.
const WORKER_SOURCE = `
const { workerData, parentPort, receiveMessageOnPort } = require('node:worker_threads');
const duckdb = require(workerData.nodeBindings);
const { port, wakeups: wakeupBuffer, functionName } = workerData;
const wakeups = new Int32Array(wakeupBuffer);
const CHUNK_ROWS = 2048;
const typeId = (type) => duckdb.Type[type === 'TIMESTAMP WITH TIME ZONE' ? 'TIMESTAMP_TZ' : type];

// The main thread posts, then bumps the counter and wakes this thread: a
// message posted after the look finds the counter moved, so no wake-up is lost.
function nextMessage() {
  for (;;) {
    const seen = Atomics.load(wakeups, 0);
    const received = receiveMessageOnPort(port);
    if (received) return received.message;
    Atomics.wait(wakeups, 0, seen);
  }
}

/** DuckDB's validity mask for rows [offset, offset + rows) of a NULL mask: a set bit marks a valid row. */
function validityMask(missing, offset, rows) {
  const mask = new Uint8Array(Math.ceil(rows / 64) * 8).fill(255);
  for (let row = 0; row < rows; row += 1) if (missing[offset + row]) mask[row >> 3] &= ~(1 << (row & 7));
  return mask;
}

let batch;
let offset = 0;
let ended = false;
function produce(info, chunk) {
  while (!ended && (!batch || offset === batch.rows)) {
    if (batch) parentPort.postMessage({ kind: 'consumed' });
    batch = undefined;
    const message = nextMessage();
    if (message.kind === 'end') ended = true;
    else if (message.kind === 'abort') {
      duckdb.function_set_error(info, message.reason);
      return;
    } else {
      batch = message;
      offset = 0;
    }
  }
  if (ended) {
    duckdb.data_chunk_set_size(chunk, 0);
    return;
  }
  const rows = Math.min(CHUNK_ROWS, batch.rows - offset);
  duckdb.data_chunk_set_size(chunk, rows);
  batch.columns.forEach((values, index) => {
    const vector = duckdb.data_chunk_get_vector(chunk, index);
    const width = values.BYTES_PER_ELEMENT;
    duckdb.copy_data_to_vector(vector, 0, values.buffer, values.byteOffset + offset * width, rows * width);
    const missing = batch.nulls[index];
    if (!missing || !missing.subarray(offset, offset + rows).includes(1)) return;
    const mask = validityMask(missing, offset, rows);
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer, 0, mask.byteLength);
  });
  offset += rows;
}

(async () => {
  // One thread: with more, the thread that runs the query spins on a core for
  // as long as the table function waits for a batch.
  const config = duckdb.create_config();
  duckdb.set_config(config, 'threads', '1');
  const database = await duckdb.open(':memory:', config);
  const connection = await duckdb.connect(database);
  try {
    // The thread starts while the task still opens its input; the job comes when it is known.
    const job = nextMessage();
    if (job.kind === 'abort') throw new Error(job.reason);
    const { columns, copySql } = job;
    const scan = duckdb.create_table_function();
    duckdb.table_function_set_name(scan, functionName);
    duckdb.table_function_set_bind(scan, (info) => {
      for (const column of columns) duckdb.bind_add_result_column(info, column.name, duckdb.create_logical_type(typeId(column.type)));
    });
    // One producer: the batches come in row order and must leave in it.
    duckdb.table_function_set_init(scan, (info) => duckdb.init_set_max_threads(info, 1));
    duckdb.table_function_set_function(scan, produce);
    duckdb.register_table_function(connection, scan);
    await duckdb.query(connection, copySql);
    parentPort.postMessage({ kind: 'done' });
  } catch (error) {
    parentPort.postMessage({ kind: 'failed', message: String((error && error.message) || error) });
  } finally {
    duckdb.disconnect_sync(connection);
    duckdb.close_sync(database);
    port.close();
  }
})();
`;

type WriterReply = { kind: 'consumed' } | { kind: 'done' } | { kind: 'failed'; message: string };

export class PredictionWriter {
  private queued = 0;
  private roomWaiters: (() => void)[] = [];
  private failure: Error | undefined;
  private readonly outcome: Promise<void>;
  private readonly exited: Promise<void>;

  private constructor(worker: Worker, private readonly port: MessagePort, private readonly wakeups: Int32Array) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    this.outcome = new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        this.failure ??= error;
        this.wakeRoomWaiters();
        reject(this.failure);
      };
      worker.on('message', (reply: WriterReply) => {
        if (reply.kind === 'consumed') {
          this.queued -= 1;
          this.wakeRoomWaiters();
        } else if (reply.kind === 'done') resolve();
        else fail(new Error(reply.message));
      });
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`the predictions writer stopped before it finished (exit code ${code})`)));
    });
    // Awaited by finish() or abort(); a failure meanwhile surfaces through write().
    this.outcome.catch(() => undefined);
  }

  /** Starts the writer's thread, which loads DuckDB and waits for begin(). */
  static start(): PredictionWriter {
    const { port1, port2 } = new MessageChannel();
    const wakeups = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { nodeBindings: createRequire(import.meta.url).resolve('@duckdb/node-bindings'), port: port2, wakeups, functionName: SCORED_ROWS_FUNCTION },
      transferList: [port2],
    });
    return new PredictionWriter(worker, port1, new Int32Array(wakeups));
  }

  /** Runs `copySql`, whose rows come from the table function SCORED_ROWS_FUNCTION() with `columns`, fed by write(). */
  begin(copySql: string, columns: readonly ScoredColumn[]): void {
    this.send({ kind: 'job', copySql, columns });
  }

  /**
   * Hands over the next `rows` scored rows, a typed array per column (in
   * scoredColumns() order, each owned by the writer from now on) and, per
   * column, a NULL mask or undefined (columns past the masks' end have no
   * NULL). Resolves once the writer has room for
   * another batch; rejects if the writer failed.
   */
  async write(values: readonly TypedValues[], nulls: readonly (Uint8Array | undefined)[], rows: number): Promise<void> {
    while (this.queued >= MAX_QUEUED && !this.failure) await new Promise<void>((wake) => this.roomWaiters.push(wake));
    if (this.failure) throw this.failure;
    const buffers = new Set<ArrayBuffer>();
    for (const array of [...values, ...nulls]) if (array && array.buffer instanceof ArrayBuffer) buffers.add(array.buffer);
    this.queued += 1;
    this.send({ kind: 'batch', rows, columns: values, nulls }, [...buffers]);
  }

  /** Ends the rows and waits until the file is written. */
  async finish(): Promise<void> {
    this.send({ kind: 'end' });
    await this.outcome;
  }

  /**
   * Stops the COPY, which then fails with `reason`, and waits for the thread
   * to let go of the file and end. (Not worker.terminate(): ending the thread
   * while DuckDB's threads call into it crashes the process.)
   */
  async abort(reason: string): Promise<void> {
    this.send({ kind: 'abort', reason });
    await this.exited;
  }

  private send(message: unknown, transfer: ArrayBuffer[] = []): void {
    this.port.postMessage(message, transfer);
    Atomics.add(this.wakeups, 0, 1);
    Atomics.notify(this.wakeups, 0);
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
