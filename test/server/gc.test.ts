import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdleCollector } from '../../src/server/gc.js';

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
