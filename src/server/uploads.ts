import {
  type AuthError,
  ConnectionError,
  type CsvSocketError,
  ErrorCode,
  errorFromWire,
  LimitError,
  ProtocolError,
  toCsvSocketError,
} from '../errors.js';
import { looksLikePandasJSON } from '../protocol/legacy.js';
import type { Limits } from '../protocol/limits.js';
import { CHUNK_BYTES, WINDOW_BYTES } from '../protocol/limits.js';
import { takeLocalFile } from '../protocol/local.js';
import { decodeFrame, FrameKind, type UploadMessage } from '../protocol/messages.js';
import type { Admission, UploadGate } from './admission.js';
import { appendParseTypes } from './append.js';
import type { Dataset, Datasets } from './datasets.js';
import type { ReleaseCollector } from './gc.js';
import { readLocalFile } from './ingest/local.js';
import type { Ingest, IngestFormat, IngestResult } from './ingest/pool.js';
import type { KeyedQueue, Persist } from './persist.js';
import { notOwner, storeUpload } from './store.js';
import { appendFailure } from './subscribers.js';

/** What the uploads of every connection share with the server. */
export interface UploadContext {
  datasets: Datasets;
  ingest: Ingest;
  limits: Limits;
  /** interrupted uploads waiting to be resumed, by upload id (shared by all sessions) */
  parked: Map<string, Upload>;
  /** a fresh name for a legacy upload, which carries none: never the same twice */
  legacyName: () => string;
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
  /**
   * uploads stored in the last resumeGraceMs, by upload id, to answer a client
   * whose `stored` reply was lost in a drop; held weakly so that a replaced
   * dataset is not kept alive for the grace time
   */
  completed: Map<string, CompletedUpload>;
  /** uploads take turns to stream and parse (admission.ts); without one, each is ready at once */
  gate?: UploadGate;
  /** the main thread's collections of let-go tables, made before an upload's parse begins */
  released?: ReleaseCollector;
}

/** An upload the server stored, remembered for a resuming client. */
export interface CompletedUpload {
  name: string;
  owner: string;
  dataset: WeakRef<Dataset>;
}

/** The connection an upload answers on. */
export interface UploadPeer {
  /** whether the peer speaks the legacy protocol (one text message per dataset) */
  readonly legacy: boolean;
  /** a `stored` reply (with the table when asked for), or the legacy text reply */
  reply(upload: Upload, dataset: Dataset): void;
  /** the answer to an upload's request that failed */
  sendError(err: CsvSocketError, rid?: number): void;
  /** a plain message on the upload's request */
  send(message: { type: 'ready' | 'progress'; rid: number; offset: number }): void;
  /** the stored dataset again, for a client whose answer was lost */
  replyCompleted(rid: number, dataset: Dataset, returnTable: boolean): void;
  /** close the connection for a protocol violation: stop reading it */
  violate(code: number, reason: string): void;
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
  /** the offset the client was told at `ready`: its window starts there */
  resumedAt: number;
  started: number;
  failed: CsvSocketError | null;
  ending: boolean;
  /** the connection's uploads, or null while parked */
  host: Uploads | null;
  parkTimer?: NodeJS.Timeout;
  stallTimer?: NodeJS.Timeout;
  /** an in-process file upload's handle (protocol/local.ts): the server reads the bytes */
  local?: string;
  /** the in-process file read, until it has pushed every byte */
  reading?: Promise<void>;
  /** tell the in-process file read that the parse made progress */
  wake?: () => void;
  /** its turn at the gate, until it is parsed or goes away */
  admission?: Admission;
  /** begin the parse (once; until then `parse` is 0, which no parse has) */
  start?: () => void;
}

/** The uploads of one connection. */
export class Uploads {
  private readonly active = new Map<number, Upload>();
  private legacyCount = 0;

