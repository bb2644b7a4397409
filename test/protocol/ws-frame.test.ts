import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { writeBinaryFrame } from '../../src/protocol/ws-frame.js';

describe('writeBinaryFrame', () => {
  let server: WebSocketServer;
  let url: string;
  const received: Buffer[] = [];
  before(async () => {
    server = new WebSocketServer({ port: 0 });
    await new Promise((r) => server.once('listening', r));
    url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
    server.on('connection', (ws) => ws.on('message', (data: Buffer) => received.push(data)));
  });
  after(() => new Promise((r) => server.close(r)));

  it('sends its parts as one message, masked with a zero key, at every length encoding', async () => {
    const client = new WebSocket(url, { generateMask: (mask: Buffer) => mask.fill(0) });
    await new Promise((r) => client.once('open', r));
    const lengths = [0, 1, 125, 126, 65_535, 65_536, 300_000];
    const sent = lengths.map((n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) & 0xff)));
    let written = 0;
    for (const bytes of sent) {
      const parts = [bytes.subarray(0, 3), bytes.subarray(3)];
      assert.equal(
        writeBinaryFrame(client, parts, true, () => written++),
        true,
      );
    }
    while (received.length < sent.length) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(received, sent);
    assert.equal(written, sent.length);
    client.close();
  });

  it('writes nothing once the socket is closing: no data frame may follow a close frame', async () => {
    const client = new WebSocket(url, { generateMask: (mask: Buffer) => mask.fill(0) });
    await new Promise((r) => client.once('open', r));
    client.close();
    assert.equal(client.readyState, WebSocket.CLOSING);
    assert.equal(writeBinaryFrame(client, [Buffer.from('late')], true), false);
  });
});
