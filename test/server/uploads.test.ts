import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCSV } from '../../src/csv/index.js';
import { type CsvServer, startServer } from '../../src/index.js';
import { plainValues } from '../helpers.js';
import { chunkFrame, RawClient } from './raw-client.js';

describe('Uploads', () => {
  let server: CsvServer;
  before(async () => {
    server = await startServer({ port: 0 });
  });
  after(() => server.close());

  describe('#chunk', () => {
    it("takes chunks masked with a random key (a browser's), large and small, as the table parseCSV gives", async () => {
      // ws masks with a random key, as a browser does; the Node client masks with zeros
      const raw = await RawClient.open(server);
      const text = `id,name,x\n${Array.from({ length: 40_000 }, (_, i) => `${i},"n ${i}",${i / 8}`).join('\n')}\n`;
      const bytes = Buffer.from(text);
      // a large chunk gets a buffer of its own on the server (the parse worker takes it), a small one is a
      // view into a socket read that holds other frames too (copied)
      const sizes = [300_000, 17, 70_000, 5, 1 << 20];
      try {
        const rid = await raw.begin('masked');
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const size = sizes[i % sizes.length] as number;
          raw.ws.send(chunkFrame(rid, at, bytes.subarray(at, at + size)));
          at += size;
          // stay within the window: wait for the server to catch up now and then
          if (i % 5 === 4) await raw.next((r) => r.rid === rid && r.type === 'progress');
        }
        raw.send({ type: 'end', rid, bytes: bytes.byteLength });
        const answer = await raw.answer(rid);
        assert.equal(answer.type, 'stored', answer.message);
      } finally {
        await raw.close();
      }
      const expected = parseCSV(text);
      const table = server.table('masked');
      assert.ok(table);
      expected.columns.forEach((c, i) => {
        assert.deepEqual(plainValues(table.array(c.name) as ArrayLike<unknown>), plainValues(expected.values[i] ?? []));
      });
    });
  });
});
