/**
 * Queries run off the main thread. In a notebook the main thread is the
 * kernel: a filter, sort or groupby over a large dataset there would freeze
 * the notebook and every client, so each such query runs in a worker thread
 * and the main thread only forwards the result's Arrow IPC bytes.
 *
 *   Session.onQuery ─▶ QueryPool.run ─┬─ whole table: the stored IPC, as it is
 *                                     ├─ bounded cost (a head query, a small table): here
 *                                     └─ queue ─▶ worker: decode (once) ─▶ runQuery ─▶ IPC
 *   timeout, or the client leaves ─▶ terminate that worker (a new one starts on demand)
 *
 * A dataset's IPC bytes are in a SharedArrayBuffer once per stored version (shared.ts)
 * (unless they already are), so every worker decodes the same memory: numeric
 * columns are views into it, and no query copies the table. A worker keeps the
 * tables it decoded (and the string columns a query read) until the dataset is
 * replaced or dropped, or the worker sits idle for a while.
 *
 * Fairness: each query has a time budget (`queryTimeoutMs`, counted from the
 * moment a started worker takes it, so waiting for a worker does not count,
 * and every query ahead has a budget of its own); a connection may have at most
 * `maxQueriesPerClient` queries waiting or running, and runs at most half of
 * the workers at once, so one client never holds them all.
 */
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ipcByteLength } from '../../arrow/ipc.js';
import type { ColumnInfo } from '../../csv/index.js';
import {
  type CsvSocketError,
  ErrorCode,
  type ErrorContext,
  errorFromWire,
  LimitError,
  QueryError,
} from '../../errors.js';
import type { Limits } from '../../protocol/limits.js';
import type { Query } from '../../query/index.js';
import type { Dataset, Datasets } from '../datasets.js';
import { AnswerCollector, type ReleaseCollector } from '../gc.js';
import { answerBoundedQuery, type QueryAnswer } from './answer.js';
import { type SharedDataset, SharedDatasets } from './shared.js';

export type { QueryAnswer } from './answer.js';

/** Messages from the main thread to a query worker. */
export type ToQueryWorker =
  | {
      op: 'run';
      id: number;
      /** the dataset version: the worker decodes each key once */
      key: number;
      /** the dataset as Arrow IPC streams, in SharedArrayBuffers (shared, not copied) */
      ipc: readonly Uint8Array[];
      columns: ColumnInfo[];
      query: Query;
      maxRows: number;
    }
  | { op: 'forget'; key: number };

/** Messages from a query worker to the main thread. */
export type FromQueryWorker =
  | { op: 'ready' }
  | ({ op: 'done'; id: number } & QueryAnswer)
  | { op: 'error'; id: number; code: string; message: string; context: ErrorContext };

/** Options of the query pool. */
export interface QueryPoolOptions {
  /** the server's limits: `queryTimeoutMs`, `maxQueriesPerClient`, `maxQueryRows` */
  limits: Limits;
  /** most worker threads; they start on demand. @default 4 (at least 2) */
  threads?: number;
  /** a worker idle this long exits, freeing what it decoded. @default 60 s */
  idleMs?: number;
  /** the main thread's full collections, for answers held long (see AnswerCollector). @default one of its own */
  released?: ReleaseCollector;
}

interface PooledWorker {
  worker: Worker;
  job: Job | null;
  /** the worker has started (loaded its modules) */
  ready: boolean;
  idle?: NodeJS.Timeout;
}

interface Job {
  id: number;
  client: object;
  dataset: Dataset;
  query: Query;
  resolve: (answer: QueryAnswer) => void;
  reject: (err: CsvSocketError) => void;
  /** runs from the moment a started worker takes the job */
  timer?: NodeJS.Timeout;
  worker: PooledWorker | null;
}

/** The pool of query workers of one server. */
export class QueryPool {
  private readonly limits: Limits;
  private readonly size: number;
  private readonly idleMs: number;
  private readonly workers: PooledWorker[] = [];
  private readonly queue: Job[] = [];
  /** queries waiting or running, per client */
  private readonly inFlight = new Map<object, Set<Job>>();
  private readonly shared: SharedDatasets;
  private nextId = 1;
  private closed = false;
  private readonly answers: AnswerCollector;
  /** the last worker to end ended before it was ready: no spare is started until one is (see spare) */
  private startFailed = false;

  constructor(datasets: Datasets, options: QueryPoolOptions) {
    this.limits = options.limits;
    this.size = Math.max(2, options.threads ?? 4);
    this.idleMs = options.idleMs ?? 60_000;
    this.answers = new AnswerCollector(undefined, undefined, undefined, undefined, options.released);
    // a replaced or dropped dataset's decoded copies are garbage in every worker
    this.shared = new SharedDatasets(datasets, (key) => this.broadcastForget(key));
  }