  /**
   * @param peer - the connection
   * @param ctx - what the server shares
   * @param anonymous - the owner of uploads that carry no clientId: random per connection
   */
  constructor(
    private readonly peer: UploadPeer,
    private readonly ctx: UploadContext,
    readonly anonymous: string,
  ) {}

  /** Uploads in progress on this connection. */
  get size(): number {
    return this.active.size;
  }

  /** A client's identity: the id it sends, else this connection's random one. */
  ownerOf(clientId: string | undefined): string {
    return clientId ?? this.anonymous;
  }

  /** Null when `owner` may replace, append to or drop the dataset `name`, else why not. */
  notOwner(owner: string, name: string): AuthError | null {
    return notOwner(this.ctx, owner, name);
  }

  /** `upload`: answer a completed upload again, resume a parked one, or start a new one. */
  begin(m: UploadMessage): void {
    const owner = this.ownerOf(m.clientId);
    const refused = this.refuseBegin(m);
    if (refused) return this.peer.sendError(refused, m.rid);
    if (this.answerCompleted(m, owner) || this.resume(m, owner)) return;
    const other = this.notOwner(owner, m.name) ?? this.tooMany();
    if (other) return this.peer.sendError(other, m.rid);
    const upload = newUpload(m, owner, this);
    const types = m.mode === 'append' ? appendParseTypes(this.ctx.datasets.get(m.name), m.types) : m.types;
    // the parse starts when the upload's turn comes (admission.ts): 200 uploads
    // announced at once then cost the main thread little more than their messages
    upload.start = () => {
      delete upload.start;
      this.ctx.released?.flush();
      upload.parse = this.ctx.ingest.begin(
        m.format,
        this.parseOptions(types, m.delimiter),
        {
          onParsed: (bytes) => upload.host?.onParsed(upload, bytes),
          onError: (err) => {
            upload.failed = err;
            upload.host?.fail(upload, err);
          },
        },
        m.size,
      );
    };
    this.active.set(m.rid, upload);
    if (this.readLocal(m, upload)) return;
    const ready = () => {
      upload.start?.();
      this.watchStall(upload);
      this.peer.send({ type: 'ready', rid: upload.rid, offset: 0 });
    };
    if (this.ctx.gate) upload.admission = this.ctx.gate.admit(ready);
    else ready();
  }

  /**
   * The upload's parse, begun now if its turn has not come yet: a client that
   * sends bytes, or ends, before its `ready` skips its turn (admission.ts).
   */
  private parseOf(upload: Upload): number {
    upload.start?.();
    return upload.parse;
  }

