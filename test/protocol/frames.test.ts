import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { ProtocolError } from '../../src/errors.js';
import {
  decodeFrame,
  encodeFrame,
  encodeFrameHeader,
  FRAME_HEADER_BYTES,
  FrameKind,
} from '../../src/protocol/frames.js';

function assertProtocolError(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected a ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

/** A chunk frame of `payload` with its header bytes patched by `patch`. */
function patched(patch: (view: DataView, bytes: Uint8Array) => void, payload = new Uint8Array([1, 2])): Uint8Array {
  const frame = encodeFrame(FrameKind.chunk, 1, 0, payload);
  patch(new DataView(frame.buffer, frame.byteOffset, frame.byteLength), frame);
  return frame;
}

describe('frames', () => {
  describe('#encodeFrame / #decodeFrame', () => {
    it('round-trips kind, request id, offset and payload', () => {
      const payload = new TextEncoder().encode('a,b\n1,2\n');
      const frame = decodeFrame(encodeFrame(FrameKind.chunk, 0xfffffffe, 2 ** 40 + 3, payload));
      assert.equal(frame.kind, FrameKind.chunk);
      assert.equal(frame.rid, 0xfffffffe);
      assert.equal(frame.offset, 2 ** 40 + 3);
      assert.deepEqual(frame.payload, payload);
    });

    it('round-trips the largest rid, the largest exact offset, a table frame and an empty payload', () => {
      const frame = decodeFrame(encodeFrame(FrameKind.table, 0xffffffff, Number.MAX_SAFE_INTEGER, new Uint8Array()));
      assert.deepEqual(
        { kind: frame.kind, rid: frame.rid, offset: frame.offset, bytes: frame.payload.byteLength },
        { kind: FrameKind.table, rid: 0xffffffff, offset: Number.MAX_SAFE_INTEGER, bytes: 0 },
      );
    });

    it('writes the documented layout: "CS", kind, 0, rid u32 LE, offset f64 LE, payload', () => {
      const frame = encodeFrame(FrameKind.chunk, 0x01020304, 5, new Uint8Array([0xaa]));
      assert.equal(FRAME_HEADER_BYTES, 16);
      assert.equal(frame.byteLength, 17);
      assert.deepEqual([...frame.subarray(0, 8)], [0x43, 0x53, 1, 0, 0x04, 0x03, 0x02, 0x01]);
      assert.equal(new DataView(frame.buffer).getFloat64(8, true), 5);
      assert.equal(frame[16], 0xaa);
      // the header alone is the same 16 bytes
      assert.deepEqual(encodeFrameHeader(FrameKind.chunk, 0x01020304, 5), frame.subarray(0, 16));
    });

    it('decodes a frame that sits inside a larger buffer, and gives its payload as a view', () => {
      const frame = encodeFrame(FrameKind.chunk, 9, 3, new Uint8Array([7, 8, 9]));
      const backing = new Uint8Array(frame.byteLength + 10);
      backing.set(frame, 5);
      const decoded = decodeFrame(backing.subarray(5, 5 + frame.byteLength));
      assert.equal(decoded.rid, 9);
      assert.equal(decoded.offset, 3);
      assert.deepEqual([...decoded.payload], [7, 8, 9]);
      assert.equal(decoded.payload.buffer, backing.buffer);
    });

    it('uses no Buffer: works on a plain Uint8Array and returns one', () => {
      const frame = encodeFrame(FrameKind.chunk, 1, 0, new Uint8Array([1]));
      assert.equal(Object.getPrototypeOf(frame), Uint8Array.prototype);
      assert.equal(Buffer.isBuffer(frame), false);
    });

    it('crosses a real WebSocket unchanged', async () => {
      const wss = new WebSocketServer({ port: 0 });
      await new Promise((resolve) => wss.once('listening', resolve));
      const port = (wss.address() as { port: number }).port;
      try {
        const received = new Promise<Buffer>((resolve) => {
          wss.once('connection', (ws) => ws.once('message', (data) => resolve(data as Buffer)));
        });
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
        await new Promise((resolve) => ws.once('open', resolve));
        const payload = new Uint8Array(100_000).map((_, i) => i % 251);
        ws.send(encodeFrame(FrameKind.chunk, 42, 1_000_000, payload));
        const frame = decodeFrame(await received);
        assert.deepEqual({ kind: frame.kind, rid: frame.rid, offset: frame.offset }, { kind: 1, rid: 42, offset: 1e6 });
        assert.deepEqual(new Uint8Array(frame.payload), payload);
        ws.close();
      } finally {
        await new Promise((resolve) => wss.close(resolve));
      }
    });
  });

  describe('#decodeFrame', () => {
    it('rejects a frame shorter than its header', () => {
      for (const bytes of [new Uint8Array(), new Uint8Array([0x43, 0x53, 1]), new Uint8Array(15).fill(0x43)]) {
        assertProtocolError(
          () => decodeFrame(bytes),
          'CSVS_PROTOCOL_BAD_MESSAGE',
          new RegExp(`binary frame of ${bytes.byteLength} bytes is not a csvsocket frame \\(expected a 16-byte header`),
        );
      }
    });

    it('rejects a frame without the "CS" magic', () => {
      assertProtocolError(
        () => decodeFrame(new TextEncoder().encode('hello world, no header')),
        'CSVS_PROTOCOL_BAD_MESSAGE',
        /22 bytes is not a csvsocket frame .*starting with "CS"/,
      );
      assertProtocolError(
        () => decodeFrame(patched((_, b) => (b[1] = 0x54))),
        'CSVS_PROTOCOL_BAD_MESSAGE',
        /not a csvsocket frame/,
      );
    });

    it('rejects an unknown kind', () => {
      for (const kind of [0, 3, 9, 255]) {
        assertProtocolError(
          () => decodeFrame(patched((_, b) => (b[2] = kind))),
          'CSVS_PROTOCOL_BAD_MESSAGE',
          new RegExp(`^unknown binary frame kind ${kind} \\(expected 1 or 2\\)$`),
        );
      }
    });

    it('rejects an offset that is negative, fractional, not finite or past 2^53', () => {
      for (const offset of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        assertProtocolError(
          () => decodeFrame(patched((view) => view.setFloat64(8, offset, true))),
          'CSVS_PROTOCOL_BAD_OFFSET',
          new RegExp(`^frame offset ${String(offset).replace('+', '\\+')} is not a non-negative integer$`),
        );
      }
    });
  });

  describe('#encodeFrame', () => {
    it('refuses a request id outside 1 … 2^32 − 1', () => {
      for (const rid of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
        assertProtocolError(
          () => encodeFrame(FrameKind.chunk, rid, 0, new Uint8Array()),
          'CSVS_PROTOCOL_BAD_MESSAGE',
          new RegExp(`^frame request id ${rid} is not an integer from 1 to 4294967295$`),
        );
      }
    });

    it('refuses an offset that is not a safe non-negative integer', () => {
      for (const offset of [-1, 0.5, 2 ** 53, Number.NaN]) {
        assertProtocolError(
          () => encodeFrameHeader(FrameKind.chunk, 1, offset),
          'CSVS_PROTOCOL_BAD_OFFSET',
          new RegExp(`^frame offset ${offset} is not a non-negative integer$`),
        );
      }
    });
  });
});
