import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { WORKER_NICENESS } from '../../src/server/priority.js';

describe('lowerThreadPriority', () => {
  it('lowers the priority of the worker thread that calls it, not of the main thread', async (t) => {
    if (!existsSync('/proc/thread-self')) return t.skip('threads have no priority of their own here (not Linux)');
    const main = getPriority();
    const file = join(__dirname, '../../src/server/priority.ts');
    const worker = new Worker(
      `require('tsx/cjs'); const { parentPort } = require('node:worker_threads');
       parentPort.postMessage(require(${JSON.stringify(file)}).lowerThreadPriority());`,
      { eval: true },
    );
    const [nice] = (await once(worker, 'message')) as [number | null];
    await worker.terminate();
    assert.equal(nice, Math.min(19, main + WORKER_NICENESS));
    assert.equal(getPriority(), main, "the main thread's priority is unchanged");
  });
});
