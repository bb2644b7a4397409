import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/client/client.js';
import { type CsvServer, startServer } from '../../src/index.js';
import { decodeFrame, FrameKind } from '../../src/protocol/frames.js';
import { recordingProxy, wireFrames } from './raw-client.js';

describe('sendTableFrame', () => {
  let server: CsvServer;
  before(async () => {
    server = await startServer({ port: 0 });
  });
  after(() => server.close());

  // a small table (copied into one frame), one parse piece of ~1 MB, and many pieces (over 4 MiB)
  for (const [what, rows] of [
    ['a small table', 100],
    ['a table of one piece', 40_000],
    ['a table parsed in pieces', 250_000],
  ] as const) {
    it(`sends ${what} as one unfragmented frame, which the client opens`, async () => {
      const proxy = await recordingProxy(server, 'server');
      const text = `id,name,x\n${Array.from({ length: rows }, (_, i) => `${i},"name ${i}",${i / 4}`).join('\n')}\n`;
      if (rows === 250_000) assert.ok(text.length > 5 << 20);
      const client = await connect(proxy.url, { reconnect: false });
      try {
        const table = await client.send(Buffer.from(text), { name: 'pieces' });
        assert.equal(table.numRows(), rows);
        assert.equal(table.get('name', rows - 1), `name ${rows - 1}`);
        assert.equal(table.get('x', 3), 0.75);
      } finally {
        await client.close();
        await proxy.close();
      }
      const binary = wireFrames(proxy.recorded()).filter((f) => f.opcode === 2 || f.opcode === 0);
      assert.deepEqual(
        binary.map((f) => [f.opcode, f.fin]),
        [[2, true]],
        'one final binary frame, no continuation frames',
      );
      const frame = decodeFrame(binary[0]?.payload as Buffer);
      assert.equal(frame.kind, FrameKind.table);
    });
  }

  it("sends a query worker's large answer whole before its memory is freed", async () => {
    const rows = 200_000;
    const text = `id,name\n${Array.from({ length: rows }, (_, i) => `${i},"name ${i}"`).join('\n')}\n`;
    const client = await connect(server.url, { reconnect: false });
    try {
      await client.send(Buffer.from(text), { name: 'answers' });
      for (let round = 0; round < 3; round++) {
        // a full sort runs in a query worker; its answer is several megabytes
        const sorted = await client.query('answers', { sort: [{ column: 'id', desc: true }] });
        assert.equal(sorted.numRows(), rows);
        assert.equal(sorted.get('id', 0), rows - 1);
        assert.equal(sorted.get('name', rows - 1), 'name 0');
        assert.equal(sorted.get('name', 12_345), `name ${rows - 1 - 12_345}`);
      }
    } finally {
      await client.close();
    }
  });
});
