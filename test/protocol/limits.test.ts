import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { Readable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { type CsvServer, connect, LimitError, startServer } from '../../src/index.js';
import { rejectsWithCode } from '../helpers.js';
import { rawSocket, untilClosed } from '../server/helpers.js';

const CSV = 'id,name\n1,Monish\n2,Floofy\n';

/** After a limit was hit, the server still takes a normal upload from a new client. */
async function stillServes(server: CsvServer, name = `after-${Math.random().toString(36).slice(2)}`): Promise<void> {
  const client = await connect(server.url, { reconnect: false });
  const table = await client.send(CSV, { name });
  assert.equal(table.numRows(), 2);
  await client.close();
}

describe('limits', () => {
  describe('maxFrameBytes', () => {
    let server: CsvServer;
    before(async () => {
      server = await startServer({ port: 0, threads: 1, limits: { maxFrameBytes: 4096 } });
    });
    after(() => server.close());

    it('closes a raw socket that sends a larger message with 1009', async () => {
      const ws = new WebSocket(server.url, ['csvsocket.v1']);
      await once(ws, 'message');
      ws.send(Buffer.alloc(5000, 0x41));
      const [code] = (await once(ws, 'close')) as [number];
      assert.equal(code, 1009);
      await stillServes(server);
    });

    it('makes the client reject an oversized message with CSVS_LIMIT_FRAME_SIZE naming maxFrameBytes, and stay connected', async () => {
      const client = await connect(server.url, { reconnect: false });
      const err = await rejectsWithCode(
        client.query('x', { filter: { column: 'name', op: '=', value: 'x'.repeat(5000) } }),
        'CSVS_LIMIT_FRAME_SIZE',
        /maxFrameBytes/,
      );
      assert.ok(err instanceof LimitError);
      assert.equal((err as LimitError).limit, 4096);
      assert.equal(client.open, true);
      await client.close();
    });

    it('turns a 1009 close by the server into CSVS_LIMIT_FRAME_SIZE for what was pending', async () => {
      const client = await connect(server.url, { reconnect: false });
      let release!: () => void;
      const pending = client.send(
        Readable.from(
          (async function* () {
            yield 'a\n1\n';
            await new Promise<void>((r) => {
              release = r;
            });
          })(),
        ),
        { name: 'pending' },
      );
      while (!release) await new Promise((r) => setImmediate(r));
      // a message the client's own check would have stopped, sent past it
      (client as unknown as { ws: WebSocket }).ws.send('y'.repeat(5000));
      await rejectsWithCode(pending, 'CSVS_LIMIT_FRAME_SIZE', /maxFrameBytes \(4096\)/);
      release();
      await stillServes(server);
    });

    it('sends uploads in chunks that fit the frame limit', async () => {
      const client = await connect(server.url, { reconnect: false });
      const big = `id,text\n${Array.from({ length: 2000 }, (_, i) => `${i},row number ${i}`).join('\n')}\n`;
      const table = await client.send(big, { name: 'chunked' });
      assert.equal(table.numRows(), 2000);
      await client.close();
    });
  });

  describe('maxUploadBytes, maxColumns, maxFieldBytes, maxUploadsPerClient', () => {
    let server: CsvServer;
    before(async () => {
      server = await startServer({
        port: 0,
        threads: 1,
        limits: { maxUploadBytes: 10_000, maxColumns: 10, maxFieldBytes: 1000, maxUploadsPerClient: 2 },
      });
    });
    after(() => server.close());

    it('rejects an upload declared larger than maxUploadBytes with CSVS_LIMIT_UPLOAD_SIZE', async () => {
      const client = await connect(server.url, { reconnect: false });
      const err = await rejectsWithCode(
        client.send(`a\n${'1\n'.repeat(6000)}`, { name: 'big' }),
        'CSVS_LIMIT_UPLOAD_SIZE',
        /10000/,
      );
      assert.equal((err as LimitError).limit, 10_000);
      assert.equal(server.table('big'), undefined);
      await client.close();
      await stillServes(server);
    });

    it('stops a stream of unknown size as it passes maxUploadBytes', async () => {
      const client = await connect(server.url, { reconnect: false });
      const stream = Readable.from(
        (function* () {
          yield 'a,b\n';
          for (let i = 0; i < 100; i++) yield `${'1,2\n'.repeat(100)}`;
        })(),
      );
      await rejectsWithCode(client.send(stream, { name: 'stream' }), 'CSVS_LIMIT_UPLOAD_SIZE');
      assert.equal(server.table('stream'), undefined);
      assert.equal((await client.send(CSV, { name: 'same-connection' })).numRows(), 2, 'the connection goes on');
      await client.close();
    });

    it('rejects more than maxColumns columns with CSVS_LIMIT_COLUMNS', async () => {
      const client = await connect(server.url, { reconnect: false });
      const header = Array.from({ length: 11 }, (_, i) => `c${i}`).join(',');
      await rejectsWithCode(client.send(`${header}\n${'1,'.repeat(10)}1\n`, { name: 'wide' }), 'CSVS_LIMIT_COLUMNS');
      assert.equal(server.table('wide'), undefined);
      await client.close();
      await stillServes(server);
    });

    it('rejects a field longer than maxFieldBytes with CSVS_LIMIT_FIELD_SIZE', async () => {
      const client = await connect(server.url, { reconnect: false });
      await rejectsWithCode(
        client.send(`a,b\n1,"${'x'.repeat(2000)}"\n`, { name: 'field' }),
        'CSVS_LIMIT_FIELD_SIZE',
        /maxFieldBytes/,
      );
      await client.close();
      await stillServes(server);
    });

    it('refuses a third concurrent upload on one connection with CSVS_LIMIT_UPLOADS', async () => {
      const client = await connect(server.url, { reconnect: false });
      const gates: Array<() => void> = [];
      const held = () =>
        Readable.from(
          (async function* () {
            yield 'a\n1\n';
            await new Promise<void>((r) => gates.push(r));
            yield '2\n';
          })(),
        );
      const first = client.send(held(), { name: 'u1' });
      const second = client.send(held(), { name: 'u2' });
      while (gates.length < 2) await new Promise((r) => setImmediate(r));
      const err = await rejectsWithCode(
        client.send(CSV, { name: 'u3' }),
        'CSVS_LIMIT_UPLOADS',
        /has 3 uploads at once, more than maxUploadsPerClient \(2\)/,
      );
      assert.equal((err as LimitError).limit, 2);
      for (const g of gates) g();
      assert.equal((await first).numRows(), 2);
      assert.equal((await second).numRows(), 2);
      assert.equal((await client.send(CSV, { name: 'u3' })).numRows(), 2, 'a slot is free again');
      await client.close();
    });
  });

  describe('maxConnections', () => {
    let server: CsvServer;
    before(async () => {
      server = await startServer({ port: 0, threads: 1, limits: { maxConnections: 3 } });
    });
    after(() => server.close());

    it('answers connection 4 of 3 with 503 CSVS_LIMIT_CONNECTIONS, and lets a new one in after one leaves', async () => {
      // other clients than this process's own, which always gets in
      const other = (i: number) => ({ reconnect: false as const, clientId: `other-client-${i}` });
      const clients = await Promise.all([1, 2, 3].map((i) => connect(server.url, other(i))));
      assert.equal(server.clients, 3);
      const err = await rejectsWithCode(connect(server.url, other(4)), 'CSVS_LIMIT_CONNECTIONS', /3 connections/);
      assert.ok(err instanceof LimitError);
      const gone = once(server, 'disconnect');
      await clients[0]!.close();
      await gone;
      const late = await connect(server.url, other(5));
      assert.equal((await late.send(CSV, { name: 'late' })).numRows(), 2);
      await Promise.all([late, ...clients.slice(1)].map((c) => c.close()));
    });
  });

  describe('handshakeTimeoutMs, idleTimeoutMs, heartbeatMs', () => {
    let server: CsvServer;
    afterEach(() => server?.close());

    it('drops a slow-loris socket that sends its headers byte by byte', async () => {
      server = await startServer({ port: 0, threads: 1, limits: { handshakeTimeoutMs: 300 } });
      const socket = tcpConnect(server.port, '127.0.0.1');
      await once(socket, 'connect');
      const request = `GET /?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(10_000)}`;
      let sent = 0;
      const closed = untilClosed(socket);
      let isClosed = false;
      void closed.then(() => {
        isClosed = true;
      });
      // one byte per turn of the event loop, for as long as the server puts up with it (bounded)
      while (!isClosed && sent < request.length) {
        socket.write(request[sent++]!);
        await new Promise((r) => setTimeout(r, 5));
      }
      await closed;
      assert.ok(sent < request.length, 'the server waited for the whole slow request');
      await stillServes(server);
    });

    it('drops a connection that never sends a byte', async () => {
      server = await startServer({ port: 0, threads: 1, limits: { handshakeTimeoutMs: 200 } });
      const socket = tcpConnect(server.port, '127.0.0.1');
      await untilClosed(socket);
      await stillServes(server);
    });

    it('closes a connection idle for idleTimeoutMs with 4000, and the client says why', async () => {
      server = await startServer({ port: 0, threads: 1, limits: { idleTimeoutMs: 200 } });
      const client = await connect(server.url, { reconnect: false });
      const ws = (client as unknown as { ws: WebSocket }).ws;
      const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
      assert.equal(code, 4000);
      assert.equal(reason.toString(), 'idle timeout');
      const err = await client.list().then(
        () => null,
        (e: unknown) => e as Error & { code: string },
      );
      assert.equal(err?.code, 'CSVS_CONNECTION_CLOSED');
      assert.match(err.message, /idle timeout/);
      await stillServes(server);
    });

    it('drops a half-open peer that stops answering pings, and keeps a live one', async () => {
      // 250 ms: a loaded machine must still answer a ping within one beat
      server = await startServer({ port: 0, threads: 1, limits: { heartbeatMs: 250 } });
      const live = await connect(server.url, { reconnect: false });
      const { socket } = await rawSocket(server.port, `/?token=${server.token}`);
      socket.pause(); // reads nothing, answers no ping
      assert.equal(server.clients, 2);
      const [info] = (await once(server, 'disconnect')) as [{ clients: number }];
      assert.equal(info.clients, 1);
      // the live client answers pings automatically: it sees several and stays
      const ws = (live as unknown as { ws: WebSocket }).ws;
      for (let i = 0; i < 4; i++) await once(ws, 'ping');
      assert.equal(live.open, true);
      assert.equal((await live.send(CSV, { name: 'alive' })).numRows(), 2);
      socket.destroy();
      await live.close();
    });
  });

  it('refuses unknown and non-positive limits at start', async () => {
    await assert.rejects(startServer({ port: 0, limits: { maxColumn: 3 } as never }), /unknown limit "maxColumn"/);
    await assert.rejects(startServer({ port: 0, limits: { maxColumns: 0 } }), /must be a positive number/);
  });
});
