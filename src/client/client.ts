/**
 * The csvsocket client: uploads files, text, bytes, streams and arquero tables
 * in chunks with flow control, and reads tables back as Arrow IPC.
 *
 *   send(source) ─▶ upload ─▶ ready{offset} ─▶ chunks (≤ window un-acked) ─▶ end
 *               ◀─ stored{summary} + table frame ◀─ progress{offset} …
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import type { ColumnTable } from 'arquero';
import WebSocket from 'ws';
import { tableFromArrowIPC, tableToArrowIPC } from '../arrow/ipc.js';
import type { ColumnType } from '../csv/index.js';
import {
  ArgumentError,
  AuthError,
  ConnectionError,
  CsvSocketError,
  ErrorCode,
  errorFromWire,
  LimitError,
  ProtocolError,
} from '../errors.js';
import { CHUNK_BYTES, WINDOW_BYTES } from '../protocol/limits.js';
import { offerLocalFile, takeLocalTable, withdrawLocalFile } from '../protocol/local.js';
import {
  type ClientMessageInput,
  type DatasetSummary,
  DEFAULT_PORT,
  decodeFrame,
  encodeFrameHeader,
  encodeMessage,
  FrameKind,
  parseServerMessage,
  type ServerMessage,
  SUBPROTOCOL,
} from '../protocol/messages.js';
import type { Query } from '../query/index.js';
import { processClientId } from '../state.js';
import { missingFile } from './missing-file.js';
import { type AppendRows, appendText, type Subscription, Subscriptions } from './subscription.js';

/** The default server URL: `$CSVSOCKET_URL`, else ws://127.0.0.1:8851/. */
export const DEFAULT_URL = `ws://127.0.0.1:${DEFAULT_PORT}/`;

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The server's token; also read from the URL's `?token=` and `$CSVSOCKET_TOKEN`. */
  token?: string;
  /** Milliseconds to wait for the connection. @default 10000 */
  timeout?: number;
  /** CA certificate (PEM) to trust for wss://, e.g. a self-signed server's. */
  ca?: string | Buffer;
  /** Accept any TLS certificate (testing only). @default false */
  insecure?: boolean;
  /**
   * Reconnect after the connection drops (a network failure, not a close by
   * either end), and resume interrupted uploads from the server's last received
   * offset. `false` turns it off. @default { retries: 5, minDelay: 100, maxDelay: 5000 }
   */
  reconnect?: boolean | ReconnectOptions;
  /**
   * Who this client is, for dataset ownership: a client may replace, append to
   * or drop only datasets it stored (unless the server has `allowOverwrite`).
   * Keep it secret; reuse it to act as the same owner later.
   * @default `$CSVSOCKET_CLIENT_ID`, else one random id per process
   */
  clientId?: string;
}

/** How a client reconnects after a drop. */
export interface ReconnectOptions {
  /** Attempts before giving up. @default 5 */
  retries?: number;
  /** Delay before the first attempt, in ms; doubled each time, with jitter. @default 100 */
  minDelay?: number;
  /** Longest delay between attempts, in ms. @default 5000 */
  maxDelay?: number;
}

const DEFAULT_RECONNECT: Required<ReconnectOptions> = { retries: 5, minDelay: 100, maxDelay: 5000 };

// one identity per process, shared by every copy of the package that is loaded;
// the server treats clients from its own process as the owner of everything

// errors from a dropped connection that a reconnect may cure
const retryable = new WeakSet<object>();

/** What {@link CsvClient.send} accepts. */
export type Source =
  | string
  | URL
  | Uint8Array
  | ArrayBuffer
  | NodeJS.ReadableStream
  | AsyncIterable<Uint8Array>
  | ColumnTable;

/** Options of {@link CsvClient.send}. */
export interface SendOptions {
  /** Dataset name. @default the file's base name without extension, else "data" */
  name?: string;
  /** Per-column type overrides, e.g. `{ zip: 'string' }`. */
  types?: Record<string, ColumnType>;
  /** Replace the dataset of the same name (default) or append rows to it. */
  mode?: 'replace' | 'append';
  /** Called as the server acknowledges bytes. */
  onProgress?: (progress: { bytes: number; total: number | null }) => void;
}

/** An upload's outcome: the table as the server stored it, and the server's summary. */
export interface SendResult {
  table: ColumnTable;
  summary: DatasetSummary;
}

