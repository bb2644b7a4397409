/**
 * Queries over the wire: a real server on port 0, a raw WebSocket that sends
 * the query text as a hostile client would, and a second client that must
 * keep working.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import * as aq from 'arquero';
import WebSocket from 'ws';
import { tableFromArrowIPC, tableToArrowIPC } from '../../src/arrow/ipc.js';
import { type CsvClient, connect } from '../../src/client/client.js';
import { LimitError, QueryError } from '../../src/errors.js';
import { SUBPROTOCOL } from '../../src/protocol/messages.js';
import { parseQuery, runQuery } from '../../src/query/index.js';
import { type CsvServer, startServer } from '../../src/server/server.js';
import { rejectsWithCode } from '../helpers.js';

/** Names that look like members of Object.prototype, or are hard to print: each must be plain data. */
const NAMES = [
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'prototype',
  '',
  ' ',
  'x'.repeat(10_000),
  'a\u202eb',
];

/** A raw protocol client: sends text, collects every JSON message per rid. */
class RawClient {
  readonly messages: Array<{ type: string; rid?: number; code?: string; message?: string }> = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.messages.push(JSON.parse(data.toString()));
    });
  }
  static async open(url: string): Promise<RawClient> {
    const ws = new WebSocket(url, SUBPROTOCOL);
    const client = new RawClient(ws);
    await once(ws, 'open');
    return client;
  }
  /** Send a query as text and wait for its first answer (result or error). */
  async ask(rid: number, name: string, queryJson: string) {
    this.ws.send(`{"type":"query","rid":${rid},"name":${JSON.stringify(name)},"query":${queryJson}}`);
    for (;;) {
      const m = this.messages.find((x) => x.rid === rid && (x.type === 'result' || x.type === 'error'));
      if (m) return m;
      await once(this.ws, 'message');
    }
  }
  answersFor(rid: number) {
    return this.messages.filter((x) => x.rid === rid && (x.type === 'result' || x.type === 'error'));
  }
  close(): void {
    this.ws.close();
  }
}

/** `{"not":…}` nested `depth` deep around one leaf, built as text (JSON.stringify would overflow). */
const deepFilter = (depth: number): string =>
  `{"filter":${'{"not":'.repeat(depth - 1)}{"column":"g","op":"isNull"}${'}'.repeat(depth - 1)}}`;