  /** An in-process file upload: the server reads the file itself and the client skips to the end. */
  private readLocal(m: UploadMessage, upload: Upload): boolean {
    const handle = m.local;
    const offer = handle === undefined || m.size === undefined ? undefined : takeLocalFile(handle);
    if (handle === undefined || !offer || offer.size !== m.size) return false;
    const { ingest } = this.ctx;
    const parse = this.parseOf(upload);
    upload.local = handle;
    const read = readLocalFile(offer.path, offer.size, {
      buffer: () => ingest.sharedBuffer(),
      push: (bytes) => {
        // a dropped connection parks the upload: a resuming client sends the rest itself
        if (upload.failed || upload.host !== this || ingest.failure(parse)) return false;
        upload.received += bytes.byteLength;
        ingest.push(parse, bytes);
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
        upload.host?.fail(upload, upload.failed);
      },
    );
    this.peer.send({ type: 'ready', rid: m.rid, offset: offer.size });
    return true;
  }

  /** A binary chunk frame. */
  chunk(data: Buffer): void {
    const frame = decodeFrame(data);
    if (frame.kind !== FrameKind.chunk) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_BAD_MESSAGE,
        `a client may only send chunk frames (kind 1), got kind ${frame.kind}`,
      );
    }
    const upload = this.active.get(frame.rid);
    // chunks still in flight after an upload failed are expected; stay quiet about them
    if (!upload || upload.ending) return;
    const { limits } = this.ctx;
    if (frame.offset !== upload.received) {
      return this.fail(
        upload,
        new ProtocolError(
          ErrorCode.PROTOCOL_BAD_OFFSET,
          `chunk at offset ${frame.offset}, expected ${upload.received}: chunks must arrive in order without gaps`,
        ),
      );
    }
    const size = upload.received + frame.payload.byteLength;
    if (size > limits.maxUploadBytes) {
      return this.fail(upload, new LimitError('maxUploadBytes', { size, limit: limits.maxUploadBytes }));
    }
    // the client may send windowBytes beyond the last offset it was told (plus the
    // chunk that crosses it); more is a client ignoring the window, whose bytes
    // would pile up in memory faster than they parse
    const base = Math.max(upload.acked, upload.resumedAt);
    if (size - base > WINDOW_BYTES + CHUNK_BYTES) return this.overrun(upload, size - base);
    upload.received = size;
    this.watchStall(upload);
    // a client that sends before its `ready` skips its turn
    this.ctx.ingest.push(this.parseOf(upload), frame.payload, ownsBuffer(data));
  }

  /** `end`: the client sent every byte; parse the rest and store. */
  end(rid: number, bytes: number): void {
    const upload = this.active.get(rid);
    if (upload?.reading) {
      // an in-process file: end once the server has read it all
      void upload.reading.then(() => {
        if (this.active.get(rid) === upload && !upload.failed) this.end(rid, bytes);
      });
      return;
    }
    if (!upload) {
      return this.peer.sendError(
        new ProtocolError(ErrorCode.PROTOCOL_UNKNOWN_UPLOAD, `no upload with request id ${rid} is in progress`),
        rid,
      );
    }
    if (bytes !== upload.received) {
      return this.fail(
        upload,
        new ProtocolError(
          ErrorCode.PROTOCOL_BAD_OFFSET,
          `the client sent ${bytes} bytes but the server received ${upload.received}`,
        ),
      );
    }
    upload.ending = true;
    clearTimeout(upload.stallTimer);
    this.ctx.ingest.end(this.parseOf(upload)).then(
      (result) => {
        upload.admission?.release();
        this.store(upload, result);
      },
      (err: unknown) => {
        upload.admission?.release();
        upload.ending = false;
        this.fail(upload, toCsvSocketError(err));
      },
    );
  }

  /** `abort`: the client gave up; free the parse. */
  abort(rid: number): void {
    const upload = this.active.get(rid);
    if (!upload) return;
    this.forget(upload);
  }

  /**
   * A legacy message: one whole dataset, CSV text or pandas `to_json()`, stored
   * under a fresh `upload_N` name so that every acknowledged message is kept.
   */
  legacy(data: Buffer, isBinary: boolean): void {
    const text = isBinary ? null : data.toString('utf8');
    const format: IngestFormat = text !== null && looksLikePandasJSON(text) ? 'pandas' : 'csv';
    const upload = newUpload(
      {
        rid: 0,
        id: `legacy-${this.anonymous}-${++this.legacyCount}`,
        name: this.ctx.legacyName(),
        format,
        mode: 'replace',
        returnTable: false,
      },
      this.anonymous,
      this,
    );
    upload.received = data.byteLength;
    upload.ending = true;
    upload.parse = this.ctx.ingest.begin(format, this.parseOptions(), {
      onParsed: () => undefined,
      onError: () => undefined,
    });
    this.ctx.ingest.push(upload.parse, data);
    this.ctx.ingest.end(upload.parse).then(
      (result) => this.store(upload, result),
      (err: unknown) => this.peer.sendError(toCsvSocketError(err)),
    );
  }

  /** The connection closed: park unfinished uploads for resumption. */
  park(): void {
    for (const upload of this.active.values()) {
      clearTimeout(upload.stallTimer);
      upload.admission?.release();
      upload.host = null;
      if (upload.ending) continue;
      if (upload.failed || upload.format === 'pandas') {
        this.ctx.ingest.abort(upload.parse);
        continue;
      }
      parkUpload(this.ctx, upload);
    }
    this.active.clear();
  }

  /** @internal called from the ingest listener */
  onParsed(upload: Upload, bytes: number): void {
    upload.parsed = bytes;
    upload.wake?.();
    if (bytes - upload.acked >= CHUNK_BYTES || bytes === upload.received) {
      upload.acked = bytes;
      this.peer.send({ type: 'progress', rid: upload.rid, offset: bytes });
    }
  }

  /** @internal an upload failed: tell the client, forget the upload */
  fail(upload: Upload, failure: CsvSocketError): void {
    const err = upload.mode === 'append' ? appendFailure(failure, this.ctx.datasets.get(upload.name)) : failure;
    if (this.active.get(upload.rid) !== upload) return;
    this.forget(upload);
    this.peer.sendError(withUpload(err, upload), upload.rid);
  }

  private forget(upload: Upload): void {
    clearTimeout(upload.stallTimer);
    upload.admission?.release();
    this.active.delete(upload.rid);
    this.ctx.ingest.abort(upload.parse);
  }

  private overrun(upload: Upload, ahead: number): void {
    this.fail(
      upload,
      new ProtocolError(
        ErrorCode.PROTOCOL_WINDOW,
        `the client sent ${ahead} bytes beyond the last acknowledged offset; the window is ${WINDOW_BYTES} bytes (wait for "progress")`,
        { limit: WINDOW_BYTES },
      ),
    );
    this.peer.violate(1008, 'upload window exceeded');
  }

  /** An upload with no chunk for `uploadStallMs` fails, and frees its parse. */
  private watchStall(upload: Upload): void {
    clearTimeout(upload.stallTimer);
    const ms = this.ctx.limits.uploadStallMs;
    upload.stallTimer = setTimeout(() => {
      this.fail(
        upload,
        new ConnectionError(
          ErrorCode.TIMEOUT,
          `no bytes of upload "${upload.name}" arrived for ${ms} ms; the server dropped it (send it again)`,
          { limit: ms },
        ),
      );
    }, ms);
    upload.stallTimer.unref();
  }

  /** Checks an `upload` message must pass before anything else. */
  private refuseBegin(m: UploadMessage): CsvSocketError | null {
    const { limits } = this.ctx;
    if (this.active.has(m.rid))
      return new ProtocolError(ErrorCode.PROTOCOL_BAD_MESSAGE, `request id ${m.rid} is already in use`);
    if (m.size !== undefined && m.size > limits.maxUploadBytes) {
      return new LimitError('maxUploadBytes', { size: m.size, limit: limits.maxUploadBytes });
    }
    return null;
  }

  private tooMany(): CsvSocketError | null {
    const { maxUploadsPerClient } = this.ctx.limits;
    if (this.active.size < maxUploadsPerClient) return null;
    return new LimitError('maxUploadsPerClient', {
      size: this.active.size + 1,
      limit: maxUploadsPerClient,
      hint: 'wait for one to finish',
    });
  }

  /** Stored while the client was away: answer now instead of storing twice. */
  private answerCompleted(m: UploadMessage, owner: string): boolean {
    const completed = this.ctx.completed.get(m.id);
    if (!completed || completed.owner !== owner || completed.name !== m.name) return false;
    const dataset = completed.dataset.deref();
    if (dataset) this.peer.replyCompleted(m.rid, dataset, m.returnTable);
    else {
      this.peer.sendError(
        new ConnectionError(
          ErrorCode.CONNECTION_CLOSED,
          `the upload was stored as "${m.name}", then replaced before the client reconnected; query the dataset instead`,
          { dataset: m.name, upload: m.id },
        ),
        m.rid,
      );
    }
    return true;
  }

  /** A parked upload of this owner: continue from what the server received. */
  private resume(m: UploadMessage, owner: string): boolean {
    const { parked } = this.ctx;
    const resumed = parked.get(m.id);
    if (!resumed || resumed.name !== m.name || resumed.format !== m.format || resumed.owner !== owner) return false;
    parked.delete(m.id);
    clearTimeout(resumed.parkTimer);
    resumed.rid = m.rid;
    if (resumed.failed) {
      this.ctx.ingest.abort(resumed.parse);
      this.peer.sendError(withUpload(resumed.failed, resumed), m.rid);
      return true;
    }
    resumed.host = this;
    resumed.resumedAt = resumed.received;
    // parked before its turn came: it starts now
    resumed.start?.();
    this.active.set(m.rid, resumed);
    this.watchStall(resumed);
    this.peer.send({ type: 'ready', rid: m.rid, offset: resumed.received });
    return true;
  }

  private parseOptions(types?: Record<string, string>, delimiter?: string) {
    const { limits } = this.ctx;
    return {
      maxColumns: limits.maxColumns,
      maxFieldBytes: limits.maxFieldBytes,
      arrowMaxRows: limits.maxQueryRows,
      ...(types ? { types: types as never } : {}),
      ...(delimiter ? { delimiter } : {}),
    };
  }

  private store(upload: Upload, result: IngestResult): void {
    const settle = (): Uploads | null => {
      const host = upload.host;
      if (host && host.active.get(upload.rid) === upload) host.active.delete(upload.rid);
      return host;
    };
    storeUpload(this.ctx, upload, result).then(
      (dataset) => settle()?.peer.reply(upload, dataset),
      (err: unknown) => settle()?.peer.sendError(withUpload(toCsvSocketError(err), upload), upload.rid || undefined),
    );
  }
}

