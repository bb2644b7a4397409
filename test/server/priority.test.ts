import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { BACKGROUND_NICENESS, lowerStartupThreads, WORKER_NICENESS } from '../../src/server/priority.js';

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

describe('lowerStartupThreads', () => {
  it("lowers Node's own threads to the background priority, once, and neither the main thread nor a worker", async (t) => {
    if (!existsSync('/proc/thread-self')) return t.skip('threads have no priority of their own here (not Linux)');
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await once(worker, 'online');
    const before = new Set(readdirSync('/proc/self/task').map(Number));
    const main = getPriority();
    const lowered = lowerStartupThreads();
    assert.equal(getPriority(), main, "the main thread's priority is unchanged");
    const niceness = [...before].filter((tid) => tid !== process.pid).map((tid) => [tid, getPriority(tid)] as const);
    const background = niceness.filter(([, nice]) => nice === BACKGROUND_NICENESS);
    // V8's platform threads (4 by default) and Node's other start-up threads
    assert.ok(background.length >= 4 && lowered >= 4, `${lowered} lowered: ${JSON.stringify(niceness)}`);
    assert.ok(
      niceness.some(([, nice]) => nice === main),
      "the worker (and any thread started after Node's bootstrap) keeps the main thread's priority",
    );
    assert.equal(lowerStartupThreads(), 0, 'a second call changes nothing');
    await worker.terminate();
  });
});
