/**
 * The query worker: runs one query at a time on a dataset it keeps decoded,
 * and answers with the result as Arrow IPC in shared memory. The
 * main thread stops a query that runs too long by terminating this thread.
 *
 *   run (dataset key + its IPC in a SharedArrayBuffer) ─▶ decode once per key
 *     ─▶ runQuery ─▶ Arrow IPC + column infos + head ─▶ 'done'
 *   forget (a replaced or dropped dataset's key) ─▶ drop the decoded table
 */
import { parentPort } from 'node:worker_threads';
import type { ColumnTable } from 'arquero';
import { tableFromArrowIPC } from '../../arrow/ipc.js';
import { discard } from '../../csv/arena.js';
import { ErrorCode, toCsvSocketError } from '../../errors.js';
import { IdleCollector } from '../gc.js';
import { answerQuery } from './answer.js';
import type { FromQueryWorker, ToQueryWorker } from './pool.js';

/** decoded tables by dataset key, least recently used first */
const tables = new Map<number, ColumnTable>();
/** decoded tables kept at most; a forgotten key is dropped at once */
const MAX_TABLES = 8;

// a query's garbage: the young generation once the worker has been idle for a moment, all of it after a while (see gc.ts)
const garbage = new IdleCollector(() => true, 200);

const port = parentPort;
if (!port) throw new Error('queries/worker.ts runs as a worker thread');

function tableOf(key: number, ipc: readonly Uint8Array[]): ColumnTable {
  let table = tables.get(key);
  if (table) tables.delete(key);
  // numeric columns are views into the shared bytes: decoding copies no data
  else table = tableFromArrowIPC(ipc);
  tables.set(key, table);
  if (tables.size > MAX_TABLES) tables.delete(tables.keys().next().value as number);
  return table;
}

port.postMessage({ op: 'ready' } satisfies FromQueryWorker);

port.on('message', (m: ToQueryWorker) => {
  if (m.op === 'forget') {
    tables.delete(m.key);
    garbage.schedule();
    return;
  }
  garbage.cancel();
  try {
    const answer = answerQuery(tableOf(m.key, m.ipc), m.columns, m.query, m.maxRows, true);
    // shared, not transferred: a transferred buffer counts as new memory of
    // the main thread's, and a large answer made it start a full collection
    // while this thread was collecting its own garbage (both cores busy: a
    // 16 MB heap took 130–350 ms to collect, the event loop stalled that long)
    let ipc = answer.ipc;
    if (!(ipc.buffer instanceof SharedArrayBuffer)) {
      ipc = new Uint8Array(new SharedArrayBuffer(answer.ipc.byteLength));
      ipc.set(answer.ipc);
      discard(answer.ipc.buffer as ArrayBuffer);
    }
    const message: FromQueryWorker = { op: 'done', id: m.id, ...answer, ipc };
    port.postMessage(message);
  } catch (err) {
    const e = toCsvSocketError(err, ErrorCode.QUERY_INVALID);
    const message: FromQueryWorker = { op: 'error', id: m.id, code: e.code, message: e.message, context: e.context() };
    port.postMessage(message);
  }
  garbage.schedule();
});
