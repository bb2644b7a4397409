/**
 * Queries run in worker threads (src/server/queries/): the same answers as the
 * main-thread path, a time budget, cancellation when the client leaves, a cap
 * per connection, and other clients answered while a heavy query runs. Order,
 * not timing, is asserted: "before" means the promise settled first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as aq from 'arquero';
import { tableFromArrowIPC } from '../../../src/arrow/ipc.js';
import { type CsvClient, type CsvServer, connect, LimitError, QueryError, startServer } from '../../../src/index.js';
import { parseQuery, type Query } from '../../../src/query/index.js';
import { answerQuery, INLINE_WORK, queryWork } from '../../../src/server/queries/answer.js';
import type { QueryPool } from '../../../src/server/queries/pool.js';
import { rejectsWithCode } from '../../helpers.js';

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

/** A deterministic CSV: integers, decimals with gaps, words, dates, booleans, free text. */
function csv(rows: number): string {
  const lines = ['id,score,name,day,flag,note'];
  for (let i = 0; i < rows; i++) {
    const score = i % 17 === 0 ? '' : ((i * 7919) % 10_000) / 100;
    const day = new Date(Date.UTC(2020, 0, 1) + (i % 900) * 86_400_000).toISOString().slice(0, 10);
    lines.push(`${i},${score},${WORDS[(i * 5) % 8]},${day},${i % 3 === 0},note ${i % 1000} ${WORDS[i % 8]}`);
  }
  return `${lines.join('\n')}\n`;
}

/** An `or` of 999 `contains` that match nothing: every row is tested against every leaf. */
const heavy: Query = {
  filter: { or: Array.from({ length: 999 }, (_, i) => ({ column: 'note', op: 'contains' as const, value: `#${i}#` })) },
};
/** A 1-row query that scans the table (so it runs in a worker, not on the main thread). */
const point: Query = { filter: { column: 'id', op: '=', value: 12_345 } };

const BIG_ROWS = 100_000;
const MIXED_ROWS = 40_000;
/** The big dataset, built once and sent as a table (Arrow: no CSV parse per server). */
let bigTable: aq.ColumnTable | undefined;
function big(): aq.ColumnTable {
  bigTable ??= aq.table({
    id: Float64Array.from({ length: BIG_ROWS }, (_, i) => i),
    note: Array.from({ length: BIG_ROWS }, (_, i) => `note ${i % 1000} ${WORDS[i % 8]}`),
  });
  return bigTable;
}

/** Settles like `p`, and pushes `label` onto `order` when it does. */
function track<T>(order: string[], label: string, p: Promise<T>): Promise<T> {
  return p.then(
    (v) => {
      order.push(label);
      return v;
    },
    (e: unknown) => {
      order.push(label);
      throw e;
    },
  );
}

async function withServer(
  options: Parameters<typeof startServer>[0],
  run: (server: CsvServer, client: CsvClient) => Promise<void>,
): Promise<void> {
  const server = await startServer({ port: 0, ...options });
  const client = await connect(server.url);
  try {
    await client.send(big(), { name: 'big' });
    await run(server, client);
  } finally {
    await client.close();
    await server.close();
  }
}

