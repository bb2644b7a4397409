/**
 * The per-connection dispatcher (src/server/session.ts), spoken to at the
 * protocol level: what a live connection answers to messages the real client
 * never sends, and that it goes on serving afterwards.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { type CsvServer, startServer } from '../../src/index.js';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { chunkFrame, RawClient } from './raw-client.js';

describe('Session', () => {
  let server: CsvServer;
  before(async () => {
    server = await startServer({ port: 0 });
  });
  after(async () => {
    await server.close();
  });

  it('greets with a welcome that carries the protocol and the limits', async () => {
    const ws = new WebSocket(server.url, ['csvsocket.v1']);
    try {
      const [data] = (await once(ws, 'message')) as [Buffer];
      const welcome = JSON.parse(data.toString()) as Record<string, unknown>;
      assert.equal(welcome.type, 'welcome');
      assert.equal(welcome.protocol, PROTOCOL_VERSION);
      assert.match(String(welcome.server), /^csvsocket\//);
      const limits = welcome.limits as Record<string, number>;
      for (const key of ['maxFrameBytes', 'maxUploadBytes', 'chunkBytes', 'windowBytes']) {
        assert.equal(typeof limits[key], 'number', key);
        assert.ok((limits[key] ?? 0) > 0, key);
      }
    } finally {
      const closed = once(ws, 'close');
      ws.close();
      await closed;
    }
  });

  it('answers malformed JSON with CSVS_PROTOCOL_BAD_MESSAGE, echoing a readable rid, and keeps serving', async () => {
    const raw = await RawClient.open(server);
    try {
      raw.send({ type: 'no-such-type', rid: 41 });
      const err = await raw.answer(41);
      assert.equal(err.type, 'error');
      assert.equal(err.code, 'CSVS_PROTOCOL_BAD_MESSAGE');
      assert.equal(typeof err.message, 'string');
      assert.ok((err.message ?? '').length > 0);
      raw.ws.send('{"type":"list",');
      const noRid = await raw.next((r) => r.type === 'error');
      assert.equal(noRid.code, 'CSVS_PROTOCOL_BAD_MESSAGE');
      assert.equal(noRid.rid, undefined);
      const list = await raw.list();
      assert.equal(list.type, 'datasets');
      assert.ok(Array.isArray(list.datasets));
      assert.equal(raw.closed, null);
    } finally {
      await raw.close();
    }
  });

  it('ignores a chunk for an unknown upload and refuses its end with CSVS_PROTOCOL_UNKNOWN_UPLOAD', async () => {
    const raw = await RawClient.open(server);
    try {
      raw.ws.send(chunkFrame(77, 0, Buffer.from('a,b\n1,2\n')));
      raw.send({ type: 'end', rid: 77, bytes: 8 });
      const err = await raw.answer(77);
      assert.equal(err.type, 'error');
      assert.equal(err.code, 'CSVS_PROTOCOL_UNKNOWN_UPLOAD');
      assert.equal(err.message, 'no upload with request id 77 is in progress');
      // the stray chunk itself drew no answer: the end's error is the only one
      const list = await raw.list();
      assert.equal(list.type, 'datasets');
      assert.equal(raw.closed, null);
    } finally {
      await raw.close();
    }
  });

  it("refuses to drop another client's dataset with CSVS_AUTH_NOT_OWNER, and its owner may", async () => {
    const alice = await RawClient.open(server);
    const mallory = await RawClient.open(server);
    try {
      const stored = await alice.upload('session-owned', Buffer.from('a\n1\n2\n'), { clientId: 'alice-session' });
      assert.equal(stored.type, 'stored');
      let rid = mallory.nextRid();
      mallory.send({ type: 'drop', rid, name: 'session-owned', clientId: 'mallory-session' });
      const refused = await mallory.answer(rid);
      assert.equal(refused.type, 'error');
      assert.equal(refused.code, 'CSVS_AUTH_NOT_OWNER');
      assert.match(refused.message ?? '', /^dataset "session-owned" belongs to another client/);
      // an anonymous connection (no clientId) is not the owner either
      rid = mallory.nextRid();
      mallory.send({ type: 'drop', rid, name: 'session-owned' });
      assert.equal((await mallory.answer(rid)).code, 'CSVS_AUTH_NOT_OWNER');
      assert.ok(server.table('session-owned'), 'the dataset is still there');
      rid = alice.nextRid();
      alice.send({ type: 'drop', rid, name: 'session-owned', clientId: 'alice-session' });
      const dropped = await alice.answer(rid);
      assert.deepEqual({ type: dropped.type, name: dropped.name }, { type: 'dropped', name: 'session-owned' });
      assert.equal(server.table('session-owned'), undefined);
    } finally {
      await alice.close();
      await mallory.close();
    }
  });

  it('answers a drop of a missing dataset with CSVS_QUERY_UNKNOWN_DATASET', async () => {
    const raw = await RawClient.open(server);
    try {
      const rid = raw.nextRid();
      raw.send({ type: 'drop', rid, name: 'never-there' });
      const err = await raw.answer(rid);
      assert.equal(err.code, 'CSVS_QUERY_UNKNOWN_DATASET');
      assert.equal(err.message, 'no dataset named "never-there"');
      assert.deepEqual(err.context, { dataset: 'never-there' });
    } finally {
      await raw.close();
    }
  });

  it('answers a query of a missing dataset with CSVS_QUERY_UNKNOWN_DATASET naming the datasets there are', async () => {
    const raw = await RawClient.open(server);
    try {
      let rid = raw.nextRid();
      raw.send({ type: 'query', rid, name: 'ghost', query: {} });
      const none = await raw.answer(rid);
      assert.equal(none.code, 'CSVS_QUERY_UNKNOWN_DATASET');
      assert.equal(none.message, 'no dataset named "ghost"; the server has none yet');
      assert.equal((await raw.upload('first', Buffer.from('x\n1\n'))).type, 'stored');
      assert.equal((await raw.upload('second', Buffer.from('y\n2\n'))).type, 'stored');
      rid = raw.nextRid();
      raw.send({ type: 'query', rid, name: 'ghost', query: {} });
      const some = await raw.answer(rid);
      assert.equal(some.type, 'error');
      assert.equal(some.code, 'CSVS_QUERY_UNKNOWN_DATASET');
      assert.equal(some.message, 'no dataset named "ghost"; the server has "first", "second"');
      assert.deepEqual(some.context, { dataset: 'ghost' });
      // and a query of one that exists answers with a result
      rid = raw.nextRid();
      raw.send({ type: 'query', rid, name: 'first', query: {} });
      const result = await raw.answer(rid);
      assert.equal(result.type, 'result');
      assert.equal((result.summary as { rows: number }).rows, 1);
    } finally {
      await raw.close();
    }
  });
});