  /**
   * Answer a query on a dataset for a client.
   *
   * @param client - who asks (its connection); counted against `maxQueriesPerClient`
   * @param dataset - the dataset, as stored when the query arrived
   * @param query - a parsed query
   * @returns the answer; rejects with `CSVS_QUERY_TIMEOUT` past the time budget,
   *   `CSVS_LIMIT_QUERIES` past the client's cap, or the query's own error
   */
  run(client: object, dataset: Dataset, query: Query): Promise<QueryAnswer> {
    const { maxQueryRows, maxQueriesPerClient } = this.limits;
    if (this.closed) return Promise.reject(errorFromWire(ErrorCode.CONNECTION_CLOSED, 'the server is closed'));
    try {
      if (Object.keys(query).length === 0) return Promise.resolve(this.whole(dataset));
      const head = answerBoundedQuery(dataset.table, dataset.columns, query, maxQueryRows);
      if (head) return Promise.resolve(head);
    } catch (err) {
      return Promise.reject(err);
    }
    let jobs = this.inFlight.get(client);
    if (jobs && jobs.size >= maxQueriesPerClient) {
      return Promise.reject(
        new LimitError('maxQueriesPerClient', {
          size: jobs.size + 1,
          limit: maxQueriesPerClient,
          dataset: dataset.name,
          hint: 'wait for an answer before sending another query',
        }),
      );
    }
    if (!jobs) {
      jobs = new Set();
      this.inFlight.set(client, jobs);
    }
    const inFlight = jobs;
    return new Promise<QueryAnswer>((resolve, reject) => {
      const job: Job = { id: this.nextId++, client, dataset, query, resolve, reject, worker: null };
      inFlight.add(job);
      this.queue.push(job);
      this.pump();
    });
  }

  /**
   * A worker's answer (`disposable`) has been written and let go, `heldMs`
   * after it arrived: its shared memory is freed soon.
   */
  written(answer: QueryAnswer, heldMs: number): void {
    this.answers.written(ipcByteLength(answer.ipc), heldMs);
  }

  /** Stop every query of a client that left (its workers are terminated). */
  cancel(client: object): void {
    const jobs = this.inFlight.get(client);
    if (!jobs) return;
    for (const job of [...jobs])
      this.stop(job, errorFromWire(ErrorCode.CONNECTION_CLOSED, 'the client disconnected; its query was stopped'));
  }

  /** Stop every worker and fail every query. */
  async close(): Promise<void> {
    this.closed = true;
    this.answers.stop();
    for (const jobs of [...this.inFlight.values()])
      for (const job of [...jobs])
        this.settle(job, errorFromWire(ErrorCode.CONNECTION_CLOSED, 'the server closed before the query finished'));
    this.queue.length = 0;
    const workers = this.workers.splice(0);
    await Promise.all(
      workers.map((w) => {
        clearTimeout(w.idle);
        return w.worker.terminate();
      }),
    );
  }

  /** The whole dataset: the stored IPC bytes, forwarded as they are. */
  private whole(dataset: Dataset): QueryAnswer {
    return {
      ipc: dataset.ipc ?? this.shared.get(dataset).ipc,
      rows: dataset.summary.rows,
      columns: dataset.columns,
      head: dataset.summary.head,
    };
  }

  private broadcastForget(key: number): void {
    for (const w of this.workers) w.worker.postMessage({ op: 'forget', key } satisfies ToQueryWorker);
  }

  /** Start waiting jobs on free workers, oldest first, at most half the workers per client. */
  private pump(): void {
    const share = Math.max(1, Math.floor(this.size / 2));
    for (let i = 0; i < this.queue.length; ) {
      const job = this.queue[i] as Job;
      let running = 0;
      for (const other of this.inFlight.get(job.client) ?? []) if (other.worker) running++;
      if (running >= share) {
        i++;
        continue;
      }
      const worker = this.free();
      if (!worker) break;
      this.queue.splice(i, 1);
      this.start(job, worker);
    }
    this.spare();
  }

  /**
   * Keep a started worker free while the pool may still grow: a worker takes
   * 150–300 ms to start (its modules), and a 1-row query that came while
   * another client's heavy query held the only worker waited for one (254–288
   * ms, against 5 ms). An unused spare exits after `idleMs` like any worker.
   */
  private spare(): void {
    if (this.closed || this.startFailed || this.workers.length >= this.size) return;
    if (this.workers.some((w) => w.job === null)) return;
    this.release(this.spawn());
  }