describe('QueryPool', () => {
  describe('answers', () => {
    let server: CsvServer;
    let client: CsvClient;
    before(async () => {
      server = await startServer({ port: 0 });
      client = await connect(server.url);
      // large enough that every query but the whole table and head queries goes to a worker
      await client.send(Buffer.from(csv(MIXED_ROWS)), { name: 'mixed' });
    });
    after(async () => {
      await client.close();
      await server.close();
    });

    const cases: Array<[string, Query]> = [
      ['the whole table', {}],
      ['a head query', { limit: 3 }],
      ['a head query with offset and select', { offset: MIXED_ROWS - 5, limit: 10, select: ['note', 'id'] }],
      ['an equality filter', { filter: { column: 'name', op: '=', value: 'gamma' } }],
      [
        'and / or / not / in / isNull',
        {
          filter: {
            and: [
              {
                or: [
                  { column: 'note', op: 'contains', value: 'eta' },
                  { column: 'score', op: 'isNull' },
                ],
              },
              { not: { column: 'id', op: 'in', value: [0, 17, 34] } },
            ],
          },
        },
      ],
      ['a date comparison', { filter: { column: 'day', op: '>=', value: '2022-01-01' }, select: ['day', 'flag'] }],
      ['a sort with nulls', { sort: [{ column: 'score', desc: true }, { column: 'id' }] }],
      ['a top-k sort', { sort: [{ column: 'score' }], offset: 5, limit: 7 }],
      [
        'a groupby with rollups',
        {
          groupby: ['name', 'flag'],
          rollup: {
            n: { op: 'count' },
            mean: { op: 'mean', column: 'score' },
            last: { op: 'max', column: 'day' },
          },
          sort: [{ column: 'n', desc: true }, { column: 'name' }],
        },
      ],
      ['a rollup without groupby', { rollup: { total: { op: 'sum', column: 'score' } } }],
    ];
    it("hands a worker's answer over in shared memory, which the main thread does not count as its own new memory", async () => {
      const dataset = server.datasets.get('mixed');
      assert.ok(dataset);
      const pool = (server as unknown as { queries: QueryPool }).queries;
      const answer = await pool.run({}, dataset, parseQuery({ sort: [{ column: 'id', desc: true }] }));
      assert.equal(answer.disposable, true);
      assert.ok(answer.ipc instanceof Uint8Array && answer.ipc.buffer instanceof SharedArrayBuffer);
      assert.equal(tableFromArrowIPC(answer.ipc).get('id', 0), MIXED_ROWS - 1);
      pool.written(answer, 0);
    });

    for (const [what, query] of cases) {
      it(`answers ${what} as the main-thread path does`, async () => {
        const dataset = server.datasets.get('mixed');
        assert.ok(dataset);
        const parsed = parseQuery(query);
        // the worker path, unless the query is the whole table or a head query
        if (!what.startsWith('the whole') && !what.startsWith('a head'))
          assert.ok(queryWork(dataset.table, parsed) > INLINE_WORK);
        const expected = answerQuery(dataset.table, dataset.columns, parsed, server.limits.maxQueryRows);
        const got = await client.queryWithSummary('mixed', query);
        assert.deepEqual(got.table.objects(), tableFromArrowIPC(expected.ipc).objects());
        assert.equal(got.summary.rows, expected.rows);
        assert.deepEqual(got.summary.columns, expected.columns);
        assert.deepEqual(got.summary.head, expected.head);
      });
    }

    it('rejects an unknown column from the worker with its code and the columns there are', async () => {
      const err = await rejectsWithCode(
        client.query('mixed', { filter: { column: 'nope', op: '=', value: 1 } }),
        'CSVS_QUERY_UNKNOWN_COLUMN',
        /Unknown column "nope" in filter; the columns are: id, score/,
      );
      assert.ok(err instanceof QueryError);
    });
  });

  describe('time budget', () => {
    it('stops a query past queryTimeoutMs with CSVS_QUERY_TIMEOUT, and the next query runs', async () => {
      await withServer({ limits: { queryTimeoutMs: 300 }, queryThreads: 2 }, async (_server, client) => {
        const err = await rejectsWithCode(
          client.query('big', heavy),
          'CSVS_QUERY_TIMEOUT',
          /the query on "big" did not finish within 300 ms \(this server's queryTimeoutMs\) and was stopped/,
        );
        assert.ok(err instanceof QueryError);
        assert.equal((err as QueryError).limit, 300);
        assert.equal((err as QueryError).dataset, 'big');
        // the worker was terminated and replaced: the pool still answers, twice over
        for (let i = 0; i < 3; i++) assert.equal((await client.query('big', point)).get('id', 0), 12_345);
      });
    });
  });

  describe('a client that leaves', () => {
    it('has its running query stopped, freeing the worker for others', async () => {
      // two workers, each client runs on at most one: A's and B's heavy queries fill both
      await withServer({ queryThreads: 2 }, async (server, client) => {
        const a = await connect(server.url);
        const b = await connect(server.url);
        const order: string[] = [];
        const heavyA = a.query('big', heavy).catch((e: unknown) => e);
        // B's query is lighter than A's: it ends first unless A's worker is freed
        const lighter: Query = { filter: { or: (heavy.filter as { or: unknown[] }).or.slice(0, 400) } as never };
        const heavyB = track(order, 'heavy B', b.query('big', lighter));
        // the query is dispatched before the close, so it was running when A left
        await a.close();
        assert.equal(((await heavyA) as { code?: string }).code, 'CSVS_CONNECTION_CLOSED');
        const small = await track(order, 'point', client.query('big', point));
        assert.equal(small.get('id', 0), 12_345);
        await heavyB;
        assert.deepEqual(order, ['point', 'heavy B']);
        await b.close();
      });
    });
  });

  describe('limits.maxQueriesPerClient', () => {
    it('refuses a connection one more concurrent query with CSVS_LIMIT_QUERIES while others still run', async () => {
      await withServer({ limits: { maxQueriesPerClient: 1 } }, async (server, client) => {
        const greedy = await connect(server.url);
        const order: string[] = [];
        const first = track(order, 'heavy', greedy.query('big', heavy)).catch((e: unknown) => e);
        const err = await rejectsWithCode(
          greedy.query('big', point),
          'CSVS_LIMIT_QUERIES',
          /^this connection has 2 queries running or waiting, more than maxQueriesPerClient \(1\); wait for an answer before sending another query$/,
        );
        assert.ok(err instanceof LimitError);
        assert.equal((err as LimitError).limit, 1);
        const other = await track(order, 'other client', client.query('big', point));
        assert.equal(other.get('id', 0), 12_345);
        assert.deepEqual(order, ['other client']);
        await greedy.close();
        await first;
      });
    });
  });

  describe('during a heavy query', () => {
    it("answers another client's 1-row queries before the heavy one", async () => {
      await withServer({}, async (server, client) => {
        const student = await connect(server.url);
        const order: string[] = [];
        const done = track(order, 'heavy', student.query('big', heavy)).catch((e: unknown) => e);
        const scan = await track(order, 'point', client.query('big', point));
        const head = await track(order, 'head', client.query('big', { limit: 1 }));
        assert.equal(scan.numRows(), 1);
        assert.equal(head.get('id', 0), 0);
        assert.deepEqual(order, ['point', 'head']);
        await student.close();
        await done;
      });
    });

    it('has a started worker free for the next query while the heavy one runs', async () => {
      await withServer({ queryThreads: 3 }, async (server) => {
        const student = await connect(server.url);
        const pool = (server as unknown as { queries: QueryPool }).queries;
        const workers = (pool as unknown as { workers: Array<{ job: unknown }> }).workers;
        const done = student.query('big', heavy).catch((e: unknown) => e);
        // the heavy query reaches its worker, and a spare is started beside it
        while (!workers.some((w) => w.job !== null)) await new Promise((r) => setTimeout(r, 5));
        assert.equal(workers.length, 2);
        assert.equal(workers.filter((w) => w.job === null).length, 1);
        await student.close();
        await done;
      });
    });
  });
});
