/**
 * Uploads are parsed off the main thread. A small pool of worker threads each
 * holds any number of in-progress parses keyed by job; the main thread only
 * forwards chunks and receives, at the end, Arrow IPC bytes that arquero opens
 * in milliseconds. In a notebook the main thread is the kernel, so this is what
 * keeps a notebook responsive while a large file streams in.
 *
 * A large CSV is parsed in pieces by several workers at once. The main thread
 * cuts the byte stream after a line break outside quotes (quote parity, with a
 * check that every quote opens or closes a quoted field as the parser reads it;
 * a stray quote stops the cutting) once a piece holds `pieceBytes`, and hands
 * consecutive pieces to the workers with the least unparsed. Every later piece starts with
 * a copy of the header line. Each piece reports per-column type statistics; the
 * merge picks, per column, exactly the type one parser reading the whole file
 * would (see mergeColumnStats), and each piece converts its columns to it and
 * encodes them as an IPC stream in shared memory (in parallel). The table is
 * the pieces' streams in order, never copied into one (see ArrowStreams). Lines are
 * counted per piece and shifted once the pieces before are known; the error of
 * the earliest piece wins.
 *
 *   socket chunk ─▶ Ingest.push ─▶ cut? ─▶ worker: CsvParser.push ─▶ 'parsed' offset
 *   cut          ─▶ seal piece ─▶ 'sealed' stats
 *   end          ─▶ seal last ─▶ merge types ─▶ finish: each piece's IPC ─▶ the pieces' IPC + summary
 */
import { availableParallelism, freemem } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { discard } from '../../csv/arena.js';
import { type ColumnStats, mergeColumnStats } from '../../csv/merge.js';
import { blankLinesWarning, type PieceState } from '../../csv/pieces.js';
import { type CsvSocketError, ErrorCode, type ErrorContext, errorFromWire, LimitError } from '../../errors.js';
import { ReceiveCollector } from '../gc.js';
import { findCuts, linesPerByte, newScan, type Scan, scanPrefix } from './cuts.js';
import type { FromWorker, IngestFormat, IngestResult, ParseOptions, ToWorker } from './messages.js';

export type { IngestFormat, IngestResult, ParseOptions } from './messages.js';

/** Callbacks of one parse. */
export interface IngestListener {
  /** bytes consumed by the parser so far */
  onParsed(bytes: number): void;
  /** the parse failed before `end` was called (a bad row, a limit) */
  onError(err: CsvSocketError): void;
}

interface PooledWorker {
  worker: Worker;
  active: number;
}

/** One worker job: a piece of a parse (or the whole of it). */
interface Piece {
  job: number;
  worker: PooledWorker;
  /** bytes sent to the worker (not counting the header prefix) */
  sent: number;
  parsed: number;
  sealed?: PieceState;
  /** the piece's columns as an Arrow IPC stream: each of its own type once sealed, of the merged types once it has its head */
  stream?: Uint8Array;
  /** its first rows, once the worker has typed its columns ('columns') */
  head?: Array<Array<string | null>>;
  error?: { code: string; message: string; context: ErrorContext };
  released: boolean;
  /** per chunk sent, in order: its shared buffer (null for a copied chunk), until the worker has parsed it */
  shared?: Array<SharedArrayBuffer | null>;
}

interface Parse {
  format: IngestFormat;
  options: ParseOptions;
  listener: IngestListener;
  pieces: Piece[];
  scan?: Scan;
  finish?: { resolve: (r: IngestResult) => void; reject: (e: CsvSocketError) => void };
  failed?: CsvSocketError;
  ending: boolean;
  /** a piece failed: later bytes are not parsed */
  stopped: boolean;
  /** bytes pushed so far */
  pushed: number;
  /** the most bytes the memory free when the parse began can hold as a table */
  budget: number;
  merged?: Omit<IngestResult, 'ipc' | 'head'>;
  /** rows per byte, estimated from the line breaks before the first cut */
  rowsPerByte?: number;
}

