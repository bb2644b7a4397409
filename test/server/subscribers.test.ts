/**
 * The server's live-dataset hub (src/server/subscribers.ts), driven directly:
 * a real Datasets store, a LiveHub on it, and subscribers that record what
 * they are sent; plus appendFailure's translation of a parse error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColumnTable } from 'arquero';
import * as aq from 'arquero';
import { tableFromArrowIPC } from '../../src/arrow/ipc.js';
import { ArgumentError, CsvParseError, ErrorCode, QueryError } from '../../src/errors.js';
import type { DatasetSummary, ServerMessage } from '../../src/protocol/messages.js';
import { type Dataset, Datasets } from '../../src/server/datasets.js';
import {
  appendFailure,
  LAG_BYTES,
  LiveHub,
  MAX_SUBSCRIPTIONS,
  markAppend,
  type Subscriber,
} from '../../src/server/subscribers.js';

/** A subscriber that keeps every message and the rows of every table frame it is sent. */
class Recorder implements Subscriber {
  bufferedAmount = 0;
  readonly sent: Array<{ message: ServerMessage; rows?: Record<string, unknown[]> }> = [];
  notify(message: ServerMessage, table?: Uint8Array): void {
    if (!table) {
      this.sent.push({ message });
      return;
    }
    const t = tableFromArrowIPC(table);
    const rows: Record<string, unknown[]> = {};
    for (const name of t.columnNames()) rows[name] = t.array(name, Array) as unknown[];
    this.sent.push({ message, rows });
  }
  /** Take what was sent so far. */
  take(): Array<{ message: ServerMessage; rows?: Record<string, unknown[]> }> {
    return this.sent.splice(0);
  }
}

/** The kind of an update as recorded, if it is one. */
function kindOf(entry: { message: ServerMessage } | undefined): string | undefined {
  return (entry?.message as { kind?: string } | undefined)?.kind;
}

function dataset(name: string, table: ColumnTable): Dataset {
  return {
    name,
    table,
    columns: table.columnNames().map((n) => ({ name: n, type: 'number' })) as unknown as Dataset['columns'],
    summary: { rows: table.numRows() } as unknown as DatasetSummary,
    ipc: null,
    owner: 'test',
  };
}

/** `t` plus `more` appended, marked as an append the way the session marks it. */
function appended(t: ColumnTable, more: ColumnTable): ColumnTable {
  const next = t.concat(more);
  markAppend(next, t.numRows());
  return next;
}

