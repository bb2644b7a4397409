/**
 * One client connection on the server side. A failure on a live connection is
 * sent to the peer as an `error` message with its code and the connection
 * goes on; nothing here may throw into the event loop, since in a notebook
 * that loop is the kernel's.
 */
import type { WebSocket } from 'ws';
import { headOf, inferColumns, tableFromArrowIPC, tableToArrowIPC } from '../arrow/ipc.js';
import {
  AuthError,
  ConnectionError,
  type CsvSocketError,
  ErrorCode,
  errorFromWire,
  LimitError,
  ProtocolError,
  QueryError,
  toCsvSocketError,
} from '../errors.js';
import { looksLikePandasJSON } from '../protocol/legacy.js';
import type { Limits } from '../protocol/limits.js';
import { CHUNK_BYTES, WINDOW_BYTES } from '../protocol/limits.js';
import { handOverTable, takeLocalFile } from '../protocol/local.js';
import {
  type ClientMessage,
  type DatasetSummary,
  decodeFrame,
  encodeFrameHeader,
  encodeMessage,
  FrameKind,
  PROTOCOL_VERSION,
  parseClientMessage,
  ridOf,
  type ServerMessage,
  type UploadMessage,
} from '../protocol/messages.js';
import { parseQuery, type Query } from '../query/index.js';
import { concatTables } from './append.js';
import type { Dataset, Datasets } from './datasets.js';
import { readLocalFile } from './ingest/local.js';
import type { Ingest, IngestFormat, IngestResult } from './ingest/pool.js';
import type { KeyedQueue, Persist } from './persist.js';
import type { QueryPool } from './queries/pool.js';
import { appendFailure, appendTypes, type LiveHub, markAppend } from './subscribers.js';

/** What a session shares with its server. */
export interface SessionContext {
  datasets: Datasets;
  ingest: Ingest;
  /** the query workers */
  queries: QueryPool;
  limits: Limits;
  /** true when the peer offered no subprotocol: the original design's client */
  legacy: boolean;
  legacyReply: string;
  /** interrupted uploads waiting to be resumed, by upload id (shared by all sessions) */
  parked: Map<string, Upload>;
  /** a name for a legacy upload, which carries none */
  legacyName: () => string;
  /** the subscribers of live datasets */
  live?: LiveHub;
  /** told when a parked upload expires unresumed */
  onDiscard?: (upload: Upload) => void;
  /** whether any client may replace, append to or drop any dataset */
  allowOverwrite: boolean;
  /** an identity that owns everything: clients in the server's own process */
  adminId: string;
  /** the data directory, when datasets are persisted */
  persist: Persist | null;
  /** stores and drops, one at a time per dataset name */
  queue: KeyedQueue;
  /** uploads stored recently, by upload id, so a client whose answer was lost in a drop gets it on resume */
  /**
   * uploads stored in the last resumeGraceMs, by upload id, to answer a client
   * whose `stored` reply was lost in a drop; held weakly so that a replaced
   * dataset is not kept alive for the grace time
   */
  completed: Map<string, CompletedUpload>;
}

/** An upload the server stored, remembered for a resuming client. */
export interface CompletedUpload {
  name: string;
  owner: string;
  dataset: WeakRef<Dataset>;
}

/** An upload in progress. */
export interface Upload {
  rid: number;
  id: string;
  name: string;
  format: IngestFormat;
  mode: 'replace' | 'append';
  returnTable: boolean;
  /** the identity of the client that started it */
  owner: string;
  parse: number;
  received: number;
  parsed: number;
  acked: number;
  started: number;
  failed: CsvSocketError | null;
  ending: boolean;
  session: Session | null;
  parkTimer?: NodeJS.Timeout;
  /** an in-process file upload's handle (protocol/local.ts): the server reads the bytes */
  local?: string;
  /** the in-process file read, until it has pushed every byte */
  reading?: Promise<void>;
  /** tell the in-process file read that the parse made progress */
  wake?: () => void;
}

let serverVersion = '0.0.0';
try {
  serverVersion = (require('../../package.json') as { version: string }).version;
} catch {
  // running from an unusual layout; the version is informative only
}

