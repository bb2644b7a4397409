import assert from 'node:assert/strict';
import { pbkdf2 } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { BACKGROUND_NICENESS, lowerPlatformThreads, WORKER_NICENESS } from '../../src/server/priority.js';

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

describe('lowerPlatformThreads', () => {
  it("lowers Node's platform threads to the background priority, once, and neither the main thread nor a worker", async (t) => {
    if (!existsSync('/proc/thread-self')) return t.skip('threads have no priority of their own here (not Linux)');
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await once(worker, 'online');
    // libuv's threadpool starts on first use: it must keep its priority too
    await new Promise((done) => pbkdf2('x', 'y', 1, 8, 'sha256', done));
    const before = new Set(readdirSync('/proc/self/task').map(Number));
    const main = getPriority();
    const lowered = lowerPlatformThreads();
    assert.equal(getPriority(), main, "the main thread's priority is unchanged");
    const niceness = [...before].filter((tid) => tid !== process.pid).map((tid) => [tid, getPriority(tid)] as const);
    const background = niceness.filter(([, nice]) => nice === BACKGROUND_NICENESS);
    // Node's platform threads: 4 workers (--v8-pool-size) and the delayed-task thread
    assert.ok(background.length >= 4 && lowered >= 4, `${lowered} lowered: ${JSON.stringify(niceness)}`);
    assert.ok(lowered <= 6, `${lowered} lowered: libuv's four pool threads are not Node's platform`);
    assert.ok(
      niceness.some(([, nice]) => nice === main),
      "the worker (and any thread started after Node's bootstrap) keeps the main thread's priority",
    );
    assert.equal(lowerPlatformThreads(), 0, 'a second call changes nothing');
    await worker.terminate();
  });
});
