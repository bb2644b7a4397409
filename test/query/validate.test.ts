import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentError, QueryError } from '../../src/errors.js';
import { type Filter, parseQuery, type Query } from '../../src/query/index.js';
import { codeOf } from './tables.js';

describe('parseQuery', () => {
  it('returns a valid query unchanged', () => {
    const q: Query = {
      filter: {
        and: [{ column: 'age', op: '>=', value: 22 }, { not: { column: 'name', op: 'in', value: ['Yash', null] } }],
      },
      groupby: ['grade'],
      rollup: { n: { op: 'count' }, avg: { op: 'mean', column: 'age' } },
      sort: [{ column: 'grade', desc: true }],
      select: ['grade', 'n'],
      offset: 0,
      limit: 5,
    };
    assert.deepEqual(parseQuery(JSON.parse(JSON.stringify(q))), q);
    assert.deepEqual(parseQuery({}), {});
  });

  describe('rejects malformed queries with CSVS_QUERY_INVALID naming the path', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['a non-object', 'name = Floofy', /\(the query\): expected object; got "name = Floofy"/],
      ['an array where the query belongs', [], /expected object; got an array/],
      ['an unknown top-level key', { filter: undefined, where: 1 }, /unknown key "where"/],
      [
        'an unknown key in a leaf',
        { filter: { column: 'a', op: '=', value: 1, flags: 'i' } },
        /at filter: unknown key "flags"/,
      ],
      [
        'an op not in the list',
        { filter: { column: 'a', op: 'like', value: 'x' } },
        /at filter\.op: expected "op" to be one of "=", "!=".*"notNull"; got "like"/,
      ],
      [
        'an op of the wrong type',
        { filter: { column: 'a', op: 1, value: 'x' } },
        /at filter\.op: expected "op" to be one of/,
      ],
      [
        'an operator object as value',
        { filter: { column: 'age', op: '>', value: { $gt: 1 } } },
        /at filter\.value: expected a string, number, boolean or null; got an object/,
      ],
      [
        'an array value for =',
        { filter: { column: 'age', op: '=', value: [1] } },
        /at filter\.value: expected a string, number, boolean or null; got an array/,
      ],
      [
        'a scalar value for in',
        { filter: { column: 'age', op: 'in', value: 1 } },
        /at filter\.value: expected a list of strings, numbers, booleans or nulls; got number 1/,
      ],
      [
        // one error for the list, not one per value copied at every level above (330,000 objects: 7.7 s)
        'objects in an in list, deep in an and',
        {
          filter: {
            and: [{ and: [{ column: 'age', op: 'in', value: [1, ...Array.from({ length: 9_999 }, () => ({}))] }] }],
          },
        },
        /at filter\.and\[0\]\.and\[0\]\.value: expected a list of strings, numbers, booleans or nulls; got an array/,
      ],
      [
        'a number for contains',
        { filter: { column: 'name', op: 'contains', value: 1 } },
        /at filter\.value: expected string; got number 1/,
      ],
      ['a value on isNull', { filter: { column: 'age', op: 'isNull', value: 1 } }, /at filter: unknown key "value"/],
      [
        'a missing column',
        { filter: { op: '=', value: 1 } },
        /at filter\.column: expected a column name \(string\); got nothing/,
      ],
      [
        'an array where a filter belongs',
        { filter: [{ column: 'a', op: 'isNull' }] },
        /at filter: expected a filter, one of .*got an array/,
      ],
      [
        'a string where a filter belongs',
        { filter: { and: ['age > 1'] } },
        /at filter\.and\[0\]: expected a filter.*got "age > 1"/,
      ],
      ['an empty object filter', { filter: {} }, /at filter: expected a filter.*keys \(none\)/],
      [
        'and that is not an array',
        { filter: { and: { column: 'a', op: 'isNull' } } },
        /at filter\.and: expected array; got an object/,
      ],
      [
        'a bad leaf deep inside',
        { filter: { or: [{ not: { column: 'a', op: '~', value: 'x' } }] } },
        /at filter\.or\[0\]\.not\.op: expected "op" to be one of/,
      ],
      [
        'a column name of the wrong type',
        { select: ['a', 2] },
        /at select\[1\]: expected a column name \(string\); got number 2/,
      ],
      ['a sort key as a string', { sort: ['-age'] }, /at sort\[0\]: expected object; got "-age"/],
      [
        'an unknown key in a sort key',
        { sort: [{ column: 'age', order: 'desc' }] },
        /at sort\[0\]: unknown key "order"/,
      ],
      [
        'an unknown aggregate',
        { rollup: { n: { op: 'median', column: 'age' } } },
        /at rollup\.n\.op: expected one of "count", "sum", "mean", "min", "max", "distinct"; got "median"/,
      ],
      [
        'an aggregate without its column',
        { rollup: { avg: { op: 'mean' } } },
        /at rollup\.avg\.column: expected a "column" \(only count may omit it\)/,
      ],
      ['a negative limit', { limit: -1 }, /at limit: expected a non-negative integer; got number -1/],
      ['a fractional offset', { offset: 1.5 }, /at offset: expected an integer; got number 1.5/],
      ['a string limit', { limit: '10' }, /at limit: expected number; got "10"/],
      ['an infinite value', { filter: { column: 'a', op: '=', value: Number.POSITIVE_INFINITY } }, /at filter\.value/],
      [
        'a rollup name equal to a groupby column',
        { groupby: ['grade'], rollup: { grade: { op: 'count' } } },
        /rollup\.grade.*also a groupby column/,
      ],
      ['groupby "count" with the default rollup', { groupby: ['count'] }, /needs an explicit rollup/],
    ];
    for (const [what, input, pattern] of cases) {
      it(`rejects ${what}`, async () => {
        const err = await codeOf(() => parseQuery(input), 'CSVS_QUERY_INVALID', pattern);
        assert.ok(err instanceof QueryError);
        assert.match(err.message, /^Invalid query /);
      });
    }
  });

  describe('enforces limits before validation, with CSVS_QUERY_TOO_COMPLEX and `limit`', () => {
    it('fails fast on a filter nested 10,000 deep (no stack overflow)', async () => {
      // built as text and parsed, as a server receives it (JSON.stringify itself overflows)
      const json = `{"filter":${'{"and":[{"not":'.repeat(5000)}{"column":"a","op":"isNull"}${'}]}'.repeat(5000)}}`;
      const err = await codeOf(
        () => parseQuery(JSON.parse(json)),
        'CSVS_QUERY_TOO_COMPLEX',
        /nested deeper than 16 levels/,
      );
      assert.equal((err as QueryError).limit, 16);
    });

    it('accepts depth up to maxDepth and counts a lone leaf as depth 1', async () => {
      let f: Filter = { column: 'a', op: 'isNull' };
      for (let i = 1; i < 16; i++) f = { not: f };
      parseQuery({ filter: f });
      await codeOf(() => parseQuery({ filter: { not: f } }), 'CSVS_QUERY_TOO_COMPLEX');
      await codeOf(
        () => parseQuery({ filter: { not: { column: 'a', op: 'isNull' } } }, { maxDepth: 1 }),
        'CSVS_QUERY_TOO_COMPLEX',
      );
    });

    it('rejects more filter nodes than maxNodes', async () => {
      const leaves = Array.from({ length: 1000 }, () => ({ column: 'a', op: 'isNull' }));
      const err = await codeOf(
        () => parseQuery({ filter: { or: leaves } }),
        'CSVS_QUERY_TOO_COMPLEX',
        /more than 1000 nodes/,
      );
      assert.equal((err as QueryError).limit, 1000);
      parseQuery({ filter: { or: leaves.slice(1) } });
    });

    it('rejects a 1e6-element in list', async () => {
      const value = Array.from({ length: 1_000_000 }, (_, i) => i);
      const err = await codeOf(
        () => parseQuery({ filter: { column: 'age', op: 'in', value } }),
        'CSVS_QUERY_TOO_COMPLEX',
        /"in" list at filter has 1000000 values; the limit is 10000/,
      );
      assert.equal((err as QueryError).limit, 10_000);
    });

    it('rejects a 10 MB string value, and a long key', async () => {
      const big = 'x'.repeat(10 * 1024 * 1024);
      const err = await codeOf(
        () => parseQuery({ filter: { column: 'name', op: 'contains', value: big } }),
        'CSVS_QUERY_TOO_COMPLEX',
        /filter\.value has 10485760 characters; the limit is 65536/,
      );
      assert.equal((err as QueryError).limit, 65_536);
      await codeOf(() => parseQuery({ rollup: { [big]: { op: 'count' } } }), 'CSVS_QUERY_TOO_COMPLEX', /key at rollup/);
      await codeOf(
        () => parseQuery({ select: ['abcdefg'] }, { maxStringLength: 6 }),
        'CSVS_QUERY_TOO_COMPLEX',
        /select\[0\]/,
      );
    });

    it('rejects more than 1000 select, sort, groupby or rollup entries', async () => {
      const names = Array.from({ length: 1001 }, (_, i) => `c${i}`);
      await codeOf(
        () => parseQuery({ select: names }),
        'CSVS_QUERY_TOO_COMPLEX',
        /select has 1001 entries; the limit is 1000/,
      );
      await codeOf(() => parseQuery({ groupby: names }), 'CSVS_QUERY_TOO_COMPLEX', /groupby/);
      await codeOf(() => parseQuery({ sort: names.map((column) => ({ column })) }), 'CSVS_QUERY_TOO_COMPLEX', /sort/);
      await codeOf(
        () => parseQuery({ rollup: Object.fromEntries(names.map((n) => [n, { op: 'count' }])) }),
        'CSVS_QUERY_TOO_COMPLEX',
        /rollup/,
      );
      parseQuery({ select: names.slice(1) });
    });

    it('accepts a limit above maxRows: the result is capped, not the request', () => {
      assert.deepEqual(parseQuery({ limit: 100_000_000 }, { maxRows: 10 }), { limit: 100_000_000 });
    });

    it('rejects bad limits with ArgumentError', async () => {
      const err = await codeOf(
        () => parseQuery({}, { maxDepth: -1 }),
        'CSVS_BAD_ARGUMENT',
        /QueryLimits\.maxDepth must be a non-negative number; got -1/,
      );
      assert.ok(err instanceof ArgumentError);
    });
  });

  describe('__proto__ keys', () => {
    for (const json of [
      '{"__proto__":{"polluted":1}}',
      '{"filter":{"__proto__":{"polluted":1},"column":"a","op":"isNull"}}',
      '{"rollup":{"__proto__":{"op":"count"}}}',
      '{"filter":{"and":[{"column":"a","op":"=","value":1,"__proto__":{"polluted":1}}]}}',
    ]) {
      it(`rejects ${json} without polluting Object.prototype`, async () => {
        await codeOf(() => parseQuery(JSON.parse(json)), 'CSVS_QUERY_INVALID', /the key "__proto__" is not allowed/);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
      });
    }
  });
});
