import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import { tableFromArrowIPC } from '../../src/arrow/ipc.js';
import { type Dataset, Datasets, datasetIPC } from '../../src/server/datasets.js';

function dataset(name: string): Dataset {
  return {
    name,
    table: aq.table({ x: [1] }),
    columns: [{ name: 'x', type: 'integer' }],
    summary: { name, rows: 1, columns: [], head: [], warnings: [], bytes: 2, ms: 0, stored: '' },
    ipc: null,
    owner: 'owner-id',
  };
}

describe('Datasets', () => {
  it('tells when a dataset is let go: replaced (with what replaced it) or dropped, and not when it is new', () => {
    const datasets = new Datasets();
    const released: Array<[string, string | undefined]> = [];
    datasets.on('released', (old, now) => released.push([old.name, now?.name]));
    const first = dataset('a');
    datasets.put(first);
    assert.deepEqual(released, []);
    const second = dataset('a');
    datasets.put(second);
    assert.deepEqual(released, [['a', 'a']]);
    datasets.put(second); // the same object again: nothing let go
    assert.equal(released.length, 1);
    assert.equal(datasets.drop('a'), true);
    assert.deepEqual(released, [
      ['a', 'a'],
      ['a', undefined],
    ]);
    assert.equal(datasets.drop('a'), false);
    assert.equal(released.length, 2);
  });
});

describe('datasetIPC', () => {
  it('encodes a dataset built on this thread (an append) once per version, in shared memory', () => {
    const dataset = {
      name: 'appended',
      table: aq.table({ a: [1, 2, 3], b: ['x', 'y', 'z'] }),
      columns: [],
      summary: {} as Dataset['summary'],
      ipc: null,
      owner: 'o',
    } as unknown as Dataset;
    const first = datasetIPC(dataset) as Uint8Array;
    assert.equal(datasetIPC(dataset), first, 'one encoding for every subscriber and reply');
    assert.ok(first.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(tableFromArrowIPC(first).objects(), dataset.table.objects());
    const next = { ...dataset, table: aq.table({ a: [4] }) } as Dataset;
    assert.notEqual(datasetIPC(next), first, 'a new version is encoded anew');
  });
});
