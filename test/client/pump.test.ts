import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/client/client.js';
import { pumpChunks } from '../../src/client/pump.js';
import { openSource } from '../../src/client/sources.js';
import { type CsvServer, startServer } from '../../src/index.js';
import { decodeFrame, FRAME_HEADER_BYTES, FrameKind } from '../../src/protocol/frames.js';
import { SendWindow } from '../../src/protocol/window.js';
import { recordingProxy, wireFrames } from '../server/raw-client.js';

interface Sent {
  rid: number;
  offset: number;
  payload: Buffer;
  buffer: ArrayBufferLike;
}

/** Run pumpChunks into a recorder that acknowledges every frame at once and releases it on the next turn. */
async function pumpInto(source: Parameters<typeof openSource>[0], first: number, chunkBytes: number) {
  const input = openSource(source, 'x');
  const flow = new SendWindow(2 * chunkBytes, first);
  const sent: Sent[] = [];
  const end = await pumpChunks(input, first, {
    rid: 7,
    chunkBytes,
    flow,
    live: () => true,
    send: (frame, written) => {
      const f = decodeFrame(frame);
      assert.equal(f.kind, FrameKind.chunk);
      sent.push({ rid: f.rid, offset: f.offset, payload: Buffer.from(f.payload), buffer: frame.buffer });
      flow.ack(f.offset + f.payload.byteLength);
      setImmediate(written);
    },
  });
  return { end, sent };
}

describe('pumpChunks', () => {
  let dir: string;
  let file: string;
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => `${i},row ${i}\n`).join(''));
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'csvsocket-pump-'));
    file = join(dir, 'rows.csv');
    writeFileSync(file, bytes);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file into chunk frames at their offsets, reusing frame buffers once written', async () => {
    const { end, sent } = await pumpInto(file, 0, 1000);
    assert.equal(end, bytes.byteLength);
    assert.deepEqual(Buffer.concat(sent.map((s) => s.payload)), bytes);
    let offset = 0;
    for (const s of sent) {
      assert.deepEqual([s.rid, s.offset], [7, offset]);
      assert.ok(s.payload.byteLength <= 1000);
      offset += s.payload.byteLength;
    }
    // 10+ frames from a few buffers: a fresh buffer per chunk costs page faults
    assert.ok(sent.length >= 10, `${sent.length} frames`);
    assert.ok(new Set(sent.map((s) => s.buffer)).size <= 3, `${new Set(sent.map((s) => s.buffer)).size} buffers`);
  });

  it('starts from an offset (a resumed upload)', async () => {
    const { end, sent } = await pumpInto(file, 2500, 1000);
    assert.equal(end, bytes.byteLength);
    assert.equal(sent[0]?.offset, 2500);
    assert.deepEqual(Buffer.concat(sent.map((s) => s.payload)), bytes.subarray(2500));
  });

  it('copies bytes and streams into recycled frames as well', async () => {
    for (const source of [bytes, Readable.from([bytes.subarray(0, 3000), bytes.subarray(3000)])]) {
      const { end, sent } = await pumpInto(source, 0, 1000);
      assert.equal(end, bytes.byteLength);
      assert.deepEqual(Buffer.concat(sent.map((s) => s.payload)), bytes);
      assert.ok(new Set(sent.map((s) => s.buffer)).size <= 3);
    }
  });

  it('sends bytes in memory uncopied when the socket takes a frame in parts, else copies them', async () => {
    for (const accept of [true, false]) {
      const flow = new SendWindow(2000);
      const parts: Array<{ offset: number; payload: Uint8Array }> = [];
      let copied = 0;
      const end = await pumpChunks(openSource(bytes, 'x'), 0, {
        rid: 7,
        chunkBytes: 1000,
        flow,
        live: () => true,
        send: (frame, written) => {
          const f = decodeFrame(frame);
          copied++;
          flow.ack(f.offset + f.payload.byteLength);
          setImmediate(written);
        },
        sendParts: (header, payload) => {
          if (!accept) return false;
          const f = decodeFrame(Buffer.concat([header, payload]));
          assert.deepEqual([f.kind, f.rid], [FrameKind.chunk, 7]);
          parts.push({ offset: f.offset, payload });
          flow.ack(f.offset + payload.byteLength);
          return true;
        },
      });
      assert.equal(end, bytes.byteLength);
      if (accept) {
        assert.equal(copied, 0);
        assert.deepEqual(Buffer.concat(parts.map((p) => p.payload)), bytes);
        assert.deepEqual(
          parts.map((p) => p.offset),
          parts.map((_, i) => i * 1000),
        );
        // views of the caller's bytes, not copies
        for (const p of parts) assert.equal(p.payload.buffer, bytes.buffer);
      } else assert.equal(copied, Math.ceil(bytes.byteLength / 1000));
    }
  });

  it('copies the chunks of a stream that refills one buffer, as a socket may still hold the last view', async () => {
    // each chunk different: a view of a refilled buffer would read as the last one
    const expected = Buffer.from(Array.from({ length: 3000 }, (_, i) => String(i % 7)).join(''));
    async function* reusing(): AsyncIterable<Uint8Array> {
      const buffer = Buffer.alloc(1000);
      for (let at = 0; at < expected.byteLength; at += 1000) {
        expected.copy(buffer, 0, at, at + 1000);
        yield buffer;
      }
    }
    const flow = new SendWindow(1 << 20);
    // like a socket, both keep what they were given until the end, uncopied
    const held: Array<{ offset: number; payload: Uint8Array }> = [];
    await pumpChunks(openSource(reusing(), 'x'), 0, {
      rid: 7,
      chunkBytes: 1000,
      flow,
      live: () => true,
      send: (frame) => {
        const f = decodeFrame(frame);
        held.push({ offset: f.offset, payload: f.payload });
      },
      sendParts: (header, payload) => {
        held.push({ offset: decodeFrame(Buffer.concat([header, payload])).offset, payload });
        return true;
      },
    });
    held.sort((a, b) => a.offset - b.offset);
    assert.deepEqual(Buffer.concat(held.map((h) => h.payload)), expected);
  });

  it('takes a buffer the size of a small upload, not a whole chunk', async () => {
    const { sent } = await pumpInto(Buffer.from('a\n1\n'), 0, 1 << 20);
    assert.equal(sent[0]?.buffer.byteLength, FRAME_HEADER_BYTES + 4);
  });

  it('stops, returning null, once the upload is no longer live', async () => {
    const input = openSource(file, 'x');
    let frames = 0;
    const end = await pumpChunks(input, 0, {
      rid: 1,
      chunkBytes: 1000,
      flow: new SendWindow(1 << 20),
      live: () => frames < 2,
      send: (_frame, written) => {
        frames++;
        written();
      },
    });
    assert.equal(end, null);
    assert.equal(frames, 2);
  });
});

