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
 * written as one frame whose header is written on the socket itself
 * (protocol/ws-frame.ts). Fragments are left for a socket with ws's own writes
 * queued.
 */
import type { WebSocket } from 'ws';
import { type ArrowStreams, ipcFragments } from '../arrow/ipc.js';
import { encodeFrameHeader, FRAME_HEADER_BYTES, FrameKind } from '../protocol/frames.js';
import { writeBinaryFrame } from '../protocol/ws-frame.js';

/** Below this, copying the parts together costs less than writing them one by one. */
const WHOLE_FRAME_MIN_BYTES = 64 << 10;

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
  if (length < WHOLE_FRAME_MIN_BYTES) {
    ws.send(Buffer.concat([header, ...fragments], length), { binary: true });
    written?.();
    return true;
  }
  if (writeBinaryFrame(ws, [header, ...fragments], false, written)) return true;
  // fragments of one message: copying a large table behind its header
  // (Buffer.concat) blocked the event loop for ~40 ms per 50 MB
  ws.send(header, { binary: true, fin: false });
  fragments.forEach((f, i) => {
    const last = i === fragments.length - 1;
    ws.send(f, { binary: true, fin: last }, last && written ? () => written() : undefined);
  });
  return false;
}
