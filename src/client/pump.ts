/**
 * Sending an upload's bytes: chunk frames, at most a window ahead of what the
 * server acknowledged. Each frame is one buffer, header and payload, that goes
 * to the socket as is:
 *
 *   file  ─ read at its offset ─▶ [16-byte header │ payload] ─▶ ws.send ─▶ written: the buffer is reused
 *   stream ── copied ───────────┘
 *   bytes in memory ───────────▶ [16-byte header] [payload]  ─▶ one frame, written in two parts
 *
 * A file is read straight into the frame behind its header, so no JS code
 * touches its bytes; the connection masks with a zero key (connect.ts), so ws
 * neither XORs nor copies them either. Frame buffers are recycled once the
 * socket has written them: fresh memory per chunk costs more in page faults
 * than the copy it holds. Bytes already in memory are not copied at all: the
 * frame goes to the socket as its header and a view of the caller's bytes
 * (protocol/ws-frame.ts), and only a socket with ws's own writes queued gets a
 * copy behind the header (200 clients sending 1 MB each copied 200 MB). A
 * stream's chunks are always copied: the socket may hold a view until well
 * after the next chunk is read, and a source may refill one buffer for each.
 */
import { discard } from '../csv/arena.js';
import { encodeFrameHeader, FRAME_HEADER_BYTES, FrameKind, writeFrameHeader } from '../protocol/frames.js';
import type { SendWindow } from '../protocol/window.js';
import type { OpenedSource } from './sources.js';

/** Where, and how far, an upload's chunks go. @internal */
export interface PumpTarget {
  /** the upload's request id */
  rid: number;
  /** payload bytes per frame */
  chunkBytes: number;
  /** the send window */
  flow: SendWindow;
  /** false once the upload must stop sending (it failed, or the socket was replaced) */
  live(): boolean;
  /** send one frame; `written` is called once the socket no longer needs its bytes */
  send(frame: Buffer, written: () => void): void;
  /** send one frame given as its header and payload, uncopied; false when it cannot (nothing was sent) */
  sendParts?(header: Uint8Array, payload: Uint8Array): boolean;
}

/**
 * Frame buffers of one upload, reused once written, and freed once the upload
 * has sent its last frame and the socket has written them (see arena.ts
 * discard: a client sending many files would otherwise hold a megabyte per
 * upload until its next full collection).
 */
class FramePool {
  private readonly free: Buffer[] = [];
  private closed = false;

  constructor(private readonly bytes: number) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.bytes);
  }

  /** Whether a written buffer is ready for reuse. */
  get empty(): boolean {
    return this.free.length === 0;
  }

  give(frame: Buffer): void {
    if (this.closed) discard(frame.buffer as ArrayBuffer);
    else this.free.push(frame);
  }

  /** No frame will be taken again: free the written ones now, the others as they are written. */
  close(): void {
    this.closed = true;
    discard(...this.free.splice(0).map((f) => f.buffer as ArrayBuffer));
  }
}

/**
 * Send an upload's bytes from `first` on.
 *
 * @param input - the source
 * @param first - the offset to start at (the server's `ready`)
 * @param target - the socket, window and request
 * @returns the offset after the last byte sent, or null when the upload stopped before the end
 * @internal
 */
export async function pumpChunks(input: OpenedSource, first: number, target: PumpTarget): Promise<number | null> {
  const { chunkBytes } = target;
  // a small upload takes a small buffer
  const payloadBytes = input.size === null ? chunkBytes : Math.max(1, Math.min(chunkBytes, input.size - first));
  const pool = new FramePool(FRAME_HEADER_BYTES + payloadBytes);
  try {
    let sent = first;
    const send = (frame: Buffer, n: number): void => {
      writeFrameHeader(frame, FrameKind.chunk, target.rid, sent);
      target.send(frame.subarray(0, FRAME_HEADER_BYTES + n), () => pool.give(frame));
      sent += n;
    };
    if (input.openReader) {
      const reader = await input.openReader();
      try {
        for (;;) {
          if (!(await target.flow.room(sent)) || !target.live()) return null;
          const frame = pool.take();
          const n = await reader.read(frame.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + payloadBytes), sent);
          if (n === 0) {
            pool.give(frame);
            break;
          }
          if (!target.live()) return null;
          send(frame, n);
        }
      } finally {
        await reader.close();
      }
      return sent;
    }
    for await (const chunk of input.chunks(first)) {
      for (let at = 0; at < chunk.byteLength; at += payloadBytes) {
        if (!(await target.flow.room(sent)) || !target.live()) return null;
        const piece = chunk.subarray(at, at + payloadBytes);
        if (input.stable && target.sendParts?.(encodeFrameHeader(FrameKind.chunk, target.rid, sent), piece)) {
          sent += piece.byteLength;
          continue;
        }
        // bytes in memory are copied without a pause: give the socket a turn to hand buffers back
        if (pool.empty) await new Promise(setImmediate);
        const frame = pool.take();
        frame.set(piece, FRAME_HEADER_BYTES);
        send(frame, piece.byteLength);
      }
    }
    return sent;
  } finally {
    pool.close();
  }
}
