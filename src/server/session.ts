/**
 * One client connection on the server side. A failure on a live connection is
 * sent to the peer as an `error` message with its code and the connection
 * goes on; nothing here may throw into the event loop, since in a notebook
 * that loop is the kernel's.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { ArrowStreams } from '../arrow/ipc.js';
import { type CsvSocketError, ErrorCode, ProtocolError, QueryError, toCsvSocketError } from '../errors.js';
import type { Limits } from '../protocol/limits.js';
import { CHUNK_BYTES, WINDOW_BYTES } from '../protocol/limits.js';
import { handOverTable } from '../protocol/local.js';
import {
  type ClientMessage,
  type DatasetSummary,
  encodeMessage,
  PROTOCOL_VERSION,
  parseClientMessage,
  ridOf,
  type ServerMessage,
} from '../protocol/messages.js';
import { corked } from '../protocol/ws-frame.js';
import { parseQuery, type Query } from '../query/index.js';
import { type Dataset, datasetIPC } from './datasets.js';
import type { QueryPool } from './queries/pool.js';
import type { LiveHub } from './subscribers.js';
import { sendTableFrame } from './table-frame.js';
import { type Upload, type UploadContext, type UploadPeer, Uploads } from './uploads.js';

/** What a session shares with its server. */
export interface SessionContext extends UploadContext {
  /** the query workers */
  queries: QueryPool;
  limits: Limits;
  /** true when the peer offered no subprotocol: the original design's client */
  legacy: boolean;
  legacyReply: string;
  /** the subscribers of live datasets */
  live?: LiveHub;
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
  private readonly uploads: Uploads;
  private heartbeat?: NodeJS.Timeout;
  private idle?: NodeJS.Timeout;
  private alive = true;
  private disposed = false;

  constructor(id: number, ws: WebSocket, ctx: SessionContext) {
    this.id = id;
    this.ws = ws;
    this.ctx = ctx;
    this.legacy = ctx.legacy;
    // a client that sends no clientId (the page, a legacy client) owns its uploads
    // under this connection's own random id: nobody can guess it and take them
    this.uploads = new Uploads(this.peer(), ctx, `anonymous-${randomBytes(18).toString('base64url')}`);
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
    this.uploads.park();
  }

  /** Send a server message (and a table frame with its rid): how live updates reach this client. */
  notify(message: ServerMessage, table?: ArrowStreams): void {
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
      this.uploads.legacy(data, isBinary);
      return;
    }
    if (isBinary) {
      this.uploads.chunk(data);
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
        return this.uploads.begin(m);
      case 'end':
        return this.uploads.end(m.rid, m.bytes);
      case 'abort':
        return this.uploads.abort(m.rid);
      case 'query':
        return this.onQuery(m.rid, m.name, m.query);
      case 'list':
        return this.send({
          type: 'datasets',
          rid: m.rid,
          datasets: [...this.ctx.datasets.all()].map((d) => d.summary),
        });
      case 'drop':
        return this.onDrop(m.rid, m.name, this.uploads.ownerOf(m.clientId));
    }
  }

  private onDrop(rid: number, name: string, owner: string): void {
    void this.ctx.queue.run(name, async () => {
      if (!this.ctx.datasets.get(name)) {
        return this.sendError(
          new QueryError(ErrorCode.QUERY_UNKNOWN_DATASET, `no dataset named "${name}"`, { dataset: name }),
          rid,
        );
      }
      const refused = this.uploads.notOwner(owner, name);
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

  /** How the connection's uploads answer on it. */
  private peer(): UploadPeer {
    return {
      legacy: this.legacy,
      reply: (upload, dataset) => this.reply(upload, dataset),
      sendError: (err, rid) => this.sendError(err, rid),
      send: (message) => this.send(message),
      replyCompleted: (rid, dataset, returnTable) => this.sendStored(rid, dataset, returnTable),
      violate: (code, reason) => {
        this.terminate(code, reason);
        // read nothing more from a peer that broke the protocol
        (this.ws as WebSocket & { pause?: () => void }).pause?.();
      },
    };
  }

  private reply(upload: Upload, dataset: Dataset): void {
    if (this.legacy) {
      if (this.ws.readyState === this.ws.OPEN) this.ws.send(this.ctx.legacyReply);
      return;
    }
    // in-process: the client takes the table object itself, not its bytes
    const handed = upload.returnTable && upload.local !== undefined && handOverTable(upload.local, dataset.table);
    this.sendStored(upload.rid, dataset, upload.returnTable && !handed);
  }

  /** `stored`, and the table after it when asked for, in one write. */
  private sendStored(rid: number, dataset: Dataset, table: boolean): void {
    corked(this.ws, () => {
      this.send({ type: 'stored', rid, summary: dataset.summary, table });
      if (table) this.sendTable(rid, datasetIPC(dataset));
    });
  }

  /** @param written - called once the socket no longer needs `ipc` (or it was not sent) */
  private sendTable(rid: number, ipc: ArrowStreams, written?: () => void): void {
    if (this.ws.readyState !== this.ws.OPEN) return written?.();
    // the pieces of a parallel parse go out as one stream without a copy (table-frame.ts)
    sendTableFrame(this.ws, rid, ipc, written);
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
        // a worker's result is freed once written, not at this thread's next collection (see gc.ts)
        const arrived = performance.now();
        const free = answer.disposable
          ? () => this.ctx.queries.written(answer, performance.now() - arrived)
          : undefined;
        corked(this.ws, () => {
          this.send({ type: 'result', rid, summary, table: true });
          this.sendTable(rid, answer.ipc, free);
        });
      },
      (err: unknown) => this.sendError(toCsvSocketError(err, ErrorCode.QUERY_INVALID), rid),
    );
  }
}
