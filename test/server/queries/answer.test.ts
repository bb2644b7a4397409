import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  binary,
  columnFromArray,
  float64,
  int32,
  list,
  map,
  struct,
  Type,
  tableFromColumns,
  tableFromIPC,
  tableToIPC,
  utf8,
} from '@uwdata/flechette';
import * as aq from 'arquero';
import { inferColumns, tableFromArrowIPC, tableToArrowIPC } from '../../../src/arrow/ipc.js';
import type { ColumnInfo } from '../../../src/csv/index.js';
import { QueryError } from '../../../src/index.js';
import { parseQuery, type Query, runQuery } from '../../../src/query/index.js';
import {
  answerBoundedQuery,
  answerQuery,
  DIRECT_CELLS,
  INLINE_WORK,
  queryWork,
} from '../../../src/server/queries/answer.js';
import { rejectsWithCode } from '../../helpers.js';

function table(rows: number): { table: aq.ColumnTable; columns: ColumnInfo[] } {
  return {
    table: aq.table({
      id: Float64Array.from({ length: rows }, (_, i) => i),
      word: Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? null : `w${i % 7}`)),
    }),
    columns: [
      { name: 'id', type: 'integer' },
      { name: 'word', type: 'string' },
    ],
  };
}

function same(actual: ReturnType<typeof answerQuery> | null, expected: ReturnType<typeof answerQuery>): void {
  assert.ok(actual, 'answered on the main thread');
  assert.deepEqual(tableFromArrowIPC(actual.ipc).objects(), tableFromArrowIPC(expected.ipc).objects());
  assert.deepEqual({ ...actual, ipc: null }, { ...expected, ipc: null });
}

describe('answerBoundedQuery', () => {
  const small = table(200);
  const large = table(100_000);
  const q = (query: Query) => parseQuery(query);

  it('answers any query on a small table here, as answerQuery does', () => {
    const query = q({ filter: { column: 'word', op: 'contains', value: '3' }, sort: [{ column: 'id', desc: true }] });
    assert.ok(queryWork(small.table, query) <= INLINE_WORK);
    same(
      answerBoundedQuery(small.table, small.columns, query, 1e9),
      answerQuery(small.table, small.columns, query, 1e9),
    );
  });

  it('answers a head query on a large table from its own rows, as the whole-table path does', () => {
    for (const query of [
      q({ limit: 3 }),
      q({ offset: 99_998, limit: 5, select: ['word'] }),
      q({ offset: 99_997, limit: 5 }),
    ]) {
      same(
        answerBoundedQuery(large.table, large.columns, query, 1e9),
        answerQuery(large.table, large.columns, query, 1e9),
      );
    }
  });

  it('leaves a query whose work grows with a large table to a worker', () => {
    for (const query of [
      q({ filter: { column: 'id', op: '=', value: 5 } }),
      q({ sort: [{ column: 'id' }], limit: 1 }),
      q({ groupby: ['word'] }),
      q({ limit: 20_000 }),
    ]) {
      assert.equal(answerBoundedQuery(large.table, large.columns, query, 1e9), null, JSON.stringify(query));
    }
  });

  it('leaves text tests over long cells to a worker: their cost is the text they read', () => {
    const long = aq.table({ a: ['a'.repeat(4 << 20)] });
    const tests = parseQuery({
      filter: { or: Array.from({ length: 10 }, (_, i) => ({ column: 'a', op: 'contains', value: `aab${i}` })) },
    });
    assert.ok(queryWork(long, tests) > INLINE_WORK, 'ten contains over one 4 MB cell');
    assert.equal(answerBoundedQuery(long, [{ name: 'a', type: 'string' }], tests, 1e9), null);
    const short = aq.table({ a: Array.from({ length: 100 }, (_, i) => `word ${i}`) });
    assert.ok(queryWork(short, tests) < INLINE_WORK, 'short words stay on the main thread');
  });

  it('leaves an or of 999 contains to a worker even on 1,000 rows', () => {
    const t = table(1000);
    const query = q({
      filter: {
        or: Array.from({ length: 999 }, (_, i) => ({ column: 'word', op: 'contains' as const, value: `#${i}` })),
      },
    });
    assert.equal(answerBoundedQuery(t.table, t.columns, query, 1e9), null);
  });

  it('rejects a head query naming an unknown column as the whole-table path does', async () => {
    const err = await rejectsWithCode(
      () => answerBoundedQuery(large.table, large.columns, q({ limit: 1, select: ['nope'] }), 1e9),
      'CSVS_QUERY_UNKNOWN_COLUMN',
      /Unknown column "nope" in select; the columns are: id, word/,
    );
    assert.ok(err instanceof QueryError);
  });
});

