/**
 * Writing one binary WebSocket message in parts, straight on ws's socket, so
 * that a large payload is not copied behind its header first:
 *
 *   [ws header][csvsocket header][part 1][part 2]…   one frame, one write
 *
 * The server sends tables this way (server/table-frame.ts) and the client an
 * upload's chunks from memory (client/pump.ts). It relies on a little of ws's
 * internals — its socket, and that its sender has nothing queued of its own,
 * which holds while neither side compresses nor sends Blobs — and says when
 * it cannot, so the caller falls back to `ws.send`. The frame is in order
 * with ws's own writes, since both go to the same socket.
 */
import type { WebSocket } from 'ws';

/** What this file needs of ws's internals. */
interface WsInternals {
  _socket?: { cork(): void; uncork(): void; write(data: Uint8Array, done?: (err?: Error) => void): boolean } | null;
  _sender?: { _queue?: unknown[]; _state?: number; _firstFragment?: boolean } | null;
}

/**
 * The header of one final binary frame of `length` bytes. `masked`: a
 * client's frame, with the mask bit set and a zero key, as the csvsocket
 * client masks every frame (client/connect.ts `zeroMask`): the payload goes
 * as it is.
 */
function frameHeader(length: number, masked: boolean): Buffer {
  const mask = masked ? 0x80 : 0;
  const keyBytes = masked ? 4 : 0;
  let header: Buffer;
  if (length < 126) {
    header = Buffer.alloc(2 + keyBytes);
    header[1] = mask | length;
  } else if (length < 65536) {
    header = Buffer.alloc(4 + keyBytes);
    header[1] = mask | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10 + keyBytes);
    header[1] = mask | 127;
    header.writeUIntBE(length, 4, 6);
  }
  header[0] = 0x82;
  return header; // a zero key, when masked: Buffer.alloc zero-fills
}

/**
 * Send `parts` as one binary message in one frame, written on the socket as
 * they are. Returns false, having written nothing, when the socket is not open
 * or ws has writes of its own queued or a fragmented message under way; the
 * caller then sends another way.
 *
 * @param ws - an open socket
 * @param parts - the message's bytes, in order
 * @param masked - a client's frame (zero mask key), else a server's
 * @param written - called once the socket no longer needs the parts (written, or failed)
 * @internal
 */
export function writeBinaryFrame(
  ws: WebSocket,
  parts: readonly Uint8Array[],
  masked: boolean,
  written?: () => void,
): boolean {
  // closing or closed: ws.send refuses and reports it; no data frame may follow a close frame
  if (ws.readyState !== ws.OPEN) return false;
  const { _socket: socket, _sender: sender } = ws as unknown as WsInternals;
  const idle = sender?._state === 0 && sender._queue?.length === 0 && sender._firstFragment === true;
  if (!socket || !idle) return false;
  let length = 0;
  for (const p of parts) length += p.byteLength;
  socket.cork();
  socket.write(frameHeader(length, masked));
  parts.forEach((p, i) => {
    if (i < parts.length - 1 || !written) socket.write(p);
    else socket.write(p, () => written());
  });
  if (parts.length === 0) written?.();
  socket.uncork();
  return true;
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
