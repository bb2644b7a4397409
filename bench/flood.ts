/**
 * Issue 11, finding 7: a client that ignores the 16 MiB upload window and sends
 * 256 MiB as fast as the socket takes it. The server must close that connection
 * (1008, CSVS_PROTOCOL_WINDOW) and keep nothing of the upload: its RSS after the
 * flood is what it was before, give or take what the allocator keeps.
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import { encodeFrame, FrameKind } from '../src/protocol/frames.js';

const MB = 1024 * 1024;

interface FloodServer {
  ask<T>(message: string, key: string): Promise<T>;
}

/**
 * Flood one upload with 256 × 1 MiB chunks, never waiting for `progress`.
 *
 * @returns the server's RSS before and after (MB) and how the connection ended
 */
export async function windowFlood(
  url: string,
  server: FloodServer,
): Promise<{ before: number; after: number; sent: number; close: number }> {
  const rss = async () => (await server.ask<{ memory: NodeJS.MemoryUsage }>('memory', 'memory')).memory.rss / MB;
  const before = await rss();
  const ws = new WebSocket(url, ['csvsocket.v1']);
  await once(ws, 'open');
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('error', () => undefined);
  ws.send(JSON.stringify({ type: 'upload', rid: 1, id: 'flood', name: 'flood', returnTable: false }));
  const row = Buffer.from('1234567890,abcdefghij,3.25\n');
  const chunk = Buffer.alloc(MB);
  for (let at = 0; at < MB; at += row.length) row.copy(chunk, at);
  chunk.write('a,b,c\n', 0);
  let sent = 0;
  for (let i = 0; i < 256 && ws.readyState === ws.OPEN; i++) {
    ws.send(encodeFrame(FrameKind.chunk, 1, i * MB, chunk));
    sent += MB;
    if (ws.bufferedAmount > 64 * MB) await new Promise((r) => setTimeout(r, 1));
  }
  const close = await closed;
  // what an abandoned upload held is freed: give the workers a moment to collect
  await new Promise((r) => setTimeout(r, 1000));
  return { before, after: await rss(), sent: sent / MB, close };
}
