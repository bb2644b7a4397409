import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CsvClient, type CsvServer, connect, type LiveUpdate, rowsToCSV, startServer } from '../../src/index.js';
import { rejectsWithCode, tableEqual } from '../helpers.js';

/** The next update of an iterator, failing the test if the iterator ends instead. */
async function nextUpdate(it: AsyncIterator<LiveUpdate>): Promise<LiveUpdate> {
  const r = await it.next();
  assert.equal(r.done, false, 'the subscription ended early');
  return r.value as LiveUpdate;
}

describe('live data', () => {
  let server: CsvServer;
  let writer: CsvClient;
  let reader: CsvClient;

  before(async () => {
    server = await startServer({ port: 0 });
    writer = await connect(server.url);
    reader = await connect(server.url);
  });
  after(async () => {
    await writer.close();
    await reader.close();
    await server.close();
  });

  describe('rowsToCSV', () => {
    it('writes the union of keys as the header, nulls as empty fields and quotes what needs it', () => {
      assert.equal(
        rowsToCSV([
          { a: 1, b: 'x, y' },
          { b: '', c: true },
          { a: null, c: new Date(Date.UTC(2026, 0, 2)) },
        ]),
        'a,b,c\n1,"x, y",\n,"",true\n,,2026-01-02\n',
      );
    });

    it('rejects an empty array, a non-object row and a value CSV cannot hold', () => {
      assert.throws(() => rowsToCSV([]), { code: 'CSVS_BAD_ARGUMENT' });
      assert.throws(() => rowsToCSV([[1, 2] as unknown as Record<string, unknown>]), {
        code: 'CSVS_BAD_ARGUMENT',
        message: /objects, one per row/,
      });
      assert.throws(() => rowsToCSV([{ a: Number.NaN }]), { code: 'CSVS_BAD_ARGUMENT', message: /column "a": NaN/ });
      assert.throws(() => rowsToCSV([{ a: {} }]), { code: 'CSVS_BAD_ARGUMENT', message: /column "a"/ });
    });
  });

  describe('CsvClient#append', () => {
    it('creates a dataset from objects, then appends to it, value for value', async () => {
      const first = await writer.append('readings', [
        { sensor: 's1', zip: '00501', temp: 20, ok: true },
        { sensor: 's2', zip: '10001', temp: 21, ok: false },
      ]);
      assert.equal(first.rows, 2);
      assert.deepEqual(
        first.columns.map((c) => [c.name, c.type]),
        [
          ['sensor', 'string'],
          ['zip', 'string'],
          ['temp', 'integer'],
          ['ok', 'boolean'],
        ],
      );
      const second = await writer.append('readings', [{ sensor: '3', zip: '12345', temp: 21.5, ok: null }]);
      assert.equal(second.rows, 3);
      tableEqual(server.table('readings')!, {
        sensor: ['s1', 's2', '3'],
        zip: ['00501', '10001', '12345'],
        temp: [20, 21, 21.5],
        ok: [true, false, null],
      });
      assert.deepEqual(
        second.columns.map((c) => c.type),
        ['string', 'string', 'number', 'boolean'],
      );
    });

    it("takes CSV text with its header and keeps the columns' types, even for an all-empty column", async () => {
      await writer.append('text', 'id,code,when\n1,A,2026-01-01\n');
      await writer.append('text', 'id,code,when\n2,007,\n3,,2026-01-03\n');
      tableEqual(server.table('text')!, {
        id: [1, 2, 3],
        code: ['A', '007', null],
        when: [new Date(Date.UTC(2026, 0, 1)), null, new Date(Date.UTC(2026, 0, 3))],
      });
    });

    it("applies one client's appends in the order they were made", async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => writer.append('ordered', [{ i }])));
      tableEqual(server.table('ordered')!, { i: Array.from({ length: 20 }, (_, i) => i) });
    });

    it('widens a column to text for a value that does not fit it, keeping every value as written', async () => {
      await writer.append('typed', [{ n: 1 }]);
      await writer.append('typed', [{ n: 'many' }]);
      tableEqual(server.table('typed')!, { n: ['1', 'many'] });
    });

    it('rejects rows with other columns', async () => {
      await writer.append('cols', [{ a: 1 }]);
      await rejectsWithCode(
        writer.append('cols', [{ b: 1 }]),
        'CSVS_PARSE_BAD_TYPE',
        /cannot append to "cols": its columns are \["a"\], the new rows have \["b"\]/,
      );
      await rejectsWithCode(
        writer.append('cols', [{ a: 2, b: 1 }]),
        'CSVS_PARSE_BAD_TYPE',
        /columns are \["a"\], the new rows have \["a","b"\]/,
      );
    });

    it('rejects text without a row at once', async () => {
      await rejectsWithCode(() => writer.append('x', 'a,b'), 'CSVS_BAD_ARGUMENT', /header line/);
    });
  });

  describe('CsvClient#subscribe', () => {
    it('yields the current table, then only the new rows of each append, from another client', async () => {
      await writer.append('sensor', [{ t: 1, v: 0.5 }]);
      const sub = reader.subscribe('sensor');
      const it = sub[Symbol.asyncIterator]();
      const snapshot = await nextUpdate(it);
      assert.equal(snapshot.kind, 'snapshot');
      tableEqual(snapshot.table!, { t: [1], v: [0.5] });

      await writer.append('sensor', [
        { t: 2, v: 1.5 },
        { t: 3, v: 2.5 },
      ]);
      const appended = await nextUpdate(it);
      assert.equal(appended.kind, 'append');
      assert.equal(appended.rows, 3);
      tableEqual(appended.added!, { t: [2, 3], v: [1.5, 2.5] });
      tableEqual(appended.table!, { t: [1, 2, 3], v: [0.5, 1.5, 2.5] });

      await writer.append('sensor', 't,v\n4,3.5\n');
      const again = await nextUpdate(it);
      tableEqual(again.added!, { t: [4], v: [3.5] });
      tableEqual(sub.table!, { t: [1, 2, 3, 4], v: [0.5, 1.5, 2.5, 3.5] });
      assert.deepEqual(sub.table!.objects(), server.table('sensor')!.objects());

      await sub.close();
      assert.deepEqual(await it.next(), { value: undefined, done: true });
    });

    it('waits for a dataset that does not exist yet, and reports replace and drop', async () => {
      const sub = reader.subscribe('later');
      await sub.ready;
      const it = sub[Symbol.asyncIterator]();
      await writer.send('a\n1\n2\n', { name: 'later' });
      const first = await nextUpdate(it);
      assert.equal(first.kind, 'replace');
      tableEqual(first.table!, { a: [1, 2] });
      await writer.send('a\n9\n', { name: 'later' });
      const replaced = await nextUpdate(it);
      assert.equal(replaced.kind, 'replace');
      tableEqual(replaced.table!, { a: [9] });
      await writer.drop('later');
      const dropped = await nextUpdate(it);
      assert.equal(dropped.kind, 'drop');
      assert.equal(dropped.table, null);
      await sub.close();
    });

    it('ends a for-await loop when the loop is left, and the server forgets the subscription', async () => {
      await writer.append('loop', [{ x: 1 }]);
      let seen = 0;
      for await (const update of reader.subscribe('loop')) {
        seen += update.rows;
        break;
      }
      assert.equal(seen, 1);
      // the unsubscribe is answered; a list after it proves the server handled it
      await reader.list();
      await writer.append('loop', [{ x: 2 }]);
      await reader.list();
    });

    it('ends when the connection closes', async () => {
      const own = await connect(server.url);
      const sub = own.subscribe('closing');
      await sub.ready;
      const it = sub[Symbol.asyncIterator]();
      const next = it.next();
      await own.close();
      assert.deepEqual(await next, { value: undefined, done: true });
    });

    it('is refused with the protocol error for a bad name', async () => {
      const sub = reader.subscribe('bad\u0001name');
      await rejectsWithCode(sub.next(), 'CSVS_PROTOCOL_BAD_MESSAGE', /control characters/);
    });
  });
});
