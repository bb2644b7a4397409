import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import {
  AnswerCollector,
  IdleCollector,
  ReceiveCollector,
  ReleaseCollector,
  sharedBytesLetGo,
} from '../../src/server/gc.js';

describe('IdleCollector', () => {
  it('asks whether the worker is idle before the young and the full collection, after the last schedule only, and not after a cancel', async () => {
    const asked: number[] = [];
    const start = Date.now();
    const garbage = new IdleCollector(
      () => {
        asked.push(Date.now() - start);
        return true;
      },
      5,
      25,
    );
    garbage.schedule();
    garbage.schedule(); // replaces the first
    await sleep(60); // timers fire in order: the 5 ms one first
    assert.equal(asked.length, 2);
    assert.ok((asked[1] as number) >= 24, `the full collection waits for the longer delay: ${asked}`);
    garbage.schedule();
    await sleep(10); // the young collection only
    garbage.cancel();
    await sleep(40);
    assert.equal(asked.length, 3);
  });
});

describe('AnswerCollector', () => {
  it('collects the young generation once, a moment after a megabyte of answers was let go, and not for less', async () => {
    const kinds: unknown[] = [];
    const collector = new AnswerCollector(5, 1 << 20, (options) => kinds.push(options?.type));
    collector.written(100);
    await sleep(20);
    assert.deepEqual(kinds, [], 'a small answer is not worth a collection');
    collector.written(1 << 20);
    collector.written(5 << 20); // within the wait: the same collection
    await sleep(20);
    assert.deepEqual(kinds, ['minor']);
    collector.written(4 << 20);
    collector.stop();
    await sleep(20);
    assert.deepEqual(kinds, ['minor'], 'stopped');
  });

  it('leaves an answer held long (its handle may be old by then) to a full collection', async () => {
    const kinds: unknown[] = [];
    const collector = new AnswerCollector(5, 1 << 20, (options) => kinds.push(options?.type ?? 'full'), 100);
    collector.written(4 * 2 ** 30, 5_000); // far more than half any heap here
    await sleep(20);
    assert.deepEqual(kinds, [], 'a full collection waits longer (ReleaseCollector)');
    await sleep(250);
    assert.deepEqual(kinds, ['full']);
    collector.stop();
  });
});

describe('ReleaseCollector', () => {
  it('collects once, a moment after enough shared memory was let go, and not for less', async () => {
    let collections = 0;
    const collector = new ReleaseCollector(5, 32 << 20, () => collections++);
    collector.released(10 << 20);
    await sleep(20);
    assert.equal(collections, 0, '10 MB is not worth a collection');
    collector.released(30 << 20);
    collector.released(60 << 20); // within the wait: the same collection
    await sleep(30);
    assert.equal(collections, 1);
    collector.released(1 << 20);
    await sleep(20);
    assert.equal(collections, 1, 'what is owed starts again from nothing');
    collector.released(64 << 20);
    collector.stop();
    await sleep(20);
    assert.equal(collections, 1, 'stopped');
  });

  it('collects what is owed at once when flushed (an upload begins), then not again', async () => {
    let collections = 0;
    const collector = new ReleaseCollector(10_000, 32 << 20, () => collections++);
    collector.flush();
    assert.equal(collections, 0, 'nothing owed');
    collector.released(10 << 20);
    collector.flush();
    assert.equal(collections, 0, '10 MB is not worth a collection');
    collector.released(60 << 20);
    collector.flush();
    assert.equal(collections, 1, 'collected without waiting');
    collector.flush();
    await sleep(20);
    assert.equal(collections, 1, 'the wait was cancelled');
    collector.stop();
  });

  it('skips the collection when what it would free is small next to the heap', async () => {
    let collections = 0;
    const heap = getHeapStatistics().used_heap_size;
    const collector = new ReleaseCollector(5, 1, () => collections++);
    collector.released(Math.floor(heap / 4));
    await sleep(20);
    assert.equal(collections, 0);
  });
});

describe('sharedBytesLetGo', () => {
  const shared = (n: number) => new Uint8Array(new SharedArrayBuffer(n));
  it('counts each shared buffer of the old streams once, leaving out what the new ones keep and unshared bytes', () => {
    const a = shared(100);
    const b = shared(200);
    const c = shared(400);
    const view = new Uint8Array(b.buffer, 8, 50); // a second stream in b's buffer
    assert.equal(sharedBytesLetGo([a, b, view, new Uint8Array(1000)], null), 300);
    assert.equal(sharedBytesLetGo([a, b], [b, c]), 100, 'an append keeps the pieces it extends');
    assert.equal(sharedBytesLetGo(a, undefined), 100);
    assert.equal(sharedBytesLetGo(null, [a]), 0);
  });
});

describe('ReceiveCollector', () => {
  it('collects the young generation once per `everyBytes` received', () => {
    const calls: unknown[] = [];
    const collector = new ReceiveCollector(10, (options) => calls.push(options));
    collector.add(4);
    collector.add(5);
    assert.equal(calls.length, 0);
    collector.add(1);
    assert.deepEqual(calls, [{ type: 'minor' }]);
    collector.add(25); // one collection however far past
    collector.add(9);
    assert.equal(calls.length, 2);
  });
});