/** Options of the parse pool. */
export interface IngestOptions {
  /** number of worker threads; default: available cores, at most 4 */
  threads?: number;
  /**
   * Internal: the size of a piece of a CSV parsed in parallel; a smaller input
   * is parsed by one worker. @default 3 MiB (4 MiB pieces parsed 2–3% faster
   * but held ~15–20 MB more at the peak of back-to-back 50 MB uploads)
   */
  pieceBytes?: number;
  /**
   * Internal: the memory a parse may take; an upload that would need more
   * fails with `CSVS_LIMIT_UPLOAD_SIZE` before memory runs out.
   * @default the free memory when the parse begins (os.freemem())
   */
  memoryBytes?: number;
}

const HEAD_ROWS = 5;
/** chunks from this size on are copied into recycled buffers */
const MIN_POOLED = 1 << 16;
/** the size of a recycled buffer (the client's chunk size) */
const POOLED = 1 << 20;
const MAX_POOLED = 4 << 20;
/** recycled buffers kept at most (a window's worth) */
const MAX_SPARE = 24;
/** the size of a shared buffer for an in-process file (local.ts) */
export const SHARED_BYTES = 4 << 20;
/** shared buffers kept for reuse at most (local.ts's window, and one being filled) */
const MAX_SHARED = 8;
/**
 * Memory a parse takes per byte of input, at its peak: the columns (about the
 * CSV's size, typed arrays growing by doubling) and the Arrow IPC they are
 * copied into at the end.
 */
const MEMORY_PER_BYTE = 2.5;

/**
 * A pool of parse workers. One per server; workers start on first use and are
 * `unref`'d, so an idle pool never keeps a process (or a kernel) alive.
 */
export class Ingest {
  /** worker threads at most */
  readonly threads: number;
  private readonly pieceBytes: number;
  private readonly memoryBytes: number | undefined;
  private readonly pool: PooledWorker[] = [];
  private readonly parses = new Map<number, Parse>();
  private readonly jobs = new Map<number, { parse: Parse; piece: Piece }>();
  private readonly spare: ArrayBuffer[] = [];
  /** shared buffers for in-process files (local.ts), reused: fresh memory costs page faults */
  private readonly sharedFree: SharedArrayBuffer[] = [];
  /** the socket reads the bytes came in, collected as they pile up (see gc.ts) */
  private readonly received = new ReceiveCollector();
  /** shared buffers still being read by workers: how many chunks of each */
  private readonly sharedUse = new Map<SharedArrayBuffer, number>();
  private nextId = 1;
  private nextJob = 1;
  private closed = false;

  constructor(options: IngestOptions = {}) {
    this.threads = Math.max(1, options.threads ?? Math.min(4, availableParallelism()));
    this.pieceBytes = Math.max(1, options.pieceBytes ?? 3 << 20);
    this.memoryBytes = options.memoryBytes;
  }

  /**
   * Start a parse.
   *
   * @param format - csv or arrow
   * @param options - CSV options (types, limits)
   * @param listener - told of progress, and of a failure before the end
   * @param sizeHint - the upload's declared size, when known: the first piece's columns are sized from it
   * @returns the parse's id for {@link push}, {@link end} and {@link abort}
   */
  begin(format: IngestFormat, options: ParseOptions, listener: IngestListener, sizeHint?: number): number {
    const id = this.nextId++;
    const memory = this.memoryBytes ?? freemem();
    const parse: Parse = {
      format,
      options,
      listener,
      pieces: [],
      ending: false,
      stopped: false,
      pushed: 0,
      budget: Math.floor(memory / MEMORY_PER_BYTE),
    };
    if (format === 'csv') {
      const delim = (options.delimiter ?? ',').charCodeAt(0);
      // a row limit counts rows across pieces: one piece then
      const cuttable =
        this.threads > 1 && delim < 0x80 && (options.maxRows === undefined || options.maxRows === Infinity);
      parse.scan = newScan(cuttable, delim);
    }
    this.parses.set(id, parse);
    this.startPiece(parse, options, 0, sizeHint !== undefined && sizeHint > 0 ? sizeHint : undefined);
    // a CSV may be cut into pieces: have every worker started (unref'd) before the first cut
    if (parse.scan?.enabled) while (this.pool.length < this.threads) this.spawn();
    return id;
  }

