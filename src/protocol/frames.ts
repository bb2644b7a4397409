/**
 * Binary frames: bulk data (upload chunks, Arrow tables) behind a 16-byte header.
 *
 *   byte  0   1   2     3   4 ──── 7    8 ────────── 15   16 …
 *        'C' 'S' kind  0   rid u32 LE  offset f64 LE     payload
 *
 * The offset is a float64 so that it is exact up to 2^53 bytes. Uint8Array and
 * DataView only (no Buffer): the Node client, the server and the browser page
 * share this file.
 */
import { ErrorCode, ProtocolError } from '../errors.js';
import { MAX_RID } from './constants.js';

/** Kinds of binary frame. */
export const FrameKind = {
  /** client → server: a chunk of an upload's bytes at an offset */
  chunk: 1,
  /** server → client: an Arrow IPC table answering a request */
  table: 2,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Size of the binary frame header in bytes. */
export const FRAME_HEADER_BYTES = 16;
const MAGIC0 = 0x43; // 'C'
const MAGIC1 = 0x53; // 'S'

/** A decoded binary frame. */
export interface Frame {
  kind: FrameKind;
  /** the request id the frame belongs to */
  rid: number;
  /** byte offset of the payload within the upload (chunks), 0 otherwise */
  offset: number;
  /** the bytes after the header (a view, not a copy) */
  payload: Uint8Array;
}

/**
 * Write a frame header into the first 16 bytes of `target`, in place: a sender
 * that reads its payload straight into `target` at {@link FRAME_HEADER_BYTES}
 * sends the frame without copying the payload behind a header.
 *
 * @param target - at least 16 bytes; the payload follows the header
 * @param kind - what the payload is
 * @param rid - the request id, 1 to 2^32 − 1
 * @param offset - byte offset of the payload, a safe non-negative integer
 * @throws ProtocolError as {@link encodeFrameHeader}
 * @example
 * ```ts
 * const n = readSync(fd, frame, FRAME_HEADER_BYTES, chunkBytes, offset);
 * writeFrameHeader(frame, FrameKind.chunk, rid, offset);
 * ws.send(frame.subarray(0, FRAME_HEADER_BYTES + n));
 * ```
 */
export function writeFrameHeader(target: Uint8Array, kind: FrameKind, rid: number, offset: number): void {
  if (!Number.isInteger(rid) || rid < 1 || rid > MAX_RID) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_BAD_MESSAGE,
      `frame request id ${rid} is not an integer from 1 to ${MAX_RID}`,
    );
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new ProtocolError(ErrorCode.PROTOCOL_BAD_OFFSET, `frame offset ${offset} is not a non-negative integer`);
  }
  target[0] = MAGIC0;
  target[1] = MAGIC1;
  target[2] = kind;
  target[3] = 0;
  const view = new DataView(target.buffer, target.byteOffset, FRAME_HEADER_BYTES);
  view.setUint32(4, rid, true);
  view.setFloat64(8, offset, true);
}

/**
 * Build a frame header alone, to send before a payload that should not be
 * copied (the server sends a large table as two fragments of one message).
 *
 * @param kind - what the payload is
 * @param rid - the request id, 1 to 2^32 − 1
 * @param offset - byte offset of the payload, a safe non-negative integer
 * @returns the 16 header bytes
 * @throws ProtocolError `CSVS_PROTOCOL_BAD_MESSAGE` for a bad rid, `CSVS_PROTOCOL_BAD_OFFSET` for a bad offset
 * @example
 * ```ts
 * ws.send(encodeFrameHeader(FrameKind.table, rid, 0), { fin: false });
 * ```
 */
export function encodeFrameHeader(kind: FrameKind, rid: number, offset: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  writeFrameHeader(header, kind, rid, offset);
  return header;
}

/**
 * Build a complete binary frame: header and payload in one buffer.
 *
 * @param kind - what the payload is
 * @param rid - the request id, 1 to 2^32 − 1
 * @param offset - byte offset of the payload within the upload
 * @param payload - the bytes
 * @returns the frame, ready to send
 * @throws ProtocolError as {@link encodeFrameHeader}
 * @example
 * ```ts
 * ws.send(encodeFrame(FrameKind.chunk, 1, 0, bytes));
 * ```
 */
export function encodeFrame(kind: FrameKind, rid: number, offset: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  writeFrameHeader(frame, kind, rid, offset);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Parse a binary frame; its payload is a view into `data`, not a copy.
 *
 * @param data - the frame's bytes as received
 * @returns kind, request id, offset and payload
 * @throws ProtocolError `CSVS_PROTOCOL_BAD_MESSAGE` for a short frame, a wrong magic or an unknown kind;
 *   `CSVS_PROTOCOL_BAD_OFFSET` for an offset that is not a safe non-negative integer
 * @example
 * ```ts
 * const { rid, payload } = decodeFrame(new Uint8Array(event.data));
 * ```
 */
export function decodeFrame(data: Uint8Array): Frame {
  if (data.byteLength < FRAME_HEADER_BYTES || data[0] !== MAGIC0 || data[1] !== MAGIC1) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_BAD_MESSAGE,
      `binary frame of ${data.byteLength} bytes is not a csvsocket frame (expected a 16-byte header starting with "CS")`,
    );
  }
  const kind = data[2];
  if (kind !== FrameKind.chunk && kind !== FrameKind.table) {
    throw new ProtocolError(ErrorCode.PROTOCOL_BAD_MESSAGE, `unknown binary frame kind ${kind} (expected 1 or 2)`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const rid = view.getUint32(4, true);
  const offset = view.getFloat64(8, true);
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new ProtocolError(ErrorCode.PROTOCOL_BAD_OFFSET, `frame offset ${offset} is not a non-negative integer`);
  }
  return { kind, rid, offset, payload: data.subarray(FRAME_HEADER_BYTES) };
}