describe('LiveHub', () => {
  it('answers subscribe with subscribed and, when the dataset exists, a snapshot of the whole table', () => {
    const datasets = new Datasets();
    const hub = new LiveHub(datasets);
    datasets.put(dataset('t', aq.table({ x: [1, 2] })));
    const who = new Recorder();
    hub.subscribe(who, 3, 't');
    const [subscribed, snapshot] = who.take();
    assert.deepEqual(subscribed?.message, { type: 'subscribed', rid: 3, name: 't' });
    assert.equal(snapshot?.message.type, 'update');
    assert.deepEqual(
      { ...(snapshot?.message as Record<string, unknown>), summary: undefined },
      { type: 'update', rid: 3, name: 't', kind: 'snapshot', from: 0, rows: 2, summary: undefined, table: true },
    );
    assert.deepEqual(snapshot?.rows, { x: [1, 2] });
    assert.equal(hub.size, 1);
    // a dataset that does not exist yet: subscribed only, the table comes when it is stored
    hub.subscribe(who, 4, 'later');
    assert.deepEqual(
      who.take().map((s) => s.message),
      [{ type: 'subscribed', rid: 4, name: 'later' }],
    );
    datasets.put(dataset('later', aq.table({ y: ['a'] })));
    const [replace] = who.take();
    assert.equal(kindOf(replace), 'replace');
    assert.deepEqual(replace?.rows, { y: ['a'] });
  });

  it('sends only the new rows of a marked append, and the whole table for an unmarked store', () => {
    const datasets = new Datasets();
    const hub = new LiveHub(datasets);
    const first = aq.table({ x: [1, 2] });
    datasets.put(dataset('t', first));
    const a = new Recorder();
    const b = new Recorder();
    hub.subscribe(a, 1, 't');
    hub.subscribe(b, 9, 't');
    a.take();
    b.take();
    const second = appended(first, aq.table({ x: [3, 4, 5] }));
    datasets.put(dataset('t', second));
    for (const [who, rid] of [
      [a, 1],
      [b, 9],
    ] as const) {
      const [update] = who.take();
      const m = update?.message as Record<string, unknown>;
      assert.deepEqual([m.type, m.rid, m.kind, m.from, m.rows], ['update', rid, 'append', 2, 5]);
      assert.deepEqual(update?.rows, { x: [3, 4, 5] });
    }
    // not marked: a replace with every row
    datasets.put(dataset('t', aq.table({ x: [7] })));
    const [replace] = a.take();
    assert.equal(kindOf(replace), 'replace');
    assert.deepEqual(replace?.rows, { x: [7] });
    // a marked append that does not start where this subscriber is (it holds 1 row, not 5): a replace
    datasets.put(dataset('t', appended(second, aq.table({ x: [6] }))));
    const [resync] = a.take();
    assert.equal(kindOf(resync), 'replace');
    assert.deepEqual(resync?.rows, { x: [1, 2, 3, 4, 5, 6] });
  });

  it('holds updates back from a lagging subscriber and resynchronises it with a replace', () => {
    const datasets = new Datasets();
    const hub = new LiveHub(datasets);
    const first = aq.table({ x: [1] });
    datasets.put(dataset('t', first));
    const slow = new Recorder();
    hub.subscribe(slow, 1, 't');
    slow.take();
    slow.bufferedAmount = LAG_BYTES + 1;
    const second = appended(first, aq.table({ x: [2] }));
    datasets.put(dataset('t', second));
    assert.deepEqual(slow.take(), [], 'nothing sent while the socket lags');
    slow.bufferedAmount = 0;
    datasets.put(dataset('t', appended(second, aq.table({ x: [3] }))));
    const [update] = slow.take();
    assert.equal(kindOf(update), 'replace');
    assert.deepEqual(update?.rows, { x: [1, 2, 3] });
  });

  it('announces a drop, and after it treats the next store as a replace from row 0', () => {
    const datasets = new Datasets();
    const hub = new LiveHub(datasets);
    const first = aq.table({ x: [1] });
    datasets.put(dataset('t', first));
    const who = new Recorder();
    hub.subscribe(who, 2, 't');
    who.take();
    datasets.drop('t');
    assert.deepEqual(
      who.take().map((s) => s.message),
      [{ type: 'update', rid: 2, name: 't', kind: 'drop', from: 0, rows: 0, table: false }],
    );
    datasets.put(dataset('t', aq.table({ x: [5, 6] })));
    const [again] = who.take();
    assert.equal(kindOf(again), 'replace');
    assert.deepEqual(again?.rows, { x: [5, 6] });
  });

  it('refuses a request id already in use and more than MAX_SUBSCRIPTIONS per connection', () => {
    const datasets = new Datasets();
    const hub = new LiveHub(datasets);
    const who = new Recorder();
    hub.subscribe(who, 1, 'a');
    hub.subscribe(who, 1, 'b');
    assert.deepEqual(who.take()[1]?.message, {
      type: 'error',
      rid: 1,
      code: 'CSVS_PROTOCOL_BAD_MESSAGE',
      message: 'request id 1 is already in use',
    });
    for (let rid = 2; rid <= MAX_SUBSCRIPTIONS; rid++) hub.subscribe(who, rid, 'a');
    assert.equal(hub.size, MAX_SUBSCRIPTIONS);
    who.take();
    hub.subscribe(who, 1000, 'z');
    assert.deepEqual(
      who.take().map((s) => s.message),
      [
        {
          type: 'error',
          rid: 1000,
          code: 'CSVS_LIMIT_UPLOADS',
          message: `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection; unsubscribe from one first`,
          context: { limit: MAX_SUBSCRIPTIONS, dataset: 'z' },
        },
      ],
    );
    // another connection has its own allowance
    const other = new Recorder();
    hub.subscribe(other, 1000, 'z');
    assert.equal(other.take()[0]?.message.type, 'subscribed');
  });

  it('stops updating after unsubscribe and after forget', () => {
    const datasets = new Datasets();
    const hub = new LiveHub(datasets);
    const a = new Recorder();
    const b = new Recorder();
    hub.subscribe(a, 1, 't');
    hub.subscribe(b, 1, 't');
    hub.unsubscribe(a, 1);
    assert.deepEqual(
      a.take().map((s) => s.message.type),
      ['subscribed', 'unsubscribed'],
    );
    hub.forget(b);
    b.take();
    assert.equal(hub.size, 0);
    datasets.put(dataset('t', aq.table({ x: [1] })));
    assert.deepEqual(a.take(), []);
    assert.deepEqual(b.take(), []);
  });
});

describe('appendFailure', () => {
  const target = { name: 'readings', columns: [{ name: 'sensor' }, { name: 'temp' }] } as Pick<
    Dataset,
    'name' | 'columns'
  >;
  const missing = new ArgumentError(
    ErrorCode.BAD_ARGUMENT,
    'options.types names "temp", not a column of this CSV (line 1); columns are "sensor", "humidity"',
  );

  it("turns the parser's forced-type refusal into CSVS_PARSE_BAD_TYPE naming both column lists", () => {
    const err = appendFailure(missing, target);
    assert.ok(err instanceof CsvParseError);
    assert.equal(err.code, 'CSVS_PARSE_BAD_TYPE');
    assert.equal(
      err.message,
      'cannot append to "readings": its columns are ["sensor","temp"], the new rows have ["sensor","humidity"]',
    );
    assert.deepEqual(err.context(), { dataset: 'readings', line: 1 });
  });

  it('passes any other error, or an append to no dataset, through unchanged', () => {
    assert.equal(appendFailure(missing, undefined), missing);
    const other = new ArgumentError(ErrorCode.BAD_ARGUMENT, 'something else entirely');
    assert.equal(appendFailure(other, target), other);
    const query = new QueryError(ErrorCode.QUERY_UNKNOWN_DATASET, 'no dataset named "x"');
    assert.equal(appendFailure(query, target), query);
    const garbled = new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      'options.types names "t", not a column of this CSV (line 1); columns are "a", oops',
    );
    assert.equal(appendFailure(garbled, target), garbled);
  });
});
