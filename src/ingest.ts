/**
 * Uploads are parsed off the main thread. A small pool of worker threads each
 * holds any number of in-progress parses keyed by upload; the main thread only
 * forwards chunks and receives, at the end, Arrow IPC bytes that arquero opens
 * in milliseconds. In a notebook the main thread is the kernel, so this is what
 * keeps a notebook responsive while a large file streams in.
 *
 *   socket chunk ─▶ Ingest.push ─▶ worker: CsvParser.push ─▶ 'parsed' offset
 *   end          ─▶ Ingest.end  ─▶ worker: end(), columnsToIPC ─▶ IPC + summary
 */
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ColumnInfo, CsvOptions } from './csv.js';
import { type CsvSocketError, ErrorCode, type ErrorContext, errorFromWire } from './errors.js';
import type { UploadFormat } from './protocol.js';

/** What a finished parse yields. */
export interface IngestResult {
  ipc: Uint8Array;
  columns: ColumnInfo[];
  rows: number;
  warnings: string[];
  /** first rows, exact text per cell, null for a missing value */
  head: Array<Array<string | null>>;
}

/** What a worker parses: CSV, Arrow IPC, or the original design's pandas `to_json()`. */
export type IngestFormat = UploadFormat | 'pandas';

/** Messages from the main thread to a worker. */
export type ToWorker =
  | { op: 'begin'; id: number; format: IngestFormat; options: CsvOptions; headRows: number }
  | { op: 'chunk'; id: number; bytes: Uint8Array }
  | { op: 'end'; id: number }
  | { op: 'abort'; id: number };

/** Messages from a worker to the main thread. */
export type FromWorker =
  | { op: 'parsed'; id: number; bytes: number }
  | ({ op: 'done'; id: number } & IngestResult)
  | { op: 'error'; id: number; code: string; message: string; context: ErrorContext };

/** Callbacks of one parse. */
export interface IngestListener {
  /** bytes consumed by the parser so far */
  onParsed(bytes: number): void;
  /** the parse failed before `end` was called (a bad row, a limit) */
  onError(err: CsvSocketError): void;
}

interface Pending {
  worker: PooledWorker;
  listener: IngestListener;
  finish?: { resolve: (r: IngestResult) => void; reject: (e: CsvSocketError) => void };
  failed?: CsvSocketError;
}

interface PooledWorker {
  worker: Worker;
  active: number;
}

/** Options of the parse pool. */
export interface IngestOptions {
  /** number of worker threads; default: available cores, at most 4 */
  threads?: number;
}

/**
 * A pool of parse workers. One per server; workers start on first use and are
 * `unref`'d, so an idle pool never keeps a process (or a kernel) alive.
 */
export class Ingest {
  private readonly size: number;
  private readonly pool: PooledWorker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(options: IngestOptions = {}) {
    this.size = Math.max(1, options.threads ?? Math.min(4, availableParallelism()));
  }

  /**
   * Start a parse.
   *
   * @param format - csv or arrow
   * @param options - CSV options (types, limits)
   * @param listener - told of progress, and of a failure before the end
   * @returns the parse's id for {@link push}, {@link end} and {@link abort}
   */
  begin(format: IngestFormat, options: CsvOptions, listener: IngestListener): number {
    const id = this.nextId++;
    const worker = this.pick();
    worker.active++;
    if (worker.active === 1) worker.worker.ref();
    this.pending.set(id, { worker, listener });
    this.post(worker, { op: 'begin', id, format, options, headRows: 5 });
    return id;
  }

  /** Forward a chunk to the parse's worker (copied; the caller keeps its buffer). */
  push(id: number, bytes: Uint8Array): void {
    const p = this.pending.get(id);
    if (!p || p.failed) return;
    const copy = new Uint8Array(bytes);
    p.worker.worker.postMessage({ op: 'chunk', id, bytes: copy } satisfies ToWorker, [copy.buffer]);
  }

  /** Finish a parse; resolves to the table as Arrow IPC, or rejects with the parse error. */
  end(id: number): Promise<IngestResult> {
    const p = this.pending.get(id);
    if (!p) return Promise.reject(errorFromWire(ErrorCode.INTERNAL, `no parse ${id} in progress`));
    if (p.failed) {
      this.release(id);
      return Promise.reject(p.failed);
    }
    return new Promise((resolve, reject) => {
      p.finish = { resolve, reject };
      this.post(p.worker, { op: 'end', id });
    });
  }

  /** The error a parse has already failed with, if any (checked before `end`). */
  failure(id: number): CsvSocketError | undefined {
    return this.pending.get(id)?.failed;
  }

  /** Drop a parse and free its memory in the worker. */
  abort(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.post(p.worker, { op: 'abort', id });
    this.release(id);
  }

  /** Stop every worker. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [id, p] of this.pending) {
      p.finish?.reject(errorFromWire(ErrorCode.CONNECTION_CLOSED, 'the server closed before the upload finished'));
      this.pending.delete(id);
    }
    await Promise.all(this.pool.map((w) => w.worker.terminate()));
    this.pool.length = 0;
  }

  private post(w: PooledWorker, message: ToWorker): void {
    w.worker.postMessage(message);
  }

  private release(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.worker.active--;
    if (p.worker.active === 0) p.worker.worker.unref();
  }

  private pick(): PooledWorker {
    if (this.closed) throw errorFromWire(ErrorCode.CONNECTION_CLOSED, 'the server is closed');
    if (this.pool.length < this.size) {
      const least = this.pool.find((w) => w.active === 0);
      if (least) return least;
      return this.spawn();
    }
    return this.pool.reduce((a, b) => (b.active < a.active ? b : a));
  }

  private spawn(): PooledWorker {
    // under tsx (tests) this module is .ts and so is the worker beside it
    const file = join(__dirname, `parse-worker${extname(__filename)}`);
    // tests run the TypeScript sources under tsx, whose loader hooks a worker
    // thread does not inherit: register tsx's require hook inside the worker
    const worker = file.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true })
      : new Worker(file);
    const pooled: PooledWorker = { worker, active: 0 };
    worker.unref();
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (err) => this.onWorkerDeath(pooled, err));
    worker.on('exit', (code) => {
      if (!this.closed) this.onWorkerDeath(pooled, new Error(`parse worker exited with code ${code}`));
    });
    this.pool.push(pooled);
    return pooled;
  }

  private onMessage(m: FromWorker): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.op === 'parsed') {
      p.listener.onParsed(m.bytes);
    } else if (m.op === 'done') {
      this.release(m.id);
      p.finish?.resolve({ ipc: m.ipc, columns: m.columns, rows: m.rows, warnings: m.warnings, head: m.head });
    } else {
      const err = errorFromWire(m.code, m.message, m.context);
      if (p.finish) {
        this.release(m.id);
        p.finish.reject(err);
      } else {
        p.failed = err;
        p.listener.onError(err);
      }
    }
  }

  private onWorkerDeath(pooled: PooledWorker, err: Error): void {
    const index = this.pool.indexOf(pooled);
    if (index < 0) return;
    this.pool.splice(index, 1);
    // a worker that dies (out of memory, a bug) fails its own parses only
    for (const [id, p] of this.pending) {
      if (p.worker !== pooled) continue;
      const failure = errorFromWire(ErrorCode.INTERNAL, `the parser failed: ${err.message}`);
      if (p.finish) {
        this.pending.delete(id);
        p.finish.reject(failure);
      } else {
        p.failed = failure;
        p.listener.onError(failure);
      }
    }
    void pooled.worker.terminate();
  }
}
