/**
 * The csvsocket client: uploads files, text, bytes, streams and arquero tables
 * in chunks with flow control, and reads tables back as Arrow IPC. Opening the
 * connection is connect.ts; turning a source into bytes is sources.ts.
 *
 *   send(source) ─▶ upload ─▶ ready{offset} ─▶ chunks (≤ window un-acked) ─▶ end
 *               ◀─ stored{summary} + table frame ◀─ progress{offset} …
 */
import { randomUUID } from 'node:crypto';
import type { ColumnTable } from 'arquero';
import WebSocket from 'ws';
import type { TypeSpec } from '../csv/index.js';
import { ArgumentError, ConnectionError, CsvSocketError, ErrorCode, LimitError, ProtocolError } from '../errors.js';
import { arrowIPC } from '../lazy.js';
import { encodeFrame, FrameKind } from '../protocol/frames.js';
import { CHUNK_BYTES, WINDOW_BYTES } from '../protocol/limits.js';
import { offerLocalFile, takeLocalTable, withdrawLocalFile } from '../protocol/local.js';
import {
  type ClientMessageInput,
  type DatasetSummary,
  decodeFrame,
  encodeMessage,
  parseServerMessage,
  ridOf,
  type ServerMessage,
} from '../protocol/messages.js';
import { type PendingRequest, Requests } from '../protocol/requests.js';
import { SendWindow } from '../protocol/window.js';
import { writeBinaryFrame } from '../protocol/ws-frame.js';
import type { Query } from '../query/index.js';
import { processClientId } from '../state.js';
import { type ConnectOptions, createDialer, type Dialer, redial, type Welcome } from './connect.js';
import { pumpChunks } from './pump.js';
import { type OpenedSource, openSource, type Source } from './sources.js';
import { type AppendRows, appendText, type Subscription, Subscriptions } from './subscription.js';

export { type ConnectOptions, DEFAULT_URL, type ReconnectOptions } from './connect.js';
export type { Source } from './sources.js';

// errors from a dropped connection that a reconnect may cure
const retryable = new WeakSet<object>();

/** Options of {@link CsvClient.send}. */
export interface SendOptions {
  /** Dataset name. @default the file's base name without extension, else "data" */
  name?: string;
  /** Per-column type overrides, e.g. `{ zip: 'string' }` or `{ day: 'date:%b %d %Y' }`. */
  types?: Record<string, TypeSpec>;
  /** The CSV field separator (one character). @default detected from the header line (`,` `;` tab `|`) */
  delimiter?: string;
  /** Replace the dataset of the same name (default) or append rows to it. */
  mode?: 'replace' | 'append';
  /** Called as the server acknowledges bytes. */
  onProgress?: (progress: { bytes: number; total: number | null }) => void;
  /**
   * `false`: ask for the summary only; the stored table is not sent back and
   * the result's `table` is empty (the CLI prints only the summary). @default true
   * @internal
   */
  returnTable?: boolean;
}

/** An upload's outcome: the table as the server stored it, and the server's summary. */
export interface SendResult {
  table: ColumnTable;
  summary: DatasetSummary;
}

/** A final answer: the message and, when it announced one, the table frame that followed. */
interface Answer {
  message: ServerMessage;
  table: ColumnTable | null;
}

interface Pending extends PendingRequest {
  resolve: (value: Answer) => void;
  /** a `stored`/`result` whose table frame is still to come */
  message?: ServerMessage;
  /** an upload survives a reconnect (it resumes); other requests fail */
  upload?: boolean;
}