interface Pending {
  resolve: (value: { message: ServerMessage; table: ColumnTable | null }) => void;
  reject: (err: CsvSocketError) => void;
  onProgress?: (offset: number) => void;
  onReady?: (offset: number) => void;
  message?: ServerMessage;
  /** an upload survives a reconnect (it resumes); other requests fail */
  upload?: boolean;
}

/** How {@link CsvClient} opens (and re-opens) its socket. @internal */
export interface Dialer {
  dial(): Promise<{ ws: WebSocket; welcome: Welcome }>;
  reconnect: Required<ReconnectOptions> | null;
  clientId: string;
}
type Welcome = Extract<ServerMessage, { type: 'welcome' }>;

/**
 * A connection to a csvsocket server. Create it with {@link connect}.
 *
 * @example
 * ```ts
 * const client = await connect(server.url);
 * const students = await client.send('data/students.csv');
 * const floofy = await client.query('students', { filter: { column: 'name', op: '=', value: 'Floofy' } });
 * await client.close();
 * ```
 */
export class CsvClient {
  /** The server URL, without the token. */
  readonly url: string;
  /** This client's identity for dataset ownership. */
  readonly clientId: string;
  private ws!: WebSocket;
  private readonly pending = new Map<number, Pending>();
  private nextRid = 1;
  private readonly subscriptions = new Subscriptions();
  private appending: Promise<void> = Promise.resolve();
  private closedError: CsvSocketError | null = null;
  private windowBytes = WINDOW_BYTES;
  private chunkBytes = CHUNK_BYTES;
  private maxFrameBytes = Infinity;
  private readonly dialer: Dialer | null;
  private closing = false;
  private reconnecting: Promise<boolean> | null = null;
  private reconnectCount = 0;

  /** @internal use {@link connect} */
  constructor(ws: WebSocket, url: string, welcome: Welcome, dialer: Dialer | null = null) {
    this.url = url;
    this.dialer = dialer;
    this.clientId = dialer?.clientId ?? processClientId();
    this.attach(ws, welcome);
  }

  /** How many times this client has reconnected after a drop. */
  get reconnects(): number {
    return this.reconnectCount;
  }

  private attach(ws: WebSocket, welcome: Welcome): void {
    this.ws = ws;
    this.windowBytes = Math.max(welcome.limits.windowBytes, 1);
    this.maxFrameBytes = welcome.limits.maxFrameBytes;
    this.chunkBytes = Math.min(welcome.limits.chunkBytes, welcome.limits.maxFrameBytes - 64);
    ws.on('message', (data, isBinary) => {
      if (ws === this.ws) this.onMessage(data as Buffer, isBinary);
    });
    ws.on('close', (code, reason) => {
      if (ws === this.ws) this.onClose(code, reason.toString());
    });
    ws.on('error', () => {
      // 'close' follows and rejects what is pending
    });
  }

  private onClose(code: number, reason: string): void {
    // a subscription does not survive a drop: subscribe again after a reconnect
    this.subscriptions.end();
    const why = reason || `code ${code}`;
    // 1006: no close frame, the network dropped; anything else was a deliberate close
    const policy = this.dialer?.reconnect;
    if (!this.closing && code === 1006 && policy && policy.retries > 0) {
      const dropped = new ConnectionError(
        ErrorCode.CONNECTION_CLOSED,
        `the connection to ${this.url} dropped; reconnecting`,
      );
      retryable.add(dropped);
      for (const [rid, p] of this.pending) {
        this.pending.delete(rid);
        if (p.upload) p.reject(dropped);
        else
          p.reject(
            new ConnectionError(
              ErrorCode.CONNECTION_CLOSED,
              `the connection to ${this.url} dropped before the answer came; retry`,
            ),
          );
      }
      this.reconnecting = this.redial(policy);
      return;
    }
    this.closedError =
      code === 1009
        ? new LimitError(
            ErrorCode.LIMIT_FRAME_SIZE,
            `the server closed the connection: a message was larger than its frame limit (maxFrameBytes = ${this.maxFrameBytes} bytes)`,
            { limit: this.maxFrameBytes },
          )
        : new ConnectionError(ErrorCode.CONNECTION_CLOSED, `the connection to ${this.url} closed (${why})`);
    for (const p of this.pending.values()) p.reject(this.closedError);
    this.pending.clear();
  }