/** A connected client. */
export class Session {
  readonly id: number;
  readonly legacy: boolean;
  private readonly ws: WebSocket;
  private readonly ctx: SessionContext;
  private readonly uploads = new Map<number, Upload>();
  private heartbeat?: NodeJS.Timeout;
  private idle?: NodeJS.Timeout;
  private alive = true;
  private disposed = false;

  constructor(id: number, ws: WebSocket, ctx: SessionContext) {
    this.id = id;
    this.ws = ws;
    this.ctx = ctx;
    this.legacy = ctx.legacy;
  }

  /** Begin serving: greet, start the heartbeat, listen. */
  start(): void {
    const { limits } = this.ctx;
    this.ws.on('message', (data, isBinary) => {
      this.touch();
      try {
        this.onMessage(data as Buffer, isBinary);
      } catch (err) {
        this.sendError(toCsvSocketError(err));
      }
    });
    this.ws.on('pong', () => {
      this.alive = true;
    });
    this.ws.on('error', () => {
      // a protocol violation by the peer: ws closes the socket; 'close' cleans up
    });
    this.heartbeat = setInterval(() => {
      if (!this.alive) {
        this.ws.terminate();
        return;
      }
      this.alive = false;
      this.ws.ping();
    }, limits.heartbeatMs);
    this.heartbeat.unref();
    this.touch();
    if (!this.legacy) {
      this.send({
        type: 'welcome',
        protocol: PROTOCOL_VERSION,
        server: `csvsocket/${serverVersion}`,
        limits: {
          maxFrameBytes: limits.maxFrameBytes,
          maxUploadBytes: limits.maxUploadBytes,
          chunkBytes: CHUNK_BYTES,
          windowBytes: WINDOW_BYTES,
        },
      });
    }
  }