/**
 * Whether a received message is the only thing in its ArrayBuffer, so that the
 * parse worker can take the buffer instead of a copy. ws gives a large message
 * a buffer of its own (it joins the socket's reads into it) and a small one a
 * view into a socket read, which may hold the next message too.
 */
function ownsBuffer(data: Buffer): boolean {
  const { buffer } = data;
  return data.byteOffset === 0 && data.byteLength === buffer.byteLength && !(buffer instanceof SharedArrayBuffer);
}

/** What an upload starts from: its message's fields. */
type UploadStart = Pick<Upload, 'rid' | 'id' | 'name' | 'format' | 'mode' | 'returnTable'>;

function newUpload(m: UploadStart, owner: string, host: Uploads): Upload {
  return {
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
    resumedAt: 0,
    started: Date.now(),
    failed: null,
    ending: false,
    host,
  };
}

/**
 * Keep an interrupted upload for `resumeGraceMs`. One client holds at most
 * `maxParkedPerClient` parked uploads: parking one more discards its oldest, so
 * a client that drops connections on purpose cannot fill the server's memory.
 */
function parkUpload(ctx: UploadContext, upload: Upload): void {
  const { parked, ingest, limits } = ctx;
  const discard = (old: Upload) => {
    clearTimeout(old.parkTimer);
    parked.delete(old.id);
    ingest.abort(old.parse);
    ctx.onDiscard?.(old);
  };
  const older = parked.get(upload.id);
  // the same upload restarted from zero and dropped again: the older attempt is dead
  if (older && older !== upload) discard(older);
  const mine = [...parked.values()].filter((p) => p.owner === upload.owner);
  while (mine.length >= limits.maxParkedPerClient) discard(mine.shift() as Upload);
  parked.set(upload.id, upload);
  upload.parkTimer = setTimeout(() => {
    if (parked.get(upload.id) === upload) discard(upload);
  }, limits.resumeGraceMs);
  upload.parkTimer.unref();
}

/** The error with the upload's id and dataset name in its context. */
export function withUpload(err: CsvSocketError, upload: Upload): CsvSocketError {
  if (err.upload !== undefined) return err;
  return errorFromWire(err.code, err.message, { ...err.context(), upload: upload.id, dataset: upload.name });
}
