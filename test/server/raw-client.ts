/**
 * A protocol-level client for hostile tests: it speaks csvsocket.v1 directly,
 * so a test can send what the real client never would (forged Arrow lengths,
 * no clientId, chunks past the window, uploads that never end).
 */
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import WebSocket from 'ws';
import type { CsvServer } from '../../src/index.js';

/** A message the server sent, as parsed JSON. */
export type Reply = { type: string; rid?: number; code?: string; message?: string; [key: string]: unknown };

/**
 * A TCP proxy in front of `server` that records the bytes one side sends
 * (`client`: what the client writes; `server`: what the server answers), for
 * {@link wireFrames}. `url` is the server's URL through the proxy.
 */
export async function recordingProxy(
  server: CsvServer,
  side: 'client' | 'server',
): Promise<{ url: string; recorded: () => Buffer; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets: Socket[] = [];
  const proxy = createServer((socket) => {
    const upstream = createConnection(server.port, '127.0.0.1');
    sockets.push(socket, upstream);
    (side === 'client' ? socket : upstream).on('data', (d: Buffer) => chunks.push(Buffer.from(d)));
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const { port } = proxy.address() as { port: number };
  return {
    url: server.url.replace(`:${server.port}/`, `:${port}/`),
    recorded: () => Buffer.concat(chunks),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(r));
    },
  };
}

/** A WebSocket frame as it went over the wire (see {@link wireFrames}). */
export interface WireFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  /** the masking key (empty when unmasked) */
  key: Buffer;
  /** the payload, unmasked */
  payload: Buffer;
}

/**
 * The WebSocket frames in raw bytes recorded from one side of a connection,
 * after its HTTP upgrade request or answer: the framing as sent, not as ws
 * reads it back.
 */
export function wireFrames(bytes: Buffer): WireFrame[] {
  const frames: WireFrame[] = [];
  let at = bytes.indexOf('\r\n\r\n') + 4;
  while (at < bytes.length) {
    const b0 = bytes[at] as number;
    const b1 = bytes[at + 1] as number;
    let length = b1 & 0x7f;
    let p = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(p);
      p += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(p));
      p += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const key = masked ? Buffer.from(bytes.subarray(p, p + 4)) : Buffer.alloc(0);
    if (masked) p += 4;
    const payload = Buffer.from(bytes.subarray(p, p + length));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (key[i & 3] as number);
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, masked, key, payload });
    at = p + length;
  }
  return frames;
}

/** A chunk frame: "CS", kind 1, the request id, the byte offset, then the payload. */
export function chunkFrame(rid: number, offset: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(16);
  header.write('CS', 0);
  header[2] = 1;
  header.writeUInt32LE(rid, 4);
  header.writeDoubleLE(offset, 8);
  return Buffer.concat([header, payload]);
}

/** One raw protocol connection. */
export class RawClient {
  readonly ws: WebSocket;
  private readonly replies: Reply[] = [];
  private waiters: Array<() => void> = [];
  private rid = 0;
  closed: { code: number; reason: string } | null = null;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, binary) => {
      if (binary) return;
      this.replies.push(JSON.parse(data.toString()) as Reply);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Open a connection offering `csvsocket.v1` (or nothing: the legacy protocol). */
  static async open(server: CsvServer, options: { legacy?: boolean } = {}): Promise<RawClient> {
    const ws = new WebSocket(server.url, options.legacy ? [] : ['csvsocket.v1']);
    const client = new RawClient(ws);
    await once(ws, 'open');
    if (!options.legacy) await client.next((r) => r.type === 'welcome');
    return client;
  }

  /** A fresh request id. */
  nextRid(): number {
    return ++this.rid;
  }

  /** Send a JSON message. */
  send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The first reply (taken out of the queue) that matches, waiting for it. */
  async next(match: (r: Reply) => boolean): Promise<Reply> {
    for (;;) {
      const at = this.replies.findIndex(match);
      if (at >= 0) return this.replies.splice(at, 1)[0] as Reply;
      if (this.closed) throw new Error(`closed ${this.closed.code} ${this.closed.reason} before a matching reply`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Whether a matching reply has arrived (and is still queued); never waits. */
  has(match: (r: Reply) => boolean): boolean {
    return this.replies.some(match);
  }

  /** The final answer to request `rid`: stored, result, datasets, dropped or error. */
  answer(rid: number): Promise<Reply> {
    return this.next((r) => r.rid === rid && r.type !== 'ready' && r.type !== 'progress');
  }

  /** Begin an upload; resolves once the server is ready. */
  async begin(
    name: string,
    options: { format?: 'csv' | 'arrow'; mode?: 'replace' | 'append'; clientId?: string; id?: string } = {},
  ): Promise<number> {
    const rid = this.nextRid();
    this.send({
      type: 'upload',
      rid,
      id: options.id ?? `raw-${rid}-${Math.random()}`,
      name,
      format: options.format ?? 'csv',
      mode: options.mode ?? 'replace',
      returnTable: false,
      ...(options.clientId ? { clientId: options.clientId } : {}),
    });
    const ready = await this.next((r) => r.rid === rid && (r.type === 'ready' || r.type === 'error'));
    if (ready.type === 'error') throw Object.assign(new Error(ready.message), { code: ready.code });
    return rid;
  }

  /** Send a whole upload in one chunk and wait for its answer. */
  async upload(
    name: string,
    bytes: Uint8Array,
    options: { format?: 'csv' | 'arrow'; mode?: 'replace' | 'append'; clientId?: string } = {},
  ): Promise<Reply> {
    const rid = this.nextRid();
    this.send({
      type: 'upload',
      rid,
      id: `raw-${rid}-${Math.random()}`,
      name,
      format: options.format ?? 'csv',
      mode: options.mode ?? 'replace',
      returnTable: false,
      ...(options.clientId ? { clientId: options.clientId } : {}),
    });
    this.ws.send(chunkFrame(rid, 0, bytes));
    this.send({ type: 'end', rid, bytes: bytes.byteLength });
    return this.answer(rid);
  }

  /** Ask for the dataset list. */
  async list(): Promise<Reply> {
    const rid = this.nextRid();
    this.send({ type: 'list', rid });
    return this.answer(rid);
  }

  /** Close and wait for the close. */
  async close(): Promise<void> {
    if (this.closed) return;
    const done = once(this.ws, 'close');
    this.ws.close();
    await done;
  }
}
