/**
 * Sending a table frame: the 16-byte csvsocket header and an Arrow IPC stream
 * held in pieces (one per parse piece, see ArrowStreams), without copying the
 * pieces together on the server's main thread.
 *
 *   one WebSocket frame, written in parts:  [ws header][CS header][piece 1][piece 2]…
 *   a small table, copied into one frame:   [ws header][CS header piece 1 …]
 *   fallback, fragments of one message:     [ws header][CS header] [ws header][piece 1] …
 *
 * All are one binary message to the peer. Fragments cost the receiving ws a
 * second copy of the whole table (it joins them into one buffer: ~50 MB more
 * to allocate, copy and collect for the bench's table, and for 200 clients
 * each getting 1 MB back a quarter of what they allocate), so a table is
 * written as one frame whose header this file writes on the socket itself, in
 * order with ws's own writes (ws queues nothing of its own while the server
 * neither compresses nor sends Blobs). Fragments are left for a socket with
 * ws's own writes queued.
 */
import type { WebSocket } from 'ws';
import { type ArrowStreams, ipcFragments } from '../arrow/ipc.js';
import { encodeFrameHeader, FRAME_HEADER_BYTES, FrameKind } from '../protocol/frames.js';

/** Below this, copying the parts together costs less than writing them one by one. */
const WHOLE_FRAME_MIN_BYTES = 64 << 10;

/** What this file needs of ws's internals; anything else falls back to `ws.send`. */
interface WsInternals {
  _socket?: { cork(): void; uncork(): void; write(data: Uint8Array, done?: (err?: Error) => void): boolean } | null;
  _sender?: { _queue?: unknown[]; _state?: number; _firstFragment?: boolean } | null;
}

/**
 * Send several frames as one write: an answer is a JSON message, a table
 * header and the table's fragments, each its own `ws.send`, and written one by
 * one they cost a system call (and a wake-up of the peer) each. ws corks its
 * socket around each frame too, and corks nest.
 *
 * @param ws - an open socket
 * @param send - the sends to write together
 * @internal
 */
export function corked(ws: WebSocket, send: () => void): void {
  const socket = (ws as unknown as WsInternals)._socket;
  socket?.cork();
  try {
    send();
  } finally {
    socket?.uncork();
  }
}

/** The header of one final binary WebSocket frame of `length` bytes, unmasked (server to client). */
function webSocketHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x82, length]);
  if (length < 65536) {
    const header = Buffer.alloc(4);
    header[0] = 0x82;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.alloc(10);
  header[0] = 0x82;
  header[1] = 127;
  header.writeUIntBE(length, 4, 6);
  return header;
}

/**
 * Send an Arrow IPC table as one binary message with its csvsocket header.
 *
 * @param ws - an open socket
 * @param rid - the request the table answers
 * @param ipc - the table's stream, or its pieces' streams
 * @param written - called once the socket no longer needs `ipc` (written, or failed)
 * @returns whether it went as one frame (else as fragments)
 * @internal
 */
export function sendTableFrame(ws: WebSocket, rid: number, ipc: ArrowStreams, written?: () => void): boolean {
  const header = encodeFrameHeader(FrameKind.table, rid, 0);
  const fragments = ipcFragments(ipc);
  let length = FRAME_HEADER_BYTES;
  for (const f of fragments) length += f.byteLength;
  const { _socket: socket, _sender: sender } = ws as unknown as WsInternals;
  // nothing queued in ws, and no fragmented message of its own in progress
  const idle = sender?._state === 0 && sender._queue?.length === 0 && sender._firstFragment === true;
  if (length < WHOLE_FRAME_MIN_BYTES) {
    ws.send(Buffer.concat([header, ...fragments], length), { binary: true });
    written?.();
    return true;
  }
  if (socket && idle) {
    socket.cork();
    socket.write(webSocketHeader(length));
    socket.write(header);
    fragments.forEach((f, i) => {
      if (i < fragments.length - 1 || !written) socket.write(f);
      else socket.write(f, () => written());
    });
    if (fragments.length === 0) written?.();
    socket.uncork();
    return true;
  }
  // fragments of one message: copying a large table behind its header
  // (Buffer.concat) blocked the event loop for ~40 ms per 50 MB
  ws.send(header, { binary: true, fin: false });
  fragments.forEach((f, i) => {
    const last = i === fragments.length - 1;
    ws.send(f, { binary: true, fin: last }, last && written ? () => written() : undefined);
  });
  return false;
}