describe('answerQuery', () => {
  const dated = {
    table: aq.table({
      id: Float64Array.from({ length: 50 }, (_, i) => i),
      word: Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? null : `w${i % 7}`)),
      day: Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? null : new Date(2024, 0, 1 + i))),
      ok: Array.from({ length: 50 }, (_, i) => (i % 4 === 0 ? null : i % 2 === 0)),
    }),
    columns: [
      { name: 'id', type: 'integer' },
      { name: 'word', type: 'string' },
      { name: 'day', type: 'date' },
      { name: 'ok', type: 'boolean' },
    ] satisfies ColumnInfo[],
  };
  const query = parseQuery({
    filter: { column: 'id', op: '>', value: 3 },
    sort: [{ column: 'id', desc: true }],
    limit: 10,
  });

  it("encodes a row selection with the dataset's own Arrow types, values as the inferring encoder gives them", () => {
    const answer = answerQuery(dated.table, dated.columns, query, 1e9);
    const types = tableFromIPC(answer.ipc).schema.fields.map((f) => f.type.typeId);
    assert.deepEqual(types, [Type.Float, Type.Utf8, Type.Date, Type.Bool]);
    const inferred = tableToArrowIPC(runQuery(dated.table, query));
    assert.deepEqual(tableFromArrowIPC(answer.ipc).objects(), tableFromArrowIPC(inferred).objects());
    assert.equal(answer.rows, 10);
  });

  it("keeps the inferring encoder's compact types (dictionaries) for an answer past DIRECT_CELLS", () => {
    const rows = Math.ceil(DIRECT_CELLS / 2) + 1;
    const big = table(rows);
    const answer = answerQuery(big.table, big.columns, parseQuery({ sort: [{ column: 'id', desc: true }] }), 1e9);
    const types = tableFromIPC(answer.ipc).schema.fields.map((f) => f.type.typeId);
    assert.equal(types[1], Type.Dictionary);
    assert.equal(answer.rows, rows);
  });

  it("keeps an uploaded Arrow table's nested, binary and map types in answers (types read from the values failed or changed)", () => {
    // what checkArrowUpload stores for an Arrow upload, opened as the query workers open it
    const upload = tableToIPC(
      tableFromColumns([
        ['id', columnFromArray([1, 2, 3], float64())],
        ['tags', columnFromArray([['a'], [], [null]], list(utf8()))],
        ['pt', columnFromArray([{ x: 1 }, null, { x: null }], struct({ x: int32() }))],
        ['bin', columnFromArray([Uint8Array.of(0, 255), null, Uint8Array.of(104, 105)], binary())],
        [
          'm',
          columnFromArray(
            [
              [['a', 1]],
              null,
              [
                ['b', 2],
                ['c', 3],
              ],
            ],
            map(utf8(), int32()),
          ),
        ],
      ]),
      { format: 'stream' },
    ) as Uint8Array;
    const stored = tableFromArrowIPC(upload);
    const columns = inferColumns(stored);
    const rows = stored.objects() as Array<Record<string, unknown>>;
    for (const [q, expected] of [
      [{ sort: [{ column: 'id', desc: true }] }, [...rows].reverse()],
      [{ filter: { column: 'id', op: '>=', value: 2 } }, rows.slice(1)],
      [{ filter: { column: 'id', op: '=', value: 2 } }, rows.slice(1, 2)],
      [{ select: ['tags', 'bin'], offset: 1, limit: 2 }, rows.slice(1).map((r) => ({ tags: r.tags, bin: r.bin }))],
    ] as const) {
      const answer = answerQuery(stored, columns, parseQuery(q), 1e9);
      assert.deepEqual(tableFromArrowIPC(answer.ipc).objects(), expected, JSON.stringify(q));
    }
    const grouped = answerQuery(stored, columns, parseQuery({ groupby: ['m'], rollup: { n: { op: 'count' } } }), 1e9);
    assert.deepEqual(
      tableFromArrowIPC(grouped.ipc).objects(),
      rows.map((r) => ({ m: r.m, n: 1 })),
    );
  });

  it('falls back to the inferring encoder when a column holds values its type does not say', () => {
    // "date" column whose Dates carry a time of day: not calendar days
    const odd = aq.table({ id: [1, 2, 3], day: [new Date(2024, 0, 1, 12), null, new Date(2024, 0, 2, 8, 30)] });
    const columns: ColumnInfo[] = [
      { name: 'id', type: 'integer' },
      { name: 'day', type: 'date' },
    ];
    const answer = answerQuery(odd, columns, parseQuery({ sort: [{ column: 'id' }] }), 1e9);
    assert.deepEqual(tableFromArrowIPC(answer.ipc).objects(), [
      { id: 1, day: new Date(2024, 0, 1, 12) },
      { id: 2, day: null },
      { id: 3, day: new Date(2024, 0, 2, 8, 30) },
    ]);
  });
});
