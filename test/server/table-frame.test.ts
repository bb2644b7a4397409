import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/client/client.js';
import { type CsvServer, startServer } from '../../src/index.js';
import { decodeFrame, FrameKind } from '../../src/protocol/frames.js';

/** The server's WebSocket frames in raw bytes after its HTTP upgrade answer (servers do not mask). */
function serverFrames(bytes: Buffer): Array<{ fin: boolean; opcode: number; payload: Buffer }> {
  const frames = [];
  let at = bytes.indexOf('\r\n\r\n') + 4;
  while (at < bytes.length) {
    const b1 = bytes[at + 1] as number;
    let length = b1 & 0x7f;
    let p = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(p);
      p += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(p));
      p += 8;
    }
    const b0 = bytes[at] as number;
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload: bytes.subarray(p, p + length) });
    at = p + length;
  }
  return frames;
}

describe('sendTableFrame', () => {
  let server: CsvServer;
  before(async () => {
    server = await startServer({ port: 0 });
  });
  after(() => server.close());

  it('sends a large table parsed in pieces as one unfragmented frame, which the client opens', async () => {
    const recorded: Buffer[] = [];
    const sockets: Socket[] = [];
    const proxy = createServer((socket) => {
      const upstream = createConnection(server.port, '127.0.0.1');
      sockets.push(socket, upstream);
      upstream.on('data', (d) => recorded.push(Buffer.from(d)));
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const { port } = proxy.address() as { port: number };
    // over 4 MiB: the server parses it in pieces, each its own Arrow stream
    const rows = 250_000;
    const text = `id,name,x\n${Array.from({ length: rows }, (_, i) => `${i},"name ${i}",${i / 4}`).join('\n')}\n`;
    assert.ok(text.length > 5 << 20);
    const client = await connect(server.url.replace(`:${server.port}/`, `:${port}/`), { reconnect: false });
    try {
      const table = await client.send(Buffer.from(text), { name: 'pieces' });
      assert.equal(table.numRows(), rows);
      assert.equal(table.get('name', rows - 1), `name ${rows - 1}`);
      assert.equal(table.get('x', 3), 0.75);
    } finally {
      await client.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(r));
    }
    const binary = serverFrames(Buffer.concat(recorded)).filter((f) => f.opcode === 2 || f.opcode === 0);
    assert.deepEqual(
      binary.map((f) => [f.opcode, f.fin]),
      [[2, true]],
      'one final binary frame, no continuation frames',
    );
    const frame = decodeFrame(binary[0]?.payload as Buffer);
    assert.equal(frame.kind, FrameKind.table);
  });
});
