/**
 * A protocol-level client for hostile tests: it speaks csvsocket.v1 directly,
 * so a test can send what the real client never would (forged Arrow lengths,
 * no clientId, chunks past the window, uploads that never end).
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import type { CsvServer } from '../../src/index.js';

/** A message the server sent, as parsed JSON. */
export type Reply = { type: string; rid?: number; code?: string; message?: string; [key: string]: unknown };

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
