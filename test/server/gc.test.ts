import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdleCollector } from '../../src/server/gc.js';

describe('IdleCollector', () => {
  it('asks whether the worker is idle once, after the last schedule, and not after a cancel', async () => {
    let asked = 0;
    const garbage = new IdleCollector(() => {
      asked++;
      return true;
    }, 5);
    garbage.schedule();
    garbage.schedule(); // replaces the first
    await sleep(30); // timers fire in order: the 5 ms one first
    assert.equal(asked, 1);
    garbage.schedule();
    garbage.cancel();
    await sleep(30);
    assert.equal(asked, 1);
  });
});
