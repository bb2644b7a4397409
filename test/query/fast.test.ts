import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fastQuery } from '../../src/query/fast.js';
import { defaultQueryLimits, QuerySchema } from '../../src/query/index.js';

const lim = { ...defaultQueryLimits, maxDepth: 4, maxNodes: 6, maxInValues: 3, maxStringLength: 10, maxColumns: 2 };

describe('fastQuery', () => {
  it('gives what the schema gives for the common shapes', () => {
    const valid: unknown[] = [
      {},
      { filter: { column: 'count', op: '>', value: 50_000 }, sort: [{ column: 'price', desc: true }], limit: 10 },
      { filter: { column: 'a', op: '=', value: null }, offset: 0, limit: 0 },
      { filter: { column: 'a', op: 'in', value: ['x', 1, true] } },
      { filter: { column: 'a', op: 'isNull' } },
      { filter: { not: { and: [{ column: 'a', op: 'contains', value: 'b' }, { or: [] }] } } },
      { select: ['a', 'b'], groupby: ['c'], sort: [{ column: 'a' }, { column: 'b', desc: false }] },
      { groupby: ['a'], rollup: { n: { op: 'count' }, avg: { op: 'mean', column: 'b' } } },
      { rollup: { toString: { op: 'max', column: 'b' }, '': { op: 'count', column: 'a' } } },
      { rollup: {} },
    ];
    for (const input of valid) {
      const copy = JSON.parse(JSON.stringify(input));
      assert.deepEqual(fastQuery(copy, lim), QuerySchema.parse(input), JSON.stringify(input));
    }
  });

  it('leaves every invalid, limit-breaking or unusual query to the general path', () => {
    const other: unknown[] = [
      null,
      [],
      { rollup: { n: { op: 'sum' } } },
      { rollup: { n: { op: 'median', column: 'a' } } },
      { rollup: { n: { op: 'count', column: 1 } } },
      { rollup: { n: { op: 'count', extra: 1 } } },
      { rollup: { a: { op: 'count' }, b: { op: 'count' }, c: { op: 'count' } } },
      { rollup: { 'a-very-long-name': { op: 'count' } } },
      { rollup: [] },
      JSON.parse('{"rollup": {"__proto__": {"op": "count"}}}'),
      { limit: -1 },
      { limit: 1.5 },
      { offset: '3' },
      { nope: 1 },
      JSON.parse('{"__proto__": {"x": 1}}'),
      { filter: { column: 'a', op: '>' } },
      { filter: { column: 'a', op: 'like', value: 'x' } },
      { filter: { column: 'a', op: '=', value: [1] } },
      { filter: { column: 'a', op: '=', value: 1, extra: 2 } },
      { filter: { column: 'a', op: 'contains', value: 3 } },
      { filter: { column: 'a', op: 'isNull', value: 1 } },
      { filter: { and: [], column: 'a' } },
      { filter: { column: 'a', op: 'in', value: [1, 2, 3, 4] } },
      { filter: { column: 'a-very-long-name', op: '=', value: 1 } },
      { filter: { column: 'a', op: '=', value: 'too long a value' } },
      { filter: { not: { not: { not: { not: { column: 'a', op: 'isNull' } } } } } },
      { filter: { or: Array.from({ length: 6 }, () => ({ column: 'a', op: 'isNull' })) } },
      { sort: [{ column: 'a', desc: 'yes' }] },
      { sort: [{ column: 'a' }, { column: 'b' }, { column: 'c' }] },
      { select: [1] },
    ];
    for (const input of other) assert.equal(fastQuery(input, lim), null, JSON.stringify(input));
  });

  it('leaves a string limit below its own key and operator names ("startsWith") to the general path', () => {
    const query = { rollup: { n: { op: 'distinct', column: 'a' } }, limit: 0 };
    assert.equal(fastQuery(query, { ...lim, maxStringLength: 9 }), null);
    assert.deepEqual(fastQuery(query, lim), query);
  });
});