describe('queries over the wire', () => {
  let server: CsvServer;
  let client: CsvClient;
  before(async () => {
    server = await startServer({ port: 0 });
    client = await connect(server.url);
    await client.send('g,v\nx,1\ny,2\ny,3\n', { name: 'd' });
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  describe('a query nested 40,000 deep', () => {
    it('is refused with CSVS_QUERY_TOO_COMPLEX naming the depth limit, and another client still queries', async () => {
      const raw = await RawClient.open(server.url);
      try {
        const answer = await raw.ask(1, 'd', deepFilter(40_000));
        assert.equal(answer.type, 'error');
        assert.equal(answer.code, 'CSVS_QUERY_TOO_COMPLEX');
        assert.match(answer.message ?? '', /nested deeper than 16 levels \(the depth limit/);
        const other = await connect(server.url);
        try {
          const t = await other.query('d', { filter: { column: 'g', op: '=', value: 'y' } });
          assert.deepEqual(t.array('v', Array), [2, 3]);
        } finally {
          await other.close();
        }
      } finally {
        raw.close();
      }
    });
  });

  describe('rollup output names that look like code', () => {
    for (const name of NAMES) {
      it(`gets exactly one result with a column named ${JSON.stringify(name.slice(0, 20))}${name.length > 20 ? '…' : ''}`, async () => {
        const raw = await RawClient.open(server.url);
        try {
          const rollup = JSON.stringify({ [name]: { op: 'count' } });
          const q = `{"groupby":["g"],"rollup":${rollup},"sort":[{"column":${JSON.stringify(name)},"desc":true}],"select":[${JSON.stringify(name)},"g"]}`;
          const answer = await raw.ask(1, 'd', q);
          assert.equal(answer.type, 'result', answer.message);
          // a later request's answer arrives after anything else sent for rid 1
          await raw.ask(2, 'd', '{"limit":1}');
          assert.equal(raw.answersFor(1).length, 1);
          const t = await client.query('d', {
            groupby: ['g'],
            rollup: Object.defineProperty({}, name, { value: { op: 'count' }, enumerable: true }),
            filter: { column: 'v', op: '>', value: 0 },
            sort: [{ column: name, desc: true }],
            select: [name, 'g'],
          });
          assert.deepEqual(t.columnNames(), [name, 'g']);
          assert.deepEqual(t.array(name, Array), [2, 1]);
        } finally {
          raw.close();
        }
      });
    }

    it('refuses __proto__ as an output name with one CSVS_QUERY_INVALID error', async () => {
      const raw = await RawClient.open(server.url);
      try {
        const answer = await raw.ask(1, 'd', '{"rollup":{"__proto__":{"op":"count"}}}');
        assert.equal(answer.code, 'CSVS_QUERY_INVALID');
        assert.match(answer.message ?? '', /the key "__proto__" is not allowed/);
        await raw.ask(2, 'd', '{"limit":1}');
        assert.equal(raw.answersFor(1).length, 1);
      } finally {
        raw.close();
      }
    });
  });

  describe('result rows', () => {
    it('accepts a limit of 100,000,000 on a small dataset', async () => {
      const t = await client.query('d', { limit: 100_000_000 });
      assert.equal(t.numRows(), 3);
    });

    it('refuses a result above maxQueryRows with LimitError CSVS_LIMIT_ROWS', async () => {
      const small = await startServer({ port: 0, limits: { maxQueryRows: 2 } });
      const c = await connect(small.url);
      try {
        await c.send('g,v\nx,1\ny,2\ny,3\n', { name: 'd' });
        const err = await rejectsWithCode(c.query('d', { sort: [{ column: 'v' }] }), 'CSVS_LIMIT_ROWS', /3 rows/);
        assert.ok(err instanceof LimitError);
        assert.equal((await c.query('d', { limit: 100_000_000, offset: 1 })).numRows(), 2);
      } finally {
        await c.close();
        await small.close();
      }
    });
  });
});

describe('the name corpus, directly', () => {
  const table = (() => {
    const cols: Record<string, unknown[]> = {};
    for (const n of NAMES)
      Object.defineProperty(cols, n, { value: [3, 1, 2], enumerable: true, writable: true, configurable: true });
    cols.g = ['x', 'y', 'y'];
    return aq.table(cols);
  })();

  for (const name of NAMES) {
    const label = JSON.stringify(name.slice(0, 20));
    it(`filters, sorts, selects and rolls up a column named ${label}, through Arrow and back`, () => {
      const q = parseQuery({
        filter: { column: name, op: '>=', value: 2 },
        sort: [{ column: name }],
        select: [name],
      });
      const t = tableFromArrowIPC(tableToArrowIPC(runQuery(table, q)));
      assert.deepEqual(t.columnNames(), [name]);
      assert.deepEqual(t.array(name, Array), [2, 3]);
      const out = `${name}`;
      const r = runQuery(
        table,
        parseQuery({ groupby: ['g'], rollup: { [out]: { op: 'sum', column: name } }, sort: [{ column: out }] }),
      );
      const back = tableFromArrowIPC(tableToArrowIPC(r));
      assert.deepEqual(back.columnNames(), ['g', out]);
      assert.deepEqual(back.array(out, Array), [3, 3]);
    });
  }

  it('refuses a deep filter after looking at no more than 17 levels', async () => {
    // reading below depth 16 throws, however deep the query goes on: the walk
    // must stop at the first level past the limit
    let node: unknown = Object.defineProperty({}, 'not', {
      enumerable: true,
      get() {
        throw new Error('read below depth 17');
      },
    });
    for (let depth = 16; depth >= 1; depth--) node = { not: node };
    const err = await rejectsWithCode(
      () => parseQuery({ filter: node }),
      'CSVS_QUERY_TOO_COMPLEX',
      /nested deeper than 16 levels/,
    );
    assert.ok(err instanceof QueryError);
    assert.equal(err.limit, 16);
  });
});