  /** Close the connection with a code. */
  terminate(code: number, reason: string): void {
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  /** After the socket closed: park unfinished uploads for resumption, stop timers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ctx.live?.forget(this);
    this.ctx.queries.cancel(this);
    clearInterval(this.heartbeat);
    clearTimeout(this.idle);
    for (const upload of this.uploads.values()) {
      if (upload.ending || upload.failed || upload.format === 'pandas') {
        if (!upload.ending) this.ctx.ingest.abort(upload.parse);
        continue;
      }
      upload.session = null;
      const older = this.ctx.parked.get(upload.id);
      if (older && older !== upload) {
        // the same upload restarted from zero and dropped again: the older attempt is dead
        clearTimeout(older.parkTimer);
        this.ctx.ingest.abort(older.parse);
      }
      this.ctx.parked.set(upload.id, upload);
      upload.parkTimer = setTimeout(() => {
        if (this.ctx.parked.get(upload.id) === upload) {
          this.ctx.parked.delete(upload.id);
          this.ctx.ingest.abort(upload.parse);
          this.ctx.onDiscard?.(upload);
        }
      }, this.ctx.limits.resumeGraceMs);
      upload.parkTimer.unref();
    }
    this.uploads.clear();
  }

  /** Send a server message (and a table frame with its rid): how live updates reach this client. */
  notify(message: ServerMessage, table?: Uint8Array): void {
    this.send(message);
    if (table) this.sendTable(message.type === 'error' || message.type === 'welcome' ? 0 : message.rid, table);
  }

  /** Bytes queued on the socket, not yet sent. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  private live(rid: number, run: (hub: LiveHub) => void): void {
    if (this.ctx.live) return run(this.ctx.live);
    this.sendError(new ProtocolError(ErrorCode.PROTOCOL_BAD_MESSAGE, 'this server has no live datasets'), rid);
  }

  private touch(): void {
    clearTimeout(this.idle);
    // a connection waiting on its own upload's parse is not idle
    this.idle = setTimeout(
      () => (this.uploads.size > 0 ? this.touch() : this.terminate(4000, 'idle timeout')),
      this.ctx.limits.idleTimeoutMs,
    );
    this.idle.unref();
  }

  private send(message: ServerMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(encodeMessage(message));
  }

  private sendError(err: CsvSocketError, rid?: number): void {
    if (this.legacy) {
      if (this.ws.readyState === this.ws.OPEN) this.ws.send(`Error ${err.code}: ${err.message}`);
      return;
    }
    const context = err.context();
    this.send({
      type: 'error',
      ...(rid === undefined ? {} : { rid }),
      code: err.code,
      message: err.message,
      ...(Object.keys(context).length > 0 ? { context } : {}),
    });
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.legacy) {
      this.onLegacy(data, isBinary);
      return;
    }
    if (isBinary) {
      this.onChunk(data);
      return;
    }
    let message: ClientMessage;
    try {
      message = parseClientMessage(data.toString('utf8'));
    } catch (err) {
      const rid = ridOf(data.toString('utf8'));
      this.sendError(toCsvSocketError(err), rid);
      return;
    }
    this.dispatch(message);
  }

  private dispatch(m: ClientMessage): void {
    switch (m.type) {
      case 'subscribe':
        return this.live(m.rid, (hub) => hub.subscribe(this, m.rid, m.name));
      case 'unsubscribe':
        return this.live(m.rid, (hub) => hub.unsubscribe(this, m.rid));
      case 'upload':
        return this.onUploadBegin(m);
      case 'end':
        return this.onUploadEnd(m.rid, m.bytes);
      case 'abort': {
        const upload = this.uploads.get(m.rid);
        if (upload) {
          this.uploads.delete(m.rid);
          this.ctx.ingest.abort(upload.parse);
        }
        return;
      }
      case 'query':
        return this.onQuery(m.rid, m.name, m.query);
      case 'list':
        return this.send({
          type: 'datasets',
          rid: m.rid,
          datasets: [...this.ctx.datasets.all()].map((d) => d.summary),
        });
      case 'drop':
        return this.onDrop(m.rid, m.name, this.ownerOf(m.clientId));
    }
  }

  /** A client's identity: the id it sends, else one of its own for this connection. */
  private ownerOf(clientId: string | undefined): string {
    return clientId ?? `session-${this.id}`;
  }

  /** Null when `owner` may replace, append to or drop the dataset `name`, else why not. */
  private notOwner(owner: string, name: string): AuthError | null {
    const dataset = this.ctx.datasets.get(name);
    if (!dataset || this.ctx.allowOverwrite || owner === this.ctx.adminId || dataset.owner === owner) return null;
    return new AuthError(
      ErrorCode.AUTH_NOT_OWNER,
      `dataset "${name}" belongs to another client; send under another name (or start the server with allowOverwrite)`,
      { dataset: name },
    );
  }

  private onDrop(rid: number, name: string, owner: string): void {
    void this.ctx.queue.run(name, async () => {
      if (!this.ctx.datasets.get(name)) {
        return this.sendError(
          new QueryError(ErrorCode.QUERY_UNKNOWN_DATASET, `no dataset named "${name}"`, { dataset: name }),
          rid,
        );
      }
      const refused = this.notOwner(owner, name);
      if (refused) return this.sendError(refused, rid);
      try {
        await this.ctx.persist?.remove(name);
      } catch (err) {
        return this.sendError(toCsvSocketError(err), rid);
      }
      this.ctx.datasets.drop(name);
      this.send({ type: 'dropped', rid, name });
    });
  }

  private onUploadBegin(m: UploadMessage): void {
    const { limits, ingest, parked } = this.ctx;
    const owner = this.ownerOf(m.clientId);
    if (this.uploads.has(m.rid)) {
      return this.sendError(
        new ProtocolError(ErrorCode.PROTOCOL_BAD_MESSAGE, `request id ${m.rid} is already in use`),
        m.rid,
      );
    }
    if (m.size !== undefined && m.size > limits.maxUploadBytes) {
      return this.sendError(
        new LimitError(
          ErrorCode.LIMIT_UPLOAD_SIZE,
          `the upload is ${m.size} bytes; this server takes at most ${limits.maxUploadBytes}`,
          {
            limit: limits.maxUploadBytes,
          },
        ),
        m.rid,
      );
    }
    const completed = this.ctx.completed.get(m.id);
    if (completed && completed.owner === owner && completed.name === m.name) {
      // stored while the client was away: answer now instead of storing twice
      const dataset = completed.dataset.deref();
      if (!dataset) {
        return this.sendError(
          new ConnectionError(
            ErrorCode.CONNECTION_CLOSED,
            `the upload was stored as "${m.name}", then replaced before the client reconnected; query the dataset instead`,
            { dataset: m.name, upload: m.id },
          ),
          m.rid,
        );
      }
      this.send({ type: 'stored', rid: m.rid, summary: dataset.summary, table: m.returnTable });
      if (m.returnTable) this.sendTable(m.rid, dataset.ipc ?? tableToArrowIPC(dataset.table));
      return;
    }
    const resumed = parked.get(m.id);
    if (resumed && resumed.name === m.name && resumed.format === m.format && resumed.owner === owner) {
      parked.delete(m.id);
      clearTimeout(resumed.parkTimer);
      resumed.rid = m.rid;
      if (resumed.failed) {
        this.ctx.ingest.abort(resumed.parse);
        return this.sendError(withUpload(resumed.failed, resumed), m.rid);
      }
      resumed.session = this;
      this.uploads.set(m.rid, resumed);
      // resume from what the parser has consumed; anything after it is re-sent
      this.send({ type: 'ready', rid: m.rid, offset: resumed.received });
      return;
    }
    const refused = this.notOwner(owner, m.name);
    if (refused) return this.sendError(refused, m.rid);
    if (this.uploads.size >= limits.maxUploadsPerClient) {
      return this.sendError(
        new LimitError(
          ErrorCode.LIMIT_UPLOADS,
          `at most ${limits.maxUploadsPerClient} uploads at once per connection`,
          {
            limit: limits.maxUploadsPerClient,
          },
        ),
        m.rid,
      );
    }
    const upload: Upload = {
      rid: m.rid,
      id: m.id,
      name: m.name,
      format: m.format,
      mode: m.mode,
      returnTable: m.returnTable,
      owner,
      parse: 0,
      received: 0,
      parsed: 0,
      acked: 0,
      started: Date.now(),
      failed: null,
      ending: false,
      session: this,
    };
    upload.parse = ingest.begin(
      m.format,
      this.csvOptions(m.mode === 'append' ? appendTypes(this.ctx.datasets.get(m.name), m.types) : m.types),
      {
        onParsed: (bytes) => upload.session?.onParsed(upload, bytes),
        onError: (err) => {
          upload.failed = err;
          upload.session?.failUpload(upload, err);
        },
      },
    );
    this.uploads.set(m.rid, upload);
    const handle = m.local;
    const offer = handle === undefined || m.size === undefined ? undefined : takeLocalFile(handle);
    if (handle !== undefined && offer && offer.size === m.size) {
      // in-process: read the file here; the client skips to the end
      upload.local = handle;
      const read = readLocalFile(offer.path, offer.size, {
        buffer: () => this.ctx.ingest.sharedBuffer(),
        push: (bytes) => {
          if (upload.failed || this.ctx.ingest.failure(upload.parse)) return false;
          upload.received += bytes.byteLength;
          this.ctx.ingest.push(upload.parse, bytes);
          return true;
        },
        backlog: () => upload.received - upload.parsed,
      });
      upload.wake = read.wake;
      upload.reading = read.done.then(
        () => {
          delete upload.reading;
        },
        (err: unknown) => {
          delete upload.reading;
          upload.failed = toCsvSocketError(err);
          upload.session?.failUpload(upload, upload.failed);
        },
      );
      this.send({ type: 'ready', rid: m.rid, offset: offer.size });
      return;
    }
    this.send({ type: 'ready', rid: m.rid, offset: 0 });
  }

  private csvOptions(types?: Record<string, string>) {
    const { limits } = this.ctx;
    return {
      maxColumns: limits.maxColumns,
      maxFieldBytes: limits.maxFieldBytes,
      ...(types ? { types: types as never } : {}),
    };
  }

  /** @internal called from the ingest listener */
  onParsed(upload: Upload, bytes: number): void {
    upload.parsed = bytes;
    upload.wake?.();
    if (bytes - upload.acked >= CHUNK_BYTES || bytes === upload.received) {
      upload.acked = bytes;
      this.send({ type: 'progress', rid: upload.rid, offset: bytes });
    }
  }

  /** @internal an upload failed: tell the client, forget the upload */
  failUpload(upload: Upload, failure: CsvSocketError): void {
    const err = upload.mode === 'append' ? appendFailure(failure, this.ctx.datasets.get(upload.name)) : failure;
    if (this.uploads.get(upload.rid) !== upload) return;
    this.uploads.delete(upload.rid);
    this.ctx.ingest.abort(upload.parse);
    this.sendError(withUpload(err, upload), upload.rid);
  }

  private onChunk(data: Buffer): void {
    const frame = decodeFrame(data);
    if (frame.kind !== FrameKind.chunk) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_BAD_MESSAGE,
        `a client may only send chunk frames (kind 1), got kind ${frame.kind}`,
      );
    }
    const upload = this.uploads.get(frame.rid);
    if (!upload) {
      // chunks still in flight after an upload failed are expected; stay quiet about them
      return;
    }
    if (frame.offset !== upload.received) {
      return this.failUpload(
        upload,
        new ProtocolError(
          ErrorCode.PROTOCOL_BAD_OFFSET,
          `chunk at offset ${frame.offset}, expected ${upload.received}: chunks must arrive in order without gaps`,
        ),
      );
    }
    const size = upload.received + frame.payload.byteLength;
    if (size > this.ctx.limits.maxUploadBytes) {
      return this.failUpload(
        upload,
        new LimitError(
          ErrorCode.LIMIT_UPLOAD_SIZE,
          `the upload passed ${this.ctx.limits.maxUploadBytes} bytes, this server's limit`,
          {
            limit: this.ctx.limits.maxUploadBytes,
          },
        ),
      );
    }
    upload.received = size;
    this.ctx.ingest.push(upload.parse, frame.payload);
  }

  private onUploadEnd(rid: number, bytes: number): void {
    const upload = this.uploads.get(rid);
    if (upload?.reading) {
      // an in-process file: end once the server has read it all
      void upload.reading.then(() => {
        if (this.uploads.get(rid) === upload && !upload.failed) this.onUploadEnd(rid, bytes);
      });
      return;
    }
    if (!upload) {
      return this.sendError(
        new ProtocolError(ErrorCode.PROTOCOL_UNKNOWN_UPLOAD, `no upload with request id ${rid} is in progress`),
        rid,
      );
    }
    if (bytes !== upload.received) {
      return this.failUpload(
        upload,
        new ProtocolError(
          ErrorCode.PROTOCOL_BAD_OFFSET,
          `the client sent ${bytes} bytes but the server received ${upload.received}`,
        ),
      );
    }
    upload.ending = true;
    this.ctx.ingest.end(upload.parse).then(
      (result) => this.store(upload, result),
      (err: unknown) => {
        upload.ending = false;
        this.failUpload(upload, toCsvSocketError(err));
      },
    );
  }

  private store(upload: Upload, result: IngestResult): void {
    // one store or drop at a time per name: an append sees the previous append, and
    // the order on disk is the order in memory
    void this.ctx.queue.run(upload.name, async () => {
      try {
        const refused = this.notOwner(upload.owner, upload.name);
        if (refused) throw refused;
        let table = tableFromArrowIPC(result.ipc);
        let ipc: Uint8Array | null = result.ipc;
        let { columns, head, rows } = result;
        const previous = this.ctx.datasets.get(upload.name);
        if (upload.mode === 'append' && previous) {
          const added = table;
          table = concatTables(previous, added, columns);
          markAppend(table, previous.table.numRows());
          ipc = null;
          // the stored rows already fit the dataset's infos: only the new rows are
          // looked at, so an append costs its own size, not the dataset's
          columns = inferColumns(added, previous.columns);
          head = headOf(table, columns);
          rows = table.numRows();
        }
        const summary: DatasetSummary = {
          name: upload.name,
          rows,
          columns,
          head,
          warnings: result.warnings,
          bytes: upload.received,
          ms: Date.now() - upload.started,
          stored: new Date().toISOString(),
        };
        const dataset: Dataset = { name: upload.name, table, columns, summary, ipc, owner: upload.owner };
        // durable before anyone is told it is stored
        await this.ctx.persist?.save(dataset);
        this.ctx.datasets.put(dataset);
        this.remember(upload.id, dataset);
        const session = upload.session;
        if (session && session.uploads.get(upload.rid) === upload) session.uploads.delete(upload.rid);
        if (session) session.reply(upload, dataset);
      } catch (err) {
        const session = upload.session;
        if (session && session.uploads.get(upload.rid) === upload) session.uploads.delete(upload.rid);
        session?.sendError(withUpload(toCsvSocketError(err), upload), upload.rid || undefined);
      }
    });
  }

  private remember(id: string, dataset: Dataset): void {
    const { completed, limits } = this.ctx;
    const entry: CompletedUpload = { name: dataset.name, owner: dataset.owner, dataset: new WeakRef(dataset) };
    completed.set(id, entry);
    setTimeout(() => {
      if (completed.get(id) === entry) completed.delete(id);
    }, limits.resumeGraceMs).unref();
  }

  private reply(upload: Upload, dataset: Dataset): void {
    if (this.legacy) {
      if (this.ws.readyState === this.ws.OPEN) this.ws.send(this.ctx.legacyReply);
      return;
    }
    // in-process: the client takes the table object itself, not its bytes
    const handed = upload.returnTable && upload.local !== undefined && handOverTable(upload.local, dataset.table);
    const table = upload.returnTable && !handed;
    this.send({ type: 'stored', rid: upload.rid, summary: dataset.summary, table });
    if (table) this.sendTable(upload.rid, dataset.ipc ?? tableToArrowIPC(dataset.table));
  }

  private sendTable(rid: number, ipc: Uint8Array): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const header = encodeFrameHeader(FrameKind.table, rid, 0);
    // two fragments of one message: copying a large table behind its header
    // (Buffer.concat) blocked the event loop for ~40 ms per 50 MB
    this.ws.send(header, { binary: true, fin: false });
    this.ws.send(ipc, { binary: true, fin: true });
  }

  private onQuery(rid: number, name: string, input: unknown): void {
    const dataset = this.ctx.datasets.get(name);
    if (!dataset) {
      const names = [...this.ctx.datasets.all()].map((d) => d.name);
      return this.sendError(
        new QueryError(
          ErrorCode.QUERY_UNKNOWN_DATASET,
          `no dataset named "${name}"; the server has ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'none yet'}`,
          { dataset: name },
        ),
        rid,
      );
    }
    let query: Query;
    try {
      query = parseQuery(input ?? {}, { maxRows: this.ctx.limits.maxQueryRows });
    } catch (err) {
      return this.sendError(toCsvSocketError(err, ErrorCode.QUERY_INVALID), rid);
    }
    // off the main thread (src/server/queries/): this thread only forwards the result's bytes
    this.ctx.queries.run(this, dataset, query).then(
      (answer) => {
        const summary: DatasetSummary = {
          ...dataset.summary,
          rows: answer.rows,
          columns: answer.columns,
          head: answer.head,
          warnings: [],
        };
        this.send({ type: 'result', rid, summary, table: true });
        this.sendTable(rid, answer.ipc);
      },
      (err: unknown) => this.sendError(toCsvSocketError(err, ErrorCode.QUERY_INVALID), rid),
    );
  }

  private onLegacy(data: Buffer, isBinary: boolean): void {
    const text = isBinary ? null : data.toString('utf8');
    const format: IngestFormat = text !== null && looksLikePandasJSON(text) ? 'pandas' : 'csv';
    const upload: Upload = {
      rid: 0,
      id: `legacy-${this.id}-${Date.now()}`,
      name: this.ctx.legacyName(),
      format,
      mode: 'replace',
      returnTable: false,
      owner: `session-${this.id}`,
      parse: 0,
      received: data.byteLength,
      parsed: 0,
      acked: 0,
      started: Date.now(),
      failed: null,
      ending: true,
      session: this,
    };
    upload.parse = this.ctx.ingest.begin(format, this.csvOptions(), {
      onParsed: () => undefined,
      onError: () => undefined,
    });
    this.ctx.ingest.push(upload.parse, data);
    this.ctx.ingest.end(upload.parse).then(
      (result) => this.store(upload, result),
      (err: unknown) => this.sendError(toCsvSocketError(err)),
    );
  }
}

function withUpload(err: CsvSocketError, upload: Upload): CsvSocketError {
  if (err.upload !== undefined) return err;
  return errorFromWire(err.code, err.message, { ...err.context(), upload: upload.id, dataset: upload.name });
}
