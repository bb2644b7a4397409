import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CsvServer, serve } from '../../src/index.js';
import { UploadGate } from '../../src/server/admission.js';
import { chunkFrame, RawClient } from './raw-client.js';

describe('UploadGate', () => {
  describe('#admit', () => {
    it('admits up to its slots at once, then the others in arrival order as slots free', () => {
      const gate = new UploadGate({ slots: 2, leaseMs: 60_000 });
      const started: string[] = [];
      const a = gate.admit(() => started.push('a'));
      const b = gate.admit(() => started.push('b'));
      gate.admit(() => started.push('c'));
      gate.admit(() => started.push('d'));
      assert.deepEqual(started, ['a', 'b']);
      assert.deepEqual([gate.active, gate.queued], [2, 2]);
      b.release();
      assert.deepEqual(started, ['a', 'b', 'c']);
      a.release();
      a.release(); // twice frees one slot only
      assert.deepEqual(started, ['a', 'b', 'c', 'd']);
      assert.deepEqual([gate.active, gate.queued], [2, 0]);
    });

    it('skips an upload that left the queue before its turn', () => {
      const gate = new UploadGate({ slots: 1, leaseMs: 60_000 });
      const started: string[] = [];
      const a = gate.admit(() => started.push('a'));
      const b = gate.admit(() => started.push('b'));
      gate.admit(() => started.push('c'));
      b.release();
      assert.equal(b.admitted, false);
      a.release();
      assert.deepEqual(started, ['a', 'c']);
    });

    it('gives the slot of an upload whose lease ran out to the next one, so a stalled client cannot hold the queue', async () => {
      const gate = new UploadGate({ slots: 1, leaseMs: 20 });
      const stalled = gate.admit(() => undefined);
      const next = new Promise<void>((resolve) => gate.admit(resolve));
      // the gate's timers do not keep a process alive (unref'd): this test does
      const alive = setInterval(() => undefined, 1000);
      await next;
      clearInterval(alive);
      assert.equal(stalled.admitted, true);
      assert.equal(gate.active, 1);
    });
  });
});

describe('CsvServer with many uploads at once', () => {
  let server: CsvServer;
  before(async () => {
    // one parse thread: 4 uploads stream at once; a lease longer than the test
    server = await serve({ port: 0, threads: 1, uploadTurns: { leaseMs: 10 * 60_000 } });
  });
  after(() => server.close());

  it('serves every upload of many clients, 4 per parse thread streaming at once, the others in arrival order', async () => {
    const n = 10;
    const clients = await Promise.all(Array.from({ length: n }, () => RawClient.open(server)));
    const rids: number[] = [];
    for (const [i, c] of clients.entries()) {
      const rid = c.nextRid();
      rids.push(rid);
      c.send({
        type: 'upload',
        rid,
        id: `many-${i}`,
        name: `many-${i}`,
        format: 'csv',
        mode: 'replace',
        returnTable: false,
      });
      // a round trip on the same connection: the server has taken upload i before upload i + 1 is sent
      await c.list();
    }
    const ready = (i: number) => (clients[i] as RawClient).next((r) => r.rid === rids[i] && r.type === 'ready');
    const readyNow = async (i: number): Promise<boolean> => {
      // a reply sent while taking the upload message arrives before the list answer that follows it
      const c = clients[i] as RawClient;
      await c.list();
      return c.has((r) => r.rid === rids[i] && r.type === 'ready');
    };
    for (let i = 0; i < 4; i++) await ready(i);
    for (let i = 4; i < n; i++) assert.equal(await readyNow(i), false, `upload ${i} waits for its turn`);

    const csv = (i: number) => Buffer.from(`id,who\n1,${i}\n2,${i}\n`);
    const finish = async (i: number) => {
      const c = clients[i] as RawClient;
      const rid = rids[i] as number;
      c.ws.send(chunkFrame(rid, 0, csv(i)));
      c.send({ type: 'end', rid, bytes: csv(i).byteLength });
      const answer = await c.answer(rid);
      assert.equal(answer.type, 'stored', JSON.stringify(answer));
    };
    // the first upload done: the fifth (and only the fifth) gets its turn
    await finish(0);
    await ready(4);
    assert.equal(await readyNow(5), false);
    for (const i of [1, 2, 3, 4]) await finish(i);
    for (let i = 5; i < n; i++) {
      await ready(i);
      await finish(i);
    }
    assert.deepEqual(
      server
        .list()
        .map((d) => d.name)
        .sort(),
      Array.from({ length: n }, (_, i) => `many-${i}`).sort(),
    );
    await Promise.all(clients.map((c) => c.close()));
  });

  it('answers an upload that ends before its turn as it would any other (here: an empty CSV)', async () => {
    const waiting = await Promise.all(Array.from({ length: 4 }, () => RawClient.open(server)));
    const holders: number[] = [];
    for (const [i, c] of waiting.entries()) {
      const rid = c.nextRid();
      holders.push(rid);
      c.send({ type: 'upload', rid, id: `hold-${i}`, name: `hold-${i}`, format: 'csv', mode: 'replace' });
      await c.next((r) => r.rid === rid && r.type === 'ready');
    }
    // every slot is taken: this upload waits, and its client ends it at once
    const late = await RawClient.open(server);
    const rid = late.nextRid();
    late.send({ type: 'upload', rid, id: 'late', name: 'late', format: 'csv', mode: 'replace' });
    late.send({ type: 'end', rid, bytes: 0 });
    const answer = await late.answer(rid);
    assert.equal(answer.type, 'error', JSON.stringify(answer));
    assert.equal((answer as { code?: string }).code, 'CSVS_PARSE_EMPTY', JSON.stringify(answer));
    for (const [i, c] of waiting.entries()) c.send({ type: 'abort', rid: holders[i] as number });
    await Promise.all([...waiting, late].map((c) => c.close()));
  });
});