describe('upload frames on the wire', () => {
  let server: CsvServer;
  let dir: string;
  before(async () => {
    server = await startServer({ port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'csvsocket-wire-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('masks every frame with a zero key (the mask bit set), so no byte of the file is rewritten', async () => {
    // a recording proxy between the client and the server
    const proxy = await recordingProxy(server, 'client');
    const rows = Array.from({ length: 120_000 }, (_, i) => `${i},${i * 3},name ${i}\n`);
    const bytes = Buffer.from(`a,b,c\n${rows.join('')}`);
    assert.ok(bytes.byteLength > 2 << 20, 'three chunks or more');
    // bytes, not a file: a file would be read by this process's server itself (protocol/local.ts)
    const client = await connect(proxy.url, { reconnect: false });
    try {
      const { summary } = await client.upload(bytes, { returnTable: false });
      assert.equal(summary.rows, 120_000);
    } finally {
      await client.close();
      await proxy.close();
    }
    const frames = wireFrames(proxy.recorded());
    assert.ok(frames.length > 4, `${frames.length} frames`);
    for (const f of frames) {
      assert.equal(f.masked, true, 'RFC 6455: a client masks every frame');
      assert.deepEqual([...f.key], [0, 0, 0, 0]);
    }
    const binary = frames.filter((f) => f.opcode === 2 || f.opcode === 0);
    // each chunk one final frame, written in parts (header, then a view of the bytes)
    assert.ok(binary.every((f) => f.opcode === 2 && f.fin));
    const chunks = binary.map((f) => decodeFrame(f.payload));
    assert.ok(chunks.length >= 3);
    assert.deepEqual(Buffer.concat(chunks.map((c) => c.payload)), bytes);
  });
});
