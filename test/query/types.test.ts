import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Aggregate, defaultQueryLimits, FilterOp } from '../../src/query/index.js';

describe('query types', () => {
  it('names the aggregates and filter operators as const objects', () => {
    assert.deepEqual(Object.values(Aggregate), ['count', 'sum', 'mean', 'min', 'max', 'distinct']);
    assert.equal(FilterOp.ge, '>=');
    assert.equal(FilterOp.startsWith, 'startsWith');
  });

  it('has frozen defaults: depth 16, 1000 nodes, no row cap', () => {
    assert.equal(Object.isFrozen(defaultQueryLimits), true);
    assert.equal(defaultQueryLimits.maxDepth, 16);
    assert.equal(defaultQueryLimits.maxNodes, 1000);
    assert.equal(defaultQueryLimits.maxRows, Number.POSITIVE_INFINITY);
  });
});
