import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QuerySchema } from '../../src/query/index.js';

describe('QuerySchema', () => {
  it('checks shape and strict keys', () => {
    assert.equal(QuerySchema.safeParse({ limit: 1 }).success, true);
    assert.equal(QuerySchema.safeParse({ limit: -1 }).success, false);
    assert.equal(QuerySchema.safeParse({ where: 1 }).success, false);
  });

  it('parses nested filters through their branch by key', () => {
    const q = { filter: { or: [{ not: { column: 'a', op: 'isNull' } }, { column: 'b', op: 'in', value: [1, null] }] } };
    const r = QuerySchema.safeParse(q);
    assert.equal(r.success, true);
    assert.deepEqual(r.data, q);
    const bad = QuerySchema.safeParse({ filter: { or: [{ not: { column: 'a', op: 'like' } }] } });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['filter', 'or', 0, 'not', 'op']);
  });

  it('accepts any string as a rollup output name, empty and blank included', () => {
    for (const name of ['', ' ', 'constructor', 'toString', '\u202e']) {
      assert.equal(QuerySchema.safeParse({ rollup: { [name]: { op: 'count' } } }).success, true, JSON.stringify(name));
    }
  });
});