  /**
   * Forward a chunk to the parse's workers: copied (the caller keeps its buffer),
   * except bytes in a SharedArrayBuffer, which the workers read in place (the
   * caller must not change them). `owned`: the caller gives up `bytes.buffer`,
   * which holds nothing else: it is transferred to the worker, not copied.
   */
  push(id: number, bytes: Uint8Array, owned = false): void {
    const parse = this.parses.get(id);
    if (!parse || parse.failed || parse.stopped || bytes.byteLength === 0) return;
    // bytes from a socket (an in-process file is read into shared memory instead)
    if (!(bytes.buffer instanceof SharedArrayBuffer)) this.received.add(bytes.byteLength);
    parse.pushed += bytes.byteLength;
    if (parse.pushed > parse.budget) {
      // a clear error now rather than the process running out of memory later
      const free = Math.round((parse.budget * MEMORY_PER_BYTE) / 1e6);
      this.fail(
        parse,
        new LimitError(
          ErrorCode.LIMIT_UPLOAD_SIZE,
          `the upload passed ${parse.budget} bytes, the most this server's free memory (${free} MB when the upload began) can hold while parsing it (about ${MEMORY_PER_BYTE} bytes per byte of CSV); send a smaller file or free memory`,
          { limit: parse.budget },
        ),
      );
      return;
    }
    const s = parse.scan;
    if (!s?.enabled) {
      this.send(parse, bytes, owned);
      if (s) s.total += bytes.byteLength;
      return;
    }
    const len = bytes.byteLength;
    const at = s.headerDone ? 0 : scanPrefix(s, bytes);
    let pos = 0; // bytes before pos are sent
    if (s.enabled && s.headerDone) {
      // the first cut leaves room for what the current piece holds; later ones start a piece
      const current = parse.pieces[parse.pieces.length - 1] as Piece;
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, len);
      for (const cut of findCuts(s, buf, at, this.pieceBytes - (current.sent + at), this.pieceBytes)) {
        this.send(parse, bytes.subarray(pos, cut));
        if (parse.rowsPerByte === undefined) parse.rowsPerByte = linesPerByte(buf, Math.max(0, cut - 65536), cut);
        this.cut(parse, s.total + cut);
        pos = cut;
      }
    }
    if (pos < len) this.send(parse, bytes.subarray(pos), owned && pos === 0);
    s.total += len;
    s.last = bytes[len - 1] as number;
  }

  /**
   * A shared buffer of SHARED_BYTES to fill and {@link push}; it comes back for
   * reuse once the workers have parsed every chunk of it.
   */
  sharedBuffer(): Uint8Array {
    return new Uint8Array(this.sharedFree.pop() ?? new SharedArrayBuffer(SHARED_BYTES));
  }

  /** Finish a parse; resolves to the table as Arrow IPC, or rejects with the parse error. */
  end(id: number): Promise<IngestResult> {
    const parse = this.parses.get(id);
    if (!parse) return Promise.reject(errorFromWire(ErrorCode.INTERNAL, `no parse ${id} in progress`));
    if (parse.failed) {
      this.forget(id);
      return Promise.reject(parse.failed);
    }
    return new Promise((resolve, reject) => {
      parse.finish = {
        resolve: (r) => {
          this.forget(id);
          resolve(r);
        },
        reject: (e) => {
          this.forget(id);
          reject(e);
        },
      };
      parse.ending = true;
      const last = parse.pieces[parse.pieces.length - 1] as Piece;
      if (parse.format !== 'csv') this.post(last.worker, { op: 'end', id: last.job });
      else if (!parse.stopped && !last.error) {
        const whole = parse.pieces.length === 1;
        this.post(last.worker, { op: 'seal', id: last.job, final: true, whole });
      }
    });
  }

  /** The error a parse has already failed with, if any (checked before `end`). */
  failure(id: number): CsvSocketError | undefined {
    return this.parses.get(id)?.failed;
  }

  /** Drop a parse and free its memory in the workers. */
  abort(id: number): void {
    const parse = this.parses.get(id);
    if (!parse) return;
    this.forget(id);
    this.releaseAll(parse);
  }

  /** Stop every worker. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [id, parse] of this.parses) {
      parse.finish?.reject(errorFromWire(ErrorCode.CONNECTION_CLOSED, 'the server closed before the upload finished'));
      this.parses.delete(id);
    }
    this.jobs.clear();
    await Promise.all(this.pool.map((w) => w.worker.terminate()));
    this.pool.length = 0;
  }

  private startPiece(parse: Parse, options: ParseOptions, byteOffset: number, sizeHint?: number): void {
    const worker = this.pick();
    const piece: Piece = { job: this.nextJob++, worker, sent: 0, parsed: 0, released: false };
    worker.active++;
    if (worker.active === 1) worker.worker.ref();
    parse.pieces.push(piece);
    this.jobs.set(piece.job, { parse, piece });
    const header = parse.scan?.header;
    const message: ToWorker = { op: 'begin', id: piece.job, format: parse.format, options, headRows: HEAD_ROWS };
    if (parse.pieces.length > 1 && header) {
      message.prefix = header;
      message.byteOffset = byteOffset;
      // size the piece's columns from the pieces parsed so far
      let rows = 0;
      let bytes = 0;
      for (const p of parse.pieces) {
        if (!p.sealed) continue;
        rows += p.sealed.rows;
        bytes += p.sent;
      }
      const perByte = rows > 0 ? rows / bytes : parse.rowsPerByte;
      if (perByte) message.rowsHint = Math.ceil((perByte * this.pieceBytes + 1) * 1.05);
    } else if (parse.pieces.length === 1 && parse.format === 'csv' && sizeHint !== undefined) {
      // the worker sizes the columns from the first chunk's rows per byte (a
      // declared size is the client's word: never more than a piece)
      message.expectBytes = Math.min(sizeHint, this.pieceBytes);
    }
    this.post(worker, message);
  }

  /** Seal the current piece and start the next at `byteOffset` of the file. */
  private cut(parse: Parse, byteOffset: number): void {
    const current = parse.pieces[parse.pieces.length - 1] as Piece;
    this.post(current.worker, { op: 'seal', id: current.job, final: false, whole: false });
    this.startPiece(parse, parse.options, byteOffset);
  }

  private send(parse: Parse, bytes: Uint8Array, owned = false): void {
    const piece = parse.pieces[parse.pieces.length - 1] as Piece;
    if (piece.released) return;
    const n = bytes.byteLength;
    piece.sent += n;
    // a copy the worker owns; large chunks go into recycled buffers, whose pages
    // are already mapped (a fresh megabyte costs more in page faults than the copy)
    let copy: Uint8Array;
    piece.shared ??= [];
    const buffer = bytes.buffer;
    if (buffer instanceof SharedArrayBuffer) {
      // shared memory (an in-process file, see local.ts): the worker reads it in place
      piece.shared.push(buffer);
      this.sharedUse.set(buffer, (this.sharedUse.get(buffer) ?? 0) + 1);
      piece.worker.worker.postMessage({ op: 'chunk', id: piece.job, bytes } satisfies ToWorker);
      return;
    }
    piece.shared.push(null);
    if (owned) copy = bytes;
    else if (n < MIN_POOLED) copy = new Uint8Array(bytes);
    else {
      const at = this.spare.findIndex((b) => b.byteLength >= n);
      const buffer = at >= 0 ? (this.spare.splice(at, 1)[0] as ArrayBuffer) : new ArrayBuffer(Math.max(n, POOLED));
      copy = new Uint8Array(buffer, 0, n);
      copy.set(bytes);
    }
    // a pooled copy comes back for the next chunk's copy; any other buffer the worker frees once parsed
    const back = !owned && n >= MIN_POOLED;
    piece.worker.worker.postMessage({ op: 'chunk', id: piece.job, bytes: copy, back } satisfies ToWorker, [
      copy.buffer as ArrayBuffer,
    ]);
  }

  /** A pooled chunk buffer the worker is done with: keep it for the next chunk's copy while parses run, else free it. */
  private recycle(buffer: ArrayBuffer | undefined): void {
    if (!buffer) return;
    if (buffer.byteLength <= MAX_POOLED && this.parses.size > 0 && this.spare.length < MAX_SPARE)
      this.spare.push(buffer);
    else discard(buffer);
  }

  /** A chunk of a shared buffer is parsed: once all its chunks are, the buffer is free again. */
  private recycleShared(buffer: SharedArrayBuffer | null | undefined): void {
    if (!buffer) return;
    const left = (this.sharedUse.get(buffer) ?? 1) - 1;
    if (left > 0) {
      this.sharedUse.set(buffer, left);
      return;
    }
    this.sharedUse.delete(buffer);
    if (buffer.byteLength === SHARED_BYTES && this.sharedFree.length < MAX_SHARED) this.sharedFree.push(buffer);
  }

  /** Forget a parse; with none left, free the recycled buffers. */
  private forget(id: number): void {
    this.parses.delete(id);
    if (this.parses.size === 0) discard(...this.spare.splice(0));
  }

  private post(w: PooledWorker, message: ToWorker, transfer: ArrayBuffer[] = []): void {
    w.worker.postMessage(message, transfer);
  }

  private release(piece: Piece): void {
    if (piece.released) return;
    piece.released = true;
    // chunks never parsed (an abort, a failure): their buffers are not reused
    for (const buffer of piece.shared ?? []) if (buffer) this.sharedUse.delete(buffer);
    delete piece.shared;
    this.jobs.delete(piece.job);
    piece.worker.active--;
    if (piece.worker.active === 0) piece.worker.worker.unref();
  }

  /** Free every job of a parse (in the workers too). */
  private releaseAll(parse: Parse): void {
    for (const piece of parse.pieces) {
      if (piece.released) continue;
      if (this.pool.includes(piece.worker)) this.post(piece.worker, { op: 'abort', id: piece.job });
      this.release(piece);
    }
  }

  private fail(parse: Parse, err: CsvSocketError): void {
    if (parse.failed) return;
    parse.failed = err;
    this.releaseAll(parse);
    if (parse.finish) parse.finish.reject(err);
    else parse.listener.onError(err);
  }

  private pick(): PooledWorker {
    if (this.closed) throw errorFromWire(ErrorCode.CONNECTION_CLOSED, 'the server is closed');
    if (this.pool.length < this.threads) {
      const least = this.pool.find((w) => w.active === 0);
      if (least) return least;
      return this.spawn();
    }
    // the shortest backlog (bytes sent and not yet parsed): a worker that fell
    // behind (descheduled, or given the slower pieces) gets no new piece until it
    // catches up, so the pieces end together
    const backlog = new Map<PooledWorker, number>();
    for (const { piece } of this.jobs.values())
      backlog.set(piece.worker, (backlog.get(piece.worker) ?? 0) + piece.sent - piece.parsed);
    const pending = (w: PooledWorker) => backlog.get(w) ?? 0;
    return this.pool.reduce((a, b) =>
      pending(b) < pending(a) || (pending(b) === pending(a) && b.active < a.active) ? b : a,
    );
  }

  private spawn(): PooledWorker {
    // under tsx (tests) this module is .ts and so is the worker beside it
    const file = join(__dirname, `worker${extname(__filename)}`);
    // tests run the TypeScript sources under tsx, whose loader hooks a worker
    // thread does not inherit: register tsx's require hook inside the worker
    const worker = file.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true })
      : new Worker(file);
    const pooled: PooledWorker = { worker, active: 0 };
    worker.unref();
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (err) => this.onWorkerDeath(pooled, err));
    worker.on('exit', (code) => {
      if (!this.closed) this.onWorkerDeath(pooled, new Error(`parse worker exited with code ${code}`));
    });
    this.pool.push(pooled);
    return pooled;
  }

  private onMessage(m: FromWorker): void {
    const entry = this.jobs.get(m.id);
    if (!entry) return;
    const { parse, piece } = entry;
    if (parse.failed) return;
    switch (m.op) {
      case 'parsed': {
        this.recycle(m.buffer);
        this.recycleShared(piece.shared?.shift());
        piece.parsed = m.bytes;
        let total = 0;
        for (const p of parse.pieces) total += p.parsed;
        parse.listener.onParsed(total);
        break;
      }
      case 'sealed':
        piece.sealed = m.state;
        piece.stream = m.stream;
        this.advance(parse);
        break;
      case 'done':
        this.release(piece);
        parse.finish?.resolve({ ipc: m.ipc, columns: m.columns, rows: m.rows, warnings: m.warnings, head: m.head });
        break;
      case 'columns':
        this.release(piece);
        if (m.stream) piece.stream = m.stream;
        piece.head = m.head;
        this.complete(parse);
        break;
      case 'error':
        this.release(piece);
        if (parse.pieces.length === 1) {
          this.fail(parse, errorFromWire(m.code, m.message, m.context));
        } else {
          piece.error = { code: m.code, message: m.message, context: m.context };
          this.advance(parse);
        }
        break;
    }
  }

  /**
   * Once the pieces before a failed piece have parsed, its error (with its
   * line shifted to the file's) is the parse's; once every piece has parsed,
   * merge the column types and have each piece convert its columns to them.
   */
  private advance(parse: Parse): void {
    const pieces = parse.pieces;
    let base = 1;
    const bases: number[] = [];
    for (let k = 0; k < pieces.length; k++) {
      const p = pieces[k] as Piece;
      if (p.error) {
        this.fail(parse, shiftLine(p.error, base));
        return;
      }
      if (!p.sealed) {
        // a later piece failed: what follows it need not be parsed
        if (pieces.slice(k + 1).some((q) => q.error)) parse.stopped = true;
        return;
      }
      bases.push(base);
      base += p.sealed.lines;
    }
    if (parse.merged) return;
    const states = pieces.map((p) => p.sealed as PieceState);
    const first = states[0] as PieceState;
    const decisions = first.stats.map((_, c) => mergeColumnStats(states.map((s) => s.stats[c] as ColumnStats)));
    const blank: number[] = [];
    let lastRowLine = 0;
    states.forEach((s, k) => {
      const b = bases[k] as number;
      for (const l of s.blankLines) blank.push(b + l - 1);
      if (s.lastRowLine > 0) lastRowLine = b + s.lastRowLine - 1;
    });
    const warnings = first.warnings.slice();
    const note = blankLinesWarning(blank, lastRowLine);
    if (note !== undefined) warnings.push(note);
    parse.merged = {
      columns: decisions.map((d) => d.info),
      rows: states.reduce((n, s) => n + s.rows, 0),
      warnings,
    };
    let headRows = HEAD_ROWS;
    for (const p of pieces) {
      const stream = p.stream as Uint8Array;
      this.post(p.worker, { op: 'finish', id: p.job, decisions, headRows: Math.max(0, headRows), stream });
      headRows -= p.sealed?.rows ?? 0;
    }
  }

  /** Every piece has its columns typed: the table is their streams, in order. */
  private complete(parse: Parse): void {
    const merged = parse.merged;
    if (!merged || !parse.pieces.every((p) => p.head && p.stream)) return;
    const ipc = parse.pieces.map((p) => p.stream as Uint8Array);
    const head: Array<Array<string | null>> = [];
    for (const p of parse.pieces) {
      delete p.stream;
      head.push(...(p.head ?? []));
    }
    parse.finish?.resolve({ ipc, ...merged, head: head.slice(0, HEAD_ROWS) });
  }

  private onWorkerDeath(pooled: PooledWorker, err: Error): void {
    const index = this.pool.indexOf(pooled);
    if (index < 0) return;
    this.pool.splice(index, 1);
    // a worker that dies (out of memory, a bug) fails its own parses only
    const failed = new Set<Parse>();
    for (const { parse, piece } of this.jobs.values())
      if (piece.worker === pooled && !piece.released) failed.add(parse);
    for (const parse of failed)
      this.fail(parse, errorFromWire(ErrorCode.INTERNAL, `the parser failed: ${err.message}`));
    void pooled.worker.terminate();
  }
}

/** A piece's error with its line counted from the start of the file. */
function shiftLine(e: { code: string; message: string; context: ErrorContext }, base: number): CsvSocketError {
  const context = { ...e.context };
  let message = e.message;
  if (base > 1 && context.line !== undefined) {
    const line = context.line + base - 1;
    message = message.replace(new RegExp(`\\bline ${context.line}\\b`), `line ${line}`);
    context.line = line;
  }
  return errorFromWire(e.code, message, context);
}