  private async redial(policy: Required<ReconnectOptions>): Promise<boolean> {
    let last: unknown = null;
    for (let attempt = 0; attempt < policy.retries && !this.closing; attempt++) {
      const delay = Math.min(policy.maxDelay, policy.minDelay * 2 ** attempt) * (0.5 + Math.random() / 2);
      await new Promise((r) => setTimeout(r, delay));
      if (this.closing) break;
      try {
        const { ws, welcome } = await this.dialer!.dial();
        if (this.closing) {
          ws.terminate();
          break;
        }
        this.reconnectCount++;
        this.reconnecting = null;
        this.attach(ws, welcome);
        return true;
      } catch (err) {
        last = err;
        // a refused token or origin will not get better by retrying
        if (err instanceof AuthError) break;
      }
    }
    const detail = last instanceof Error ? `: ${last.message}` : '';
    this.closedError ??= new ConnectionError(
      ErrorCode.CONNECTION_CLOSED,
      `lost the connection to ${this.url} and could not reconnect${detail}`,
    );
    this.reconnecting = null;
    return false;
  }

  /** Whether the connection is open. */
  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /**
   * Upload CSV data and resolve to the table as the server stored it.
   *
   * @param source - a file path, CSV text (anything containing a newline), bytes, a stream, or an arquero table
   * @param options - name, type overrides, mode, progress callback
   * @returns the stored table (opened from the server's Arrow IPC)
   * @example
   * ```ts
   * const t = await client.send('data/students.csv', { name: 'students' });
   * ```
   */
  async send(source: Source, options: SendOptions = {}): Promise<ColumnTable> {
    return (await this.upload(source, options)).table;
  }

