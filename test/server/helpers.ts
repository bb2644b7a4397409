/**
 * Helpers shared by the security and hostile-input suites: raw HTTP upgrades,
 * raw WebSocket frames over TCP, a cuttable loopback proxy, table checksums.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import type { ColumnTable } from 'arquero';
import { seededRandom } from '../../src/client/sensor.js';

/** The status, headers and body an upgrade request got, or `upgraded`. */
export interface UpgradeAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  protocol?: string | undefined;
}

/** Send a WebSocket upgrade request with exactly these headers; never throws on a refusal. */
export function rawUpgrade(port: number, path: string, headers: Record<string, string>): Promise<UpgradeAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: '',
        protocol: res.headers['sec-websocket-protocol'] as string | undefined,
      });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A TCP socket that has completed a WebSocket upgrade; read what the server sends with `reader`. */
export async function rawSocket(port: number, path: string, extra = ''): Promise<{ socket: Socket; rest: Buffer }> {
  const socket = tcpConnect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
      `Sec-WebSocket-Protocol: csvsocket.v1\r\n${extra}\r\n`,
  );
  let got = Buffer.alloc(0);
  for (;;) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    got = Buffer.concat([got, chunk]);
    const end = got.indexOf('\r\n\r\n');
    if (end >= 0) {
      const head = got.subarray(0, end).toString();
      if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.split('\r\n')[0]}`);
      return { socket, rest: got.subarray(end + 4) };
    }
  }
}

/** Build one WebSocket frame (client frames are masked unless `mask` is false). */
export function wsFrame(
  opcode: number,
  payload: Uint8Array,
  options: { fin?: boolean; rsv?: number; mask?: boolean; declaredLength?: bigint } = {},
): Buffer {
  const fin = options.fin ?? true;
  const mask = options.mask ?? true;
  const len = options.declaredLength ?? BigInt(payload.byteLength);
  const head: number[] = [(fin ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126n) head.push(m | Number(len));
  else if (len < 65536n) head.push(m | 126, Number(len >> 8n) & 0xff, Number(len) & 0xff);
  else {
    head.push(m | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((len >> BigInt(i * 8)) & 0xffn));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] ?? 0) ^ (key[i & 3] ?? 0);
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** Resolve when the socket is closed by the peer (or errors); returns everything it received. */
export function untilClosed(socket: Socket, already: Buffer = Buffer.alloc(0)): Promise<Buffer> {
  const parts = [already];
  socket.on('data', (c: Buffer) => parts.push(c));
  return new Promise((resolve) => {
    const done = () => resolve(Buffer.concat(parts));
    socket.once('close', done);
    socket.once('error', () => socket.destroy());
  });
}

/** The close code in the first close frame the server sent (unmasked server frames), if any. */
export function closeCode(received: Buffer): number | null {
  let at = 0;
  while (at + 2 <= received.length) {
    const op = (received[at] ?? 0) & 0x0f;
    let len = (received[at + 1] ?? 0) & 0x7f;
    let start = at + 2;
    if (len === 126) {
      len = received.readUInt16BE(at + 2);
      start += 2;
    } else if (len === 127) {
      len = Number(received.readBigUInt64BE(at + 2));
      start += 8;
    }
    if (op === 0x8) return len >= 2 ? received.readUInt16BE(start) : 1005;
    at = start + len;
  }
  return null;
}

/** A loopback TCP proxy to `port`; `cutAfter(n)` makes the next connection drop after n client bytes. */
export class CutProxy {
  readonly server: Server;
  port = 0;
  private cut: number | null = null;
  readonly sockets = new Set<Socket>();
  /** connections cut so far */
  cuts = 0;

  constructor(private readonly target: number) {
    this.server = createServer((client) => this.pipe(client));
  }

  async listen(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  /** Cut the next connection once it has carried `bytes` bytes from the client. */
  cutAfter(bytes: number): void {
    this.cut = bytes;
  }

  private pipe(client: Socket): void {
    const upstream = tcpConnect(this.target, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    const limit = this.cut;
    this.cut = null;
    let carried = 0;
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (limit !== null && carried + chunk.length >= limit) {
        upstream.write(chunk.subarray(0, Math.max(0, limit - carried)), () => {
          this.cuts++;
          kill();
        });
        carried = limit;
        client.pause();
        return;
      }
      carried += chunk.length;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', kill);
    upstream.on('close', kill);
    client.on('error', kill);
    upstream.on('error', kill);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A checksum of a table's column names and every value, order included. */
export function tableChecksum(table: ColumnTable): string {
  const hash = createHash('sha256');
  for (const name of table.columnNames()) {
    hash.update(`${name}\u0000`);
    for (const v of table.array(name, Array) as unknown[])
      hash.update(`${v instanceof Date ? v.toISOString() : String(v)}\u0001`);
  }
  return hash.digest('hex');
}

/** A CSV of `rows` rows: id, label, value — ids 0…rows-1 so that a lost or doubled row shows. */
export function numberedCSV(rows: number, tag = 'r'): string {
  const lines = ['id,label,value'];
  for (let i = 0; i < rows; i++) lines.push(`${i},${tag}${i},${(i * 7) % 1000}.5`);
  return `${lines.join('\n')}\n`;
}

/** A seeded PRNG (mulberry32), so that every "random" input is reproducible: the sensor's own. */
export const prng = seededRandom;