  private free(): PooledWorker | null {
    const idle = this.workers.find((w) => w.job === null);
    if (idle) return idle;
    if (this.workers.length < this.size) return this.spawn();
    return null;
  }

  private start(job: Job, w: PooledWorker): void {
    let shared: SharedDataset;
    try {
      shared = this.shared.get(job.dataset);
    } catch (err) {
      this.settle(
        job,
        errorFromWire(ErrorCode.INTERNAL, `the dataset could not be shared with a query worker: ${String(err)}`),
      );
      return;
    }
    clearTimeout(w.idle);
    w.job = job;
    job.worker = w;
    const message: ToQueryWorker = {
      op: 'run',
      id: job.id,
      key: shared.key,
      ipc: shared.ipc,
      columns: job.dataset.columns,
      query: job.query,
      maxRows: this.limits.maxQueryRows,
    };
    w.worker.postMessage(message);
    if (w.ready) this.arm(job);
  }

  /** Start a job's time budget. */
  private arm(job: Job): void {
    const { queryTimeoutMs } = this.limits;
    job.timer = setTimeout(() => {
      this.stop(
        job,
        new QueryError(
          ErrorCode.QUERY_TIMEOUT,
          `the query on "${job.dataset.name}" did not finish within ${queryTimeoutMs} ms (this server's queryTimeoutMs) and was stopped; narrow it with a filter or a limit, or ask for a longer queryTimeoutMs`,
          { limit: queryTimeoutMs, dataset: job.dataset.name },
        ),
      );
    }, queryTimeoutMs);
    job.timer.unref();
  }

  /** Fail a job; a running one takes its worker down with it. */
  private stop(job: Job, err: CsvSocketError): void {
    const w = job.worker;
    this.settle(job, err);
    if (w) {
      this.remove(w);
      void w.worker.terminate();
    }
    this.pump();
  }

  /** Resolve or reject a job and forget it (its worker, if any, is free again). */
  private settle(job: Job, outcome: CsvSocketError | QueryAnswer): void {
    clearTimeout(job.timer);
    const jobs = this.inFlight.get(job.client);
    if (!jobs?.delete(job)) return;
    if (jobs.size === 0) this.inFlight.delete(job.client);
    const at = this.queue.indexOf(job);
    if (at >= 0) this.queue.splice(at, 1);
    if (job.worker) {
      if (job.worker.job === job) this.release(job.worker);
      job.worker = null;
      this.shared.done(job.dataset);
    }
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
  }

  private release(w: PooledWorker): void {
    w.job = null;
    clearTimeout(w.idle);
    w.idle = setTimeout(() => {
      if (w.job !== null) return;
      this.remove(w);
      void w.worker.terminate();
    }, this.idleMs);
    w.idle.unref();
  }

  private remove(w: PooledWorker): void {
    clearTimeout(w.idle);
    const at = this.workers.indexOf(w);
    if (at >= 0) this.workers.splice(at, 1);
  }

  private spawn(): PooledWorker {
    // under tsx (tests) this module is .ts and so is the worker beside it; tsx's
    // loader hooks are not inherited by a worker thread: register them inside it
    const file = join(__dirname, `worker${extname(__filename)}`);
    const worker = file.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true })
      : new Worker(file);
    worker.unref();
    const w: PooledWorker = { worker, job: null, ready: false };
    worker.on('message', (m: FromQueryWorker) => {
      const job = w.job;
      if (m.op === 'ready') {
        w.ready = true;
        this.startFailed = false;
        if (job) this.arm(job);
        return;
      }
      if (!job || job.id !== m.id) return;
      if (m.op === 'done') {
        const { op: _op, id: _id, ...answer } = m;
        // its bytes are the worker's shared copy: nothing but the answer holds them
        this.settle(job, { ...answer, disposable: true });
      } else this.settle(job, errorFromWire(m.code, m.message, m.context));
      this.pump();
    });
    const died = (why: string) => {
      if (!this.workers.includes(w)) return;
      this.remove(w);
      // a worker that cannot start (a missing module, no memory) is not started again for a spare
      if (!w.ready) this.startFailed = true;
      // a worker that dies (out of memory, a bug) fails its own query only
      const job = w.job;
      if (job) this.settle(job, errorFromWire(ErrorCode.INTERNAL, `the query worker failed: ${why}`));
      this.pump();
    };
    worker.on('error', (err) => died(err.message));
    worker.on('exit', (code) => died(`exited with code ${code}`));
    this.workers.push(w);
    return w;
  }
}