  /**
   * Like {@link send}, also resolving to the server's summary (rows, column types, first rows, warnings).
   */
  async upload(source: Source, options: SendOptions = {}): Promise<SendResult> {
    const input = openSource(source, options.name);
    // the id names the upload across reconnects: the server resumes it from its offset
    const id = randomUUID();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.uploadOnce(input, id, options);
      } catch (err) {
        if (!retryable.has(err as object) || attempt >= 100) throw err;
        if (!input.resumable) {
          throw new ConnectionError(
            ErrorCode.CONNECTION_CLOSED,
            `the connection to ${this.url} dropped during the upload of a stream, which cannot be re-read; send it again`,
          );
        }
        if (this.reconnecting && !(await this.reconnecting)) throw this.closedError ?? err;
        if (this.closedError) throw this.closedError;
      }
    }
  }

  private async uploadOnce(input: OpenedSource, id: string, options: SendOptions): Promise<SendResult> {
    if (this.reconnecting) await this.reconnecting;
    const ws = this.ws;
    const rid = this.rid();
    const total = input.size;
    // a server in this process reads the file itself (protocol/local.ts)
    const local = input.path !== undefined && total !== null ? offerLocalFile(input.path, total) : undefined;
    try {
      return await this.uploadWith(input, id, options, ws, rid, local);
    } finally {
      if (local !== undefined) withdrawLocalFile(local);
    }
  }

  private async uploadWith(
    input: OpenedSource,
    id: string,
    options: SendOptions,
    ws: WebSocket,
    rid: number,
    local: string | undefined,
  ): Promise<SendResult> {
    const total = input.size;
    const result = (r: { message: ServerMessage; table: ColumnTable | null }): SendResult => {
      if (local === undefined || r.table !== null || r.message.type !== 'stored') return toResult(r);
      return toResult({ message: r.message, table: takeLocalTable(local) ?? null });
    };
    let acked = 0;
    let wake: (() => void) | null = null;
    let ready!: (offset: number) => void;
    const readyAt = new Promise<number>((r) => {
      ready = r;
    });
    const done = this.request(
      {
        type: 'upload',
        rid,
        id,
        clientId: this.clientId,
        name: input.name,
        format: input.format,
        mode: options.mode ?? 'replace',
        ...(total === null ? {} : { size: total }),
        ...(options.types ? { types: options.types } : {}),
        ...(local === undefined ? {} : { local }),
      },
      {
        upload: true,
        onReady: ready,
        onProgress: (offset) => {
          acked = offset;
          options.onProgress?.({ bytes: offset, total });
          wake?.();
        },
      },
    );
    // an error reply (a bad row, a limit) or a drop stops the sending loop too
    let failed: unknown = null;
    done.catch((err: unknown) => {
      failed = err;
      wake?.();
    });
    const first = await Promise.race([readyAt, done.then(() => -1)]);
    // -1: the server had already stored this upload (its answer was lost in a drop)
    if (first < 0) return done.then(result);
    let sent = first;
    acked = first;
    const pump = async (): Promise<void> => {
      for await (const chunk of input.chunks(first)) {
        for (let at = 0; at < chunk.byteLength; at += this.chunkBytes) {
          const piece = chunk.subarray(at, at + this.chunkBytes);
          while (!failed && sent - acked > this.windowBytes) {
            await new Promise<void>((r) => {
              wake = r;
            });
            wake = null;
          }
          if (failed || this.closedError || ws !== this.ws) return;
          ws.send(Buffer.concat([encodeFrameHeader(FrameKind.chunk, rid, sent), piece]));
          sent += piece.byteLength;
        }
      }
      if (!failed && ws === this.ws) ws.send(encodeMessage({ type: 'end', rid, bytes: sent }));
    };
    // a failure settles the upload at once, even while the source is stalled
    return Promise.race([pump().then(() => done), done]).then(result);
  }

  /**
   * Run a structured query on a dataset on the server.
   *
   * @param name - the dataset
   * @param query - filter, sort, select, groupby/rollup, limit (see README)
   * @returns the result as an arquero table
   * @example
   * ```ts
   * await client.query('students', { sort: [{ column: 'grade' }] });
   * ```
   */
  async query(name: string, query: Query = {}): Promise<ColumnTable> {
    return (await this.queryWithSummary(name, query)).table;
  }

  /** Like {@link query}, also resolving to the result's summary (column types for exact CSV output). */
  async queryWithSummary(name: string, query: Query = {}): Promise<SendResult> {
    const rid = this.rid();
    return toResult(await this.request({ type: 'query', rid, name, query }));
  }

  /**
   * The datasets on the server.
   *
   * @returns one summary per dataset, oldest first
   */
  async list(): Promise<DatasetSummary[]> {
    const { message } = await this.request({ type: 'list', rid: this.rid() });
    return message.type === 'datasets' ? message.datasets : [];
  }

  /**
   * Remove a dataset from the server.
   *
   * @param name - the dataset
   */
  async drop(name: string): Promise<void> {
    await this.request({ type: 'drop', rid: this.rid(), name, clientId: this.clientId });
  }

  /**
   * Append rows to a dataset on the server; subscribers get just the new rows.
   * The server parses them with the dataset's own column types (an integer
   * column widens to number for a fractional value); a dataset that does not
   * exist yet is created from the rows. Appends from one client are applied in
   * the order they were made.
   *
   * @param name - the dataset
   * @param rows - objects, one per row (keys are column names; missing or null is a missing value), or CSV text with its header line
   * @returns the server's summary of the whole dataset after the append
   * @throws CsvParseError `CSVS_PARSE_BAD_TYPE` when a value does not fit its column, or the columns differ
   * @example
   * ```ts
   * await client.append('sensor', [{ time: new Date(), temperature: 21.5 }]);
   * await client.append('sensor', 'time,temperature\n2026-03-01T09:00:00Z,21.5\n');
   * ```
   */
  append(name: string, rows: AppendRows): Promise<DatasetSummary> {
    const bytes = Buffer.from(appendText(rows), 'utf8');
    if (bytes.byteLength > this.windowBytes) {
      return Promise.reject(
        new ArgumentError(
          ErrorCode.BAD_ARGUMENT,
          `append() sends at most ${this.windowBytes} bytes at once; send a bigger batch with send(source, { name, mode: 'append' })`,
        ),
      );
    }
    const run = this.appending.then(() => this.appendOnce(name, bytes));
    this.appending = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async appendOnce(name: string, bytes: Buffer): Promise<DatasetSummary> {
    const rid = this.rid();
    let ready!: (offset: number) => void;
    const readyAt = new Promise<number>((r) => {
      ready = r;
    });
    const message = {
      type: 'upload' as const,
      rid,
      id: randomUUID(),
      clientId: this.clientId,
      name,
      format: 'csv' as const,
      mode: 'append' as const,
      size: bytes.byteLength,
      returnTable: false,
    };
    const done = this.request(message, { onReady: ready });
    done.catch(() => ready(-1));
    const offset = await readyAt;
    if (offset >= 0) {
      for (let at = offset; at < bytes.byteLength; at += this.chunkBytes) {
        this.ws.send(
          Buffer.concat([encodeFrameHeader(FrameKind.chunk, rid, at), bytes.subarray(at, at + this.chunkBytes)]),
        );
      }
      this.ws.send(encodeMessage({ type: 'end', rid, bytes: bytes.byteLength }));
    }
    const { message: answer } = await done;
    if (answer.type !== 'stored') {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_BAD_MESSAGE,
        `expected "stored" from the server, got "${answer.type}"`,
      );
    }
    return answer.summary;
  }

  /**
   * Follow a dataset on the server as it changes: an async iterator of updates
   * (the current table first, if the dataset exists; then each append's new
   * rows, or a whole table when it is replaced). It ends when you leave the
   * loop, call `close()`, or the connection closes.
   *
   * @param name - the dataset (it need not exist yet)
   * @returns the subscription
   * @example
   * ```ts
   * for await (const update of client.subscribe('sensor')) {
   *   console.log(`${update.rows} rows`, update.added?.numRows());
   * }
   * ```
   */
  subscribe(name: string): Subscription {
    if (this.closedError) throw this.closedError;
    return this.subscriptions.open({ send: (m) => this.ws.send(encodeMessage(m)), rid: () => this.rid() }, name);
  }

  /** Disconnect; resolves once the socket has closed. */
  close(): Promise<void> {
    this.closing = true;
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000, 'client done');
      setTimeout(() => this.ws.terminate(), 2000).unref();
    });
  }

  private rid(): number {
    const rid = this.nextRid;
    this.nextRid = this.nextRid >= 0xffffffff ? 1 : this.nextRid + 1;
    return rid;
  }

  private async request(
    message: ClientMessageInput,
    hooks: Pick<Pending, 'onProgress' | 'onReady' | 'upload'> = {},
  ): Promise<{ message: ServerMessage; table: ColumnTable | null }> {
    if (this.reconnecting) await this.reconnecting;
    if (this.closedError) throw this.closedError;
    const text = encodeMessage(message);
    if (Buffer.byteLength(text) > this.maxFrameBytes) {
      throw new LimitError(
        ErrorCode.LIMIT_FRAME_SIZE,
        `the "${message.type}" message is ${Buffer.byteLength(text)} bytes; the server takes messages of at most ${this.maxFrameBytes} bytes (maxFrameBytes)`,
        { limit: this.maxFrameBytes },
      );
    }
    return new Promise((resolve, reject) => {
      this.pending.set(message.rid, { resolve, reject, ...hooks });
      this.ws.send(text);
    });
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    let rid: number | undefined;
    try {
      if (isBinary) {
        const frame = decodeFrame(data);
        rid = frame.rid;
        if (this.subscriptions.onFrame(frame.rid, frame.payload)) return;
        const p = this.pending.get(frame.rid);
        if (!p?.message) return;
        const table = tableFromArrowIPC(frame.payload);
        this.pending.delete(frame.rid);
        p.resolve({ message: p.message, table });
        return;
      }
      const text = data.toString('utf8');
      rid = ridOf(text);
      const m = parseServerMessage(text);
      if (m.type === 'welcome') return;
      if (this.subscriptions.onMessage(m)) return;
      const p = m.rid === undefined ? undefined : this.pending.get(m.rid);
      if (!p) return;
      switch (m.type) {
        case 'ready':
          p.onReady?.(m.offset);
          return;
        case 'progress':
          p.onProgress?.(m.offset);
          return;
        case 'error':
          this.pending.delete(m.rid!);
          p.reject(errorFromWire(m.code, m.message, m.context ?? {}));
          return;
        case 'stored':
        case 'result':
          if (m.table) {
            p.message = m;
            return;
          }
          break;
      }
      this.pending.delete(m.rid);
      p.resolve({ message: m, table: null });
    } catch (err) {
      // a malformed frame from the server fails its request (never the caller's process)
      const failure =
        err instanceof CsvSocketError
          ? err
          : new ProtocolError(ErrorCode.PROTOCOL_BAD_MESSAGE, `bad data from the server: ${(err as Error).message}`);
      const p = rid === undefined ? undefined : this.pending.get(rid);
      if (p && rid !== undefined) {
        this.pending.delete(rid);
        p.reject(failure);
      }
    }
  }
}