type Hooks = Pick<Pending, 'onProgress' | 'onReady' | 'upload'>;

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
  private readonly requests = new Requests<Pending>();
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

  /** Whether the connection is open. */
  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  private attach(ws: WebSocket, welcome: Welcome): void {
    this.ws = ws;
    this.windowBytes = Math.max(welcome.limits.windowBytes, 1);
    this.maxFrameBytes = welcome.limits.maxFrameBytes;
    this.chunkBytes = Math.min(welcome.limits.chunkBytes, welcome.limits.maxFrameBytes - 64);
    ws.on('message', (data, isBinary) => {
      if (ws !== this.ws) return;
      if (isBinary) this.onFrame(data as Buffer);
      else this.onText((data as Buffer).toString('utf8'));
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
    // 1006: no close frame, the network dropped; anything else was a deliberate close
    const policy = this.dialer?.reconnect;
    if (!this.closing && code === 1006 && policy && policy.retries > 0) {
      const dropped = new ConnectionError(
        ErrorCode.CONNECTION_CLOSED,
        `the connection to ${this.url} dropped; reconnecting`,
      );
      retryable.add(dropped);
      const lost = `the connection to ${this.url} dropped before the answer came; retry`;
      this.requests.rejectAll((p) => (p.upload ? dropped : new ConnectionError(ErrorCode.CONNECTION_CLOSED, lost)));
      this.reconnecting = this.redial();
      return;
    }
    this.closedError =
      code === 1009
        ? new LimitError('maxFrameBytes', {
            limit: this.maxFrameBytes,
            hint: 'the server closed the connection; send smaller messages',
          })
        : new ConnectionError(
            ErrorCode.CONNECTION_CLOSED,
            `the connection to ${this.url} closed (${reason || `code ${code}`})`,
          );
    this.requests.rejectAll(this.closedError);
  }

  private async redial(): Promise<boolean> {
    let dialed: Awaited<ReturnType<typeof redial>> = null;
    try {
      dialed = await redial(this.dialer!, () => this.closing);
    } catch (err) {
      this.closedError ??= err as CsvSocketError;
    }
    this.reconnecting = null;
    if (!dialed) {
      this.closedError ??= new ConnectionError(
        ErrorCode.CONNECTION_CLOSED,
        `lost the connection to ${this.url} and could not reconnect`,
      );
      return false;
    }
    this.reconnectCount++;
    this.attach(dialed.ws, dialed.welcome);
    return true;
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
    // a server in this process reads the file itself (protocol/local.ts)
    const local = input.path !== undefined && input.size !== null ? offerLocalFile(input.path, input.size) : undefined;
    try {
      const answer = await this.uploadBytes(input, id, options, local);
      if (options.returnTable === false && answer.message.type === 'stored' && !answer.message.table) {
        return { summary: answer.message.summary, table: null as unknown as ColumnTable };
      }
      if (local === undefined || answer.table !== null || answer.message.type !== 'stored') return toResult(answer);
      return toResult({ message: answer.message, table: takeLocalTable(local) ?? null });
    } finally {
      if (local !== undefined) withdrawLocalFile(local);
    }
  }

  /** One attempt: the upload message, then the bytes within the window, then `end`. */
  private async uploadBytes(
    input: OpenedSource,
    id: string,
    options: SendOptions,
    local: string | undefined,
  ): Promise<Answer> {
    const ws = this.ws;
    const rid = this.requests.nextRid();
    const total = input.size;
    const flow = new SendWindow(this.windowBytes);
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
        ...(options.returnTable === false ? { returnTable: false } : {}),
        ...(options.delimiter ? { delimiter: options.delimiter } : {}),
      },
      {
        upload: true,
        onReady: ready,
        onProgress: (offset) => {
          flow.ack(offset);
          options.onProgress?.({ bytes: offset, total });
        },
      },
    );
    // an error reply (a bad row, a limit) or a drop stops the sending loop too
    done.catch(() => flow.stop());
    const first = await Promise.race([readyAt, done.then(() => -1)]);
    // -1: the server had already stored this upload (its answer was lost in a drop)
    if (first < 0) return done;
    flow.ack(first);
    const pump = async (): Promise<void> => {
      const sent = await pumpChunks(input, first, {
        rid,
        chunkBytes: this.chunkBytes,
        flow,
        live: () => !this.closedError && ws === this.ws,
        send: (frame, written) => ws.send(frame, written),
        sendParts: (header, payload) => writeBinaryFrame(ws, [header, payload], true),
      });
      if (sent !== null && !flow.isStopped && ws === this.ws) ws.send(encodeMessage({ type: 'end', rid, bytes: sent }));
    };
    // a failure settles the upload at once, even while the source is stalled
    return Promise.race([pump().then(() => done), done]);
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
    return toResult(await this.request({ type: 'query', rid: this.requests.nextRid(), name, query }));
  }

  /**
   * The datasets on the server.
   *
   * @returns one summary per dataset, oldest first
   */
  async list(): Promise<DatasetSummary[]> {
    const { message } = await this.request({ type: 'list', rid: this.requests.nextRid() });
    return message.type === 'datasets' ? message.datasets : [];
  }

  /**
   * Remove a dataset from the server.
   *
   * @param name - the dataset
   */
  async drop(name: string): Promise<void> {
    await this.request({ type: 'drop', rid: this.requests.nextRid(), name, clientId: this.clientId });
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
    const rid = this.requests.nextRid();
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
        this.ws.send(encodeFrame(FrameKind.chunk, rid, at, bytes.subarray(at, at + this.chunkBytes)));
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
    return this.subscriptions.open(
      { send: (m) => this.ws.send(encodeMessage(m)), rid: () => this.requests.nextRid() },
      name,
    );
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

  private async request(message: ClientMessageInput, hooks: Hooks = {}): Promise<Answer> {
    if (this.reconnecting) await this.reconnecting;
    if (this.closedError) throw this.closedError;
    const text = encodeMessage(message);
    if (Buffer.byteLength(text) > this.maxFrameBytes) {
      throw new LimitError('maxFrameBytes', {
        subject: `the "${message.type}" message`,
        size: Buffer.byteLength(text),
        limit: this.maxFrameBytes,
      });
    }
    return new Promise((resolve, reject) => {
      this.requests.add(message.rid, { resolve, reject, ...hooks });
      this.ws.send(text);
    });
  }

  private onText(text: string): void {
    try {
      const m = parseServerMessage(text);
      if (m.type === 'welcome' || this.subscriptions.onMessage(m)) return;
      const p = this.requests.route(m);
      if (!p || m.rid === undefined) return;
      // the table frame follows with the same rid
      if ((m.type === 'stored' || m.type === 'result') && m.table) p.message = m;
      else this.requests.take(m.rid)?.resolve({ message: m, table: null });
    } catch (err) {
      this.failRequest(ridOf(text), err);
    }
  }

  private onFrame(data: Buffer): void {
    let rid: number | undefined;
    try {
      const frame = decodeFrame(data);
      rid = frame.rid;
      if (this.subscriptions.onFrame(frame.rid, frame.payload)) return;
      const p = this.requests.get(frame.rid);
      if (!p?.message) return;
      const table = arrowIPC().tableFromArrowIPC(frame.payload);
      this.requests.take(frame.rid);
      p.resolve({ message: p.message, table });
    } catch (err) {
      this.failRequest(rid, err);
    }
  }

  /** A malformed message from the server fails its request (never the caller's process). */
  private failRequest(rid: number | undefined, err: unknown): void {
    const failure =
      err instanceof CsvSocketError
        ? err
        : new ProtocolError(ErrorCode.PROTOCOL_BAD_MESSAGE, `bad data from the server: ${(err as Error).message}`);
    if (rid !== undefined) this.requests.take(rid)?.reject(failure);
  }
}

function toResult(r: Answer): SendResult {
  if ((r.message.type !== 'stored' && r.message.type !== 'result') || !r.table) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_BAD_MESSAGE,
      `expected a table from the server, got "${r.message.type}"`,
    );
  }
  return { table: r.table, summary: r.message.summary };
}

/**
 * Connect to a csvsocket server.
 *
 * @param url - the server URL; `?token=` in it is used as the token @default `$CSVSOCKET_URL` or ws://127.0.0.1:8851/
 * @param options - token, timeout, TLS trust, reconnect policy, client id
 * @returns an open client
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` for a string that is not a ws(s):// or http(s):// URL
 * @throws ConnectionError `CSVS_CONNECT_REFUSED` when nothing listens there
 * @throws AuthError `CSVS_AUTH_REQUIRED` for a missing or wrong token
 * @example
 * ```ts
 * const client = await connect('ws://127.0.0.1:8851/?token=…');
 * ```
 */
export async function connect(url?: string, options: ConnectOptions = {}): Promise<CsvClient> {
  const dialer = createDialer(url, options);
  const { ws, welcome } = await dialer.dial();
  return new CsvClient(ws, dialer.url, welcome, dialer);
}