function ridOf(text: string): number | undefined {
  const m = /"rid":(\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

function toResult(r: { message: ServerMessage; table: ColumnTable | null }): SendResult {
  if ((r.message.type !== 'stored' && r.message.type !== 'result') || !r.table) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_BAD_MESSAGE,
      `expected a table from the server, got "${r.message.type}"`,
    );
  }
  return { table: r.table, summary: r.message.summary };
}

interface OpenedSource {
  name: string;
  format: 'csv' | 'arrow';
  size: number | null;
  /** whether the bytes can be read again from an offset (files, text, bytes, tables; not streams) */
  resumable: boolean;
  /** a file's path: a server in this process may read it itself */
  path?: string;
  /** the bytes from `offset` on */
  chunks(offset: number): AsyncIterable<Uint8Array>;
}

function isTable(value: unknown): value is ColumnTable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ColumnTable).columnNames === 'function' &&
    typeof (value as ColumnTable).numRows === 'function'
  );
}

async function* fromBytes(bytes: Uint8Array, offset: number): AsyncIterable<Uint8Array> {
  yield bytes.subarray(offset);
}

/** A source held in memory: resumable from any offset. */
function inMemory(name: string, format: 'csv' | 'arrow', bytes: Uint8Array): OpenedSource {
  return { name, format, size: bytes.byteLength, resumable: true, chunks: (o) => fromBytes(bytes, o) };
}

function openSource(source: Source, name: string | undefined): OpenedSource {
  if (isTable(source)) return inMemory(name ?? 'data', 'arrow', tableToArrowIPC(source));
  const given = typeof source === 'string' ? source : undefined;
  if (typeof source === 'string' && !/[\r\n]/.test(source)) source = new URL(source, `file://${process.cwd()}/`);
  if (source instanceof URL) {
    if (source.protocol !== 'file:') {
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `send() takes a file path, CSV text, bytes, a stream or a table; got the URL ${source.href}`,
      );
    }
    const path = decodeURIComponent(source.pathname);
    let size: number;
    try {
      const stat = statSync(path);
      if (!stat.isFile()) throw new Error('not a file');
      size = stat.size;
    } catch {
      throw missingFile(path, given);
    }
    return {
      name: name ?? (basename(path, extname(path)) || 'data'),
      format: extname(path).toLowerCase() === '.arrow' ? 'arrow' : 'csv',
      size,
      resumable: true,
      path,
      chunks: (offset) =>
        createReadStream(path, { start: offset, highWaterMark: CHUNK_BYTES }) as AsyncIterable<Uint8Array>,
    };
  }
  if (typeof source === 'string') return inMemory(name ?? 'data', 'csv', Buffer.from(source, 'utf8'));
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (source instanceof Uint8Array) return inMemory(name ?? 'data', 'csv', source);
  const iterable =
    Symbol.asyncIterator in (source as object)
      ? (source as AsyncIterable<Uint8Array | string>)
      : Readable.from(source as NodeJS.ReadableStream);
  return {
    name: name ?? 'data',
    format: 'csv',
    size: null,
    resumable: false,
    async *chunks(offset) {
      if (offset !== 0)
        throw new ConnectionError(ErrorCode.CONNECT_FAILED, 'a stream cannot be resumed from an offset');
      for await (const chunk of iterable) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    },
  };
}

// certificate problems a `ca` option (or a proper certificate) fixes
const TLS_TRUST_ERRORS: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function tokenFrom(url: URL, options: ConnectOptions): string | undefined {
  return options.token ?? (url.searchParams.get('token') || undefined) ?? process.env.CSVSOCKET_TOKEN;
}

/**
 * Connect to a csvsocket server.
 *
 * @param url - the server URL; `?token=` in it is used as the token @default `$CSVSOCKET_URL` or ws://127.0.0.1:8851/
 * @param options - token, timeout, TLS trust
 * @returns an open client
 * @throws ConnectionError `CSVS_CONNECT_REFUSED` when nothing listens there
 * @throws AuthError `CSVS_AUTH_REQUIRED` for a missing or wrong token
 * @example
 * ```ts
 * const client = await connect('ws://127.0.0.1:8851/?token=…');
 * ```
 */
export function connect(url?: string, options: ConnectOptions = {}): Promise<CsvClient> {
  const raw = url ?? process.env.CSVSOCKET_URL ?? DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return Promise.reject(
      new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `not a URL: ${JSON.stringify(raw)} (expected e.g. ws://127.0.0.1:8851/)`,
      ),
    );
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    return Promise.reject(
      new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `a csvsocket URL starts with ws:// or wss://, got ${parsed.protocol}//`,
      ),
    );
  }
  const token = tokenFrom(parsed, options);
  parsed.searchParams.delete('token');
  const shown = parsed.toString();
  const timeout = options.timeout ?? 10_000;
  const policy =
    options.reconnect === false
      ? null
      : { ...DEFAULT_RECONNECT, ...(typeof options.reconnect === 'object' ? options.reconnect : {}) };
  const dialer: Dialer = {
    dial: () => openSocket(shown, token, options, timeout),
    reconnect: policy,
    clientId: options.clientId ?? process.env.CSVSOCKET_CLIENT_ID ?? processClientId(),
  };
  return dialer.dial().then(({ ws, welcome }) => new CsvClient(ws, shown, welcome, dialer));
}

function openSocket(
  shown: string,
  token: string | undefined,
  options: ConnectOptions,
  timeout: number,
): Promise<{ ws: WebSocket; welcome: Welcome }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(shown, [SUBPROTOCOL], {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      handshakeTimeout: timeout,
      maxPayload: 0,
      perMessageDeflate: false,
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.insecure ? { rejectUnauthorized: false } : {}),
    });
    let settled = false;
    const fail = (err: CsvSocketError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new ConnectionError(ErrorCode.TIMEOUT, `no answer from ${shown} within ${timeout} ms`)),
      timeout,
    );
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 2000) body += c;
      });
      res.on('end', () => {
        const code = String(res.headers['x-csvsocket-error'] ?? '');
        const detail = body.replace(/^CSVS_[A-Z_]+: /, '').trim();
        if (res.statusCode === 401)
          fail(new AuthError(ErrorCode.AUTH_REQUIRED, detail || `the server at ${shown} needs a token`));
        else if (res.statusCode === 403)
          fail(errorFromWire(code || ErrorCode.AUTH_FORBIDDEN_ORIGIN, detail || 'forbidden'));
        else if (res.statusCode === 503)
          fail(new LimitError(ErrorCode.LIMIT_CONNECTIONS, detail || 'the server is full'));
        else
          fail(
            new ConnectionError(
              ErrorCode.CONNECT_FAILED,
              `${shown} answered HTTP ${res.statusCode}; is it a csvsocket server?`,
            ),
          );
      });
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') {
        fail(
          new ConnectionError(
            ErrorCode.CONNECT_REFUSED,
            `no csvsocket server at ${shown}: start one with \`npx csvsocket serve\` (or \`await serve()\` in a notebook), or pass the URL it printed`,
          ),
        );
      } else if (TLS_TRUST_ERRORS.has(err.code ?? '')) {
        fail(
          new ConnectionError(
            ErrorCode.CONNECT_FAILED,
            `cannot connect to ${shown}: the server's TLS certificate is not trusted (${err.message}); pass its certificate or CA as connect(url, { ca })`,
          ),
        );
      } else fail(new ConnectionError(ErrorCode.CONNECT_FAILED, `cannot connect to ${shown}: ${err.message}`));
    });
    ws.on('close', (code, reason) => {
      fail(
        new ConnectionError(
          ErrorCode.CONNECTION_CLOSED,
          `${shown} closed the connection (${reason.toString() || code})`,
        ),
      );
    });
    ws.once('open', () => {
      if (ws.protocol !== SUBPROTOCOL) {
        fail(
          new ProtocolError(
            ErrorCode.PROTOCOL_VERSION,
            `${shown} does not speak ${SUBPROTOCOL}; is it a csvsocket server of a compatible version?`,
          ),
        );
      }
    });
    ws.once('message', (data, isBinary) => {
      if (settled) return;
      try {
        if (isBinary) throw new Error('binary');
        const m = parseServerMessage((data as Buffer).toString('utf8'));
        if (m.type !== 'welcome') throw new Error(m.type);
        settled = true;
        clearTimeout(timer);
        ws.removeAllListeners('close');
        ws.removeAllListeners('error');
        resolve({ ws, welcome: m });
      } catch {
        fail(new ProtocolError(ErrorCode.PROTOCOL_VERSION, `${shown} did not greet like a csvsocket server`));
      }
    });
  });
}
